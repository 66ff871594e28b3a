"""The files docs/deploy.md tells an operator to copy are in the repository and pass their
own tools: ``nginx -t`` on the site (with a throw-away certificate), ``systemd-analyze verify``
on the units. Without the tool the test skips, saying why; with CI set a missing tool fails
it (scripts/test installs nginx and systemd as it installs chromium). The settings example
reads alike in systemd and ``sh``, names only settings the shop reads, and starts the shop."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "deploy.md"
SITE = ROOT / "deploy" / "nginx" / "haiyun.conf"
UNITS = sorted((ROOT / "deploy" / "systemd").glob("*.service"))


def _tool(name: str) -> str:
    found = shutil.which(name) or (f"/usr/sbin/{name}" if os.path.exists(f"/usr/sbin/{name}")
                                   else None)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs {name} to check the deployment files")
        pytest.skip(f"{name} is not installed")
    return found


def test_every_file_the_guide_names_is_in_the_repository():
    named = set(re.findall(r"\bdeploy/[\w./-]+\.(?:conf|service|example)\b", GUIDE.read_text()))
    assert {"deploy/nginx/haiyun.conf", "deploy/systemd/haiyun-web.service",
            "deploy/systemd/haiyun-worker.service", "deploy/systemd/haiyun-beat.service",
            "deploy/haiyun.env.example"} <= named
    assert [name for name in sorted(named) if not (ROOT / name).is_file()] == []


def test_the_nginx_site_passes_nginx_t(tmp_path):
    nginx = _tool("nginx")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=shop.example", "-keyout", str(tmp_path / "privkey.pem"),
                    "-out", str(tmp_path / "fullchain.pem")], check=True, capture_output=True)
    site = tmp_path / "haiyun.conf"
    site.write_text(SITE.read_text().replace("/etc/haiyun/tls/", f"{tmp_path}/"))
    (tmp_path / "logs").mkdir()
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
                    f"events {{}}\nhttp {{\n  access_log {tmp_path}/access.log;\n"
                    f"  include {site};\n}}\n")
    result = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(conf),
                             "-e", str(tmp_path / "error.log")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_the_site_trusts_one_hop_and_hides_the_operators_pages():
    text = SITE.read_text()
    # the nodes run with PROXY_HOPS=1: nginx must overwrite, not append to, what a client sent
    assert "proxy_set_header X-Forwarded-For   $remote_addr;" in text
    assert "location = /metrics { deny all; }" in text
    assert "proxy_set_header X-Request-ID      $request_id;" in text
    assert "PROXY_HOPS=1" in (ROOT / "deploy" / "haiyun.env.example").read_text()


def test_the_systemd_units_verify(tmp_path):
    analyze = _tool("systemd-analyze")  # scripts/test installs systemd where it is missing
    copies = []
    for unit in UNITS:
        copy = tmp_path / unit.name  # the release folder is this checkout
        copy.write_text(unit.read_text().replace("/srv/haiyun/app", str(ROOT)))
        copies.append(str(copy))
    assert {Path(c).name for c in copies} == {"haiyun-web.service", "haiyun-worker.service",
                                              "haiyun-beat.service"}
    result = subprocess.run([analyze, "verify", *copies], capture_output=True, text=True,
                            timeout=120, env={**os.environ, "SYSTEMD_LOG_LEVEL": "warning"})
    problems = [line for line in (result.stdout + result.stderr).splitlines()
                if "haiyun-" in line]
    assert result.returncode == 0 and problems == [], result.stdout + result.stderr


def _example_settings() -> dict[str, str]:
    """The example's settings as systemd's ``EnvironmentFile=`` reads them: ``NAME=value``
    lines, ``#`` lines skipped."""
    lines = (ROOT / "deploy" / "haiyun.env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines
                if line.strip() and not line.lstrip().startswith("#"))


def test_the_settings_example_reads_alike_in_systemd_and_sh(tmp_path):
    """The units read it (EnvironmentFile=), and the guide's migration command sources it
    with ``sh``: both must see the same values."""
    settings = _example_settings()
    assert settings and all(re.fullmatch(r"[A-Z][A-Z0-9_]*", name) for name in settings)
    assert all(not re.search(r"[\s'\"$`\\]", value) for value in settings.values()), \
        "a value sh and systemd would read differently"
    result = subprocess.run(
        ["sh", "-c", 'set -a; . "$1"; env -0', "sh", str(ROOT / "deploy" / "haiyun.env.example")],
        capture_output=True, text=True, env={"PATH": os.environ["PATH"]}, check=True)
    seen = dict(item.split("=", 1) for item in result.stdout.split("\0") if "=" in item)
    assert {name: seen.get(name) for name in settings} == settings


def _read_by_the_shop() -> set[str]:
    """Every quoted upper-case name in the shop's own code (settings it reads)."""
    names = set()
    for folder in ("core", "storefront", "fulfillment", "crm"):
        for path in (ROOT / folder).rglob("*.py"):
            names |= set(re.findall(r"[\"']([A-Z][A-Z0-9_]{2,})[\"']", path.read_text()))
    for path in (ROOT / "wsgi.py", ROOT / "gunicorn.conf.py"):
        names |= set(re.findall(r"[\"']([A-Z][A-Z0-9_]{2,})[\"']", path.read_text()))
    return names


#: settings read by the libraries, not by the shop's code (boto3's keys)
LIBRARY_SETTINGS = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"}


def test_every_setting_the_guide_and_the_example_name_is_read():
    guide_table = re.findall(r"^\| `([^|]+)` \|", GUIDE.read_text(), re.MULTILINE)
    in_guide = {name for cell in guide_table for name in re.findall(r"[A-Z][A-Z0-9_]+", cell)}
    assert {"SECRET_KEY", "DATABASE_URL", "STORAGE_URL", "PROXY_HOPS", "LOG_FORMAT"} <= in_guide
    unknown = (in_guide | set(_example_settings())) - _read_by_the_shop() - LIBRARY_SETTINGS
    assert unknown == set(), f"named in docs/deploy.md or the example, read by nothing: {unknown}"


def test_the_shop_starts_with_the_example_settings(tmp_path):
    """wsgi's app and Celery app come up with the example (the database and the folder
    pointed at this test's), reading the store, the proxy and the metrics settings."""
    env = {**os.environ, **_example_settings(),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'shop.db'}",
           "SHOP_INSTANCE_PATH": str(tmp_path / "instance")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    probe = ("from wsgi import app, celery\n"
             "from core.storage import storage\n"
             "with app.app_context():\n"
             "    store = storage()\n"
             "print(celery is not None, type(store).__name__, store.bucket, store.prefix,\n"
             "      app.config['PROXY_HOPS'], app.config['LOG_FORMAT'])\n")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["True", "S3Storage", "haiyun-images", "products", "1",
                                     "json"]
