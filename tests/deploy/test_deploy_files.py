"""The files docs/deploy.md tells an operator to copy are in the repository and pass their
own tools: ``nginx -t`` on the site (with a throw-away certificate), ``systemd-analyze verify``
on the units. Without the tool the test skips, saying why; with CI set a missing nginx fails
it (scripts/test installs nginx as it installs chromium)."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "deploy.md"
SITE = ROOT / "deploy" / "nginx" / "haiyun.conf"
UNITS = sorted((ROOT / "deploy" / "systemd").glob("*.service"))


def _tool(name: str, *, needed_in_ci: bool = True) -> str:
    found = shutil.which(name) or (f"/usr/sbin/{name}" if os.path.exists(f"/usr/sbin/{name}")
                                   else None)
    if found is None:
        if os.environ.get("CI") and needed_in_ci:
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
    analyze = _tool("systemd-analyze", needed_in_ci=False)  # part of systemd, not installed
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
