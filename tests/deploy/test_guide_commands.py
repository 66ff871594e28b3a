"""The commands docs/deploy.md gives an operator, run as written (paths and names changed to
this test's): the release's migration with the settings file, the nightly ``pg_dump`` and the
monthly restore drill, which must bring back every row of every table."""

import os
import re
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from core.extensions import db, migrate
from tests.cluster.nodes import seed_shop
from tests.conftest import PG_ADMIN_URL, make_app

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "deploy.md").read_text()


def _section(title: str) -> str:
    start = GUIDE.index(f"## {title}")
    end = GUIDE.find("\n## ", start + 1)
    return GUIDE[start:end if end > 0 else None]


def _commands(text: str) -> list[str]:
    """The indented command lines of a piece of the guide, without their comments."""
    lines = [line.strip() for line in text.splitlines() if line.startswith("    ")]
    return [re.sub(r"\s+#.*$", "", line) for line in lines if line]


def _pg_env(tmp_path) -> dict:
    """libpq's settings for the test's server: what ``createdb`` or ``psql`` read when the
    guide gives them no address."""
    parts = urlsplit(PG_ADMIN_URL)
    env = {**os.environ, "PGHOST": parts.hostname or "127.0.0.1",
           "PGPORT": str(parts.port or 5432), "PGUSER": parts.username or "postgres",
           "SHOP_INSTANCE_PATH": str(tmp_path / "instance"), "SECRET_KEY": "drill-secret"}
    if parts.password:
        env["PGPASSWORD"] = parts.password
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return env


def _run(command: str, env: dict) -> subprocess.CompletedProcess:
    result = subprocess.run(["bash", "-c", command], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, f"{command}\n{result.stdout[-2000:]}{result.stderr[-3000:]}"
    return result


def _counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            meta = sa.MetaData()
            meta.reflect(connection)
            return {t.name: connection.execute(
                sa.select(sa.func.count()).select_from(t)).scalar_one()
                for t in meta.sorted_tables}
    finally:
        engine.dispose()


def test_the_release_migration_command_reads_the_settings_file(tmp_path):
    """``sh -c 'set -a; . /etc/haiyun/haiyun.env; exec ... db upgrade'`` with the example
    settings (the database pointed at a fresh one of this test's) migrates to the head."""
    (command,) = [line for line in _commands(_section("A release without downtime"))
                  if "db upgrade" in line]
    example = (ROOT / "deploy" / "haiyun.env.example").read_text()
    database = tmp_path / "shop.db"
    settings = re.sub(r"^DATABASE_URL=.*$", f"DATABASE_URL=sqlite:///{database}", example,
                      flags=re.MULTILINE)
    settings = re.sub(r"^SHOP_INSTANCE_PATH=.*$", f"SHOP_INSTANCE_PATH={tmp_path}/instance",
                      settings, flags=re.MULTILINE)
    (tmp_path / "haiyun.env").write_text(settings)
    # the release folder is this checkout; the test runs as the user it is
    command = (command.replace("/etc/haiyun/haiyun.env", str(tmp_path / "haiyun.env"))
               .replace("cd /srv/haiyun/app && ", "").replace("sudo -u haiyun ", ""))
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "SHOP_INSTANCE_PATH", "PROMETHEUS_MULTIPROC_DIR")}
    _run(command, env)
    app = make_app(f"sqlite:///{database}", tmp_path / "reader")
    with app.app_context():
        head = ScriptDirectory.from_config(migrate.get_config()).get_current_head()
        with db.engine.connect() as connection:
            assert connection.execute(sa.text("select version_num from alembic_version")
                                      ).scalar_one() == head
        db.engine.dispose()


@pytest.mark.postgres
def test_the_nightly_dump_restores_every_row_in_the_drill(migrated_database, tmp_path):
    url, drop = migrated_database("postgresql")
    app = make_app(url, tmp_path / "shop-instance")
    shop = seed_shop(app, stock=50)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {shop['tokens']['customer']}"}
    for sku in shop["skus"]:  # the shop has orders to lose
        answer = client.post("/api/v1/orders", headers=headers, json={
            "lines": [{"sku": sku, "quantity": 2}],
            "fulfillment": {"method": "pickup", "center_id": shop["store"]},
            "payment_method": "pay_at_pickup"})
        assert answer.status_code == 201, answer.get_data(as_text=True)
    with app.app_context():
        head = ScriptDirectory.from_config(migrate.get_config()).get_current_head()
        db.engine.dispose()
    before = _counts(url)
    assert before["orders"] == 2 and before["order_lines"] == 2

    drill = f"haiyun_drill_{uuid.uuid4().hex[:8]}"
    backup = _commands(_section("Backups and a restore drill"))
    assert [line.split()[0] for line in backup] == [
        "pg_dump", "createdb", "pg_restore", "DATABASE_URL=postgresql:///haiyun_drill", "psql",
        "dropdb"]

    def as_here(line: str) -> str:
        line = line.replace("/backup/", f"{tmp_path}/").replace("haiyun_drill", drill)
        # "the latest dump" is the one the night made
        return re.sub(r"haiyun-(\$\(date \+%F\)|YYYY-MM-DD)\.dump", "haiyun-latest.dump", line)

    env = {**_pg_env(tmp_path), "DATABASE_URL": url.replace("+psycopg", "")}
    try:
        _run(as_here(backup[0]), env)  # the nightly dump
        assert (tmp_path / "haiyun-latest.dump").stat().st_size > 0
        drop()  # the database is lost
        for line in backup[1:3]:  # createdb, pg_restore
            _run(as_here(line), env)
        current = _run(as_here(backup[3]), env).stdout
        assert f"{head} (head)" in current
        checked = _run(as_here(backup[4]), env).stdout
        assert re.search(r"^\s*2\s*\|", checked, re.MULTILINE), checked  # the two orders
        base = url.rsplit("/", 1)[0]
        assert _counts(f"{base}/{drill}") == before  # every table, every row
    finally:
        subprocess.run(["bash", "-c", as_here(backup[5])], env=env, capture_output=True,
                       timeout=60)  # dropdb, as the guide ends
        drop()
    listed = subprocess.run(["psql", "-Atc", "select datname from pg_database"], env=env,
                            capture_output=True, text=True, timeout=60).stdout.split()
    assert drill not in listed
