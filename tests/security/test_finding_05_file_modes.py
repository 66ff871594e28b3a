"""Finding 5: ``instance/secret_key`` and ``shop.db`` were created 0644 in a 0755 instance
folder, so any user of the machine could read the key and forge an admin session.

Now the folder is 0700, the key and the database 0600 whatever the umask, two workers that
start together agree on one key, and a key file others may read stops the start."""

import os
import sqlite3
import stat
import threading

import pytest
import sqlalchemy as sa

from core.app import create_app
from core.config import load_config
from core.extensions import db
from core.instance import InsecureInstance


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch):
    """The defaults a first ``./scripts/serve`` gets: no SECRET_KEY, no DATABASE_URL, and
    the usual umask 022 (the one that gave 0644)."""
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "SHOP_INSTANCE_PATH"):
        monkeypatch.delenv(name, raising=False)
    old = os.umask(0o022)
    yield
    os.umask(old)


def start(instance, **config):
    return create_app({"INSTANCE_PATH": str(instance), "TESTING": True, **config})


def test_first_start_keeps_the_key_private(tmp_path):
    instance = tmp_path / "instance"
    app = start(instance)
    key_file = instance / "secret_key"
    assert mode(instance) == 0o700
    assert mode(key_file) == 0o600
    assert app.config["SECRET_KEY"] == key_file.read_text().strip()
    assert len(app.config["SECRET_KEY"]) == 64


def test_an_open_instance_folder_is_closed(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    instance.chmod(0o755)
    start(instance)
    assert mode(instance) == 0o700


def test_the_key_survives_a_restart(tmp_path):
    instance = tmp_path / "instance"
    assert start(instance).config["SECRET_KEY"] == start(instance).config["SECRET_KEY"]


@pytest.mark.parametrize("readable", [0o644, 0o640, 0o604], ids=["0644", "0640", "0604"])
def test_a_key_others_can_read_stops_the_start(tmp_path, readable):
    instance = tmp_path / "instance"
    instance.mkdir()
    key_file = instance / "secret_key"
    key_file.write_text("a" * 64)
    key_file.chmod(readable)
    with pytest.raises(InsecureInstance, match=f"chmod 600 {key_file}"):
        start(instance)


def test_a_key_from_the_environment_needs_no_file(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    instance = tmp_path / "instance"
    app = start(instance)
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert not (instance / "secret_key").exists()
    assert mode(instance) == 0o700


def test_a_worker_waits_for_the_key_another_worker_is_writing(tmp_path):
    """The other worker created the file (0600, still empty) a moment ago: its key is the
    one to use, not an empty key and not a second key."""
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o700)
    key_file = instance / "secret_key"
    os.close(os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    writer = threading.Timer(0.2, lambda: key_file.write_text("b" * 64))
    writer.start()
    try:
        assert start(instance).config["SECRET_KEY"] == "b" * 64
    finally:
        writer.join()


def test_workers_starting_together_share_one_key(tmp_path):
    instance = str(tmp_path / "instance")
    barrier = threading.Barrier(6)
    keys = []

    def worker():
        barrier.wait()
        keys.append(load_config(instance)["SECRET_KEY"])

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    on_disk = (tmp_path / "instance" / "secret_key").read_text().strip()
    assert keys == [on_disk] * 6


def _write_something(app) -> None:
    with app.app_context():
        db.session.execute(sa.text("CREATE TABLE IF NOT EXISTS probe (x INTEGER)"))
        db.session.execute(sa.text("INSERT INTO probe VALUES (1)"))
        db.session.commit()
        db.engine.dispose()


def test_the_default_sqlite_database_is_created_private(tmp_path):
    instance = tmp_path / "instance"
    app = start(instance)
    _write_something(app)
    database = instance / "shop.db"
    assert mode(database) == 0o600
    for companion in (instance / "shop.db-wal", instance / "shop.db-shm"):
        if companion.exists():
            assert mode(companion) == 0o600


def test_a_sqlite_database_named_by_url_is_created_private(tmp_path):
    database = tmp_path / "elsewhere" / "orders.db"
    database.parent.mkdir()
    app = start(tmp_path / "instance", SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}")
    _write_something(app)
    assert mode(database) == 0o600


def test_an_older_readable_database_is_made_private(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    database = instance / "shop.db"
    sqlite3.connect(database).close()
    database.chmod(0o644)
    app = start(instance)
    _write_something(app)
    assert mode(database) == 0o600


def test_the_refusal_is_a_message_not_a_traceback(tmp_path):
    """``gunicorn wsgi:app`` and ``flask`` on an instance whose key others can read."""
    import subprocess
    import sys
    from pathlib import Path

    instance = tmp_path / "instance"
    instance.mkdir(mode=0o700)
    key = instance / "secret_key"
    key.write_text("k" * 64)
    key.chmod(0o644)
    root = Path(__file__).resolve().parents[2]
    env = {"PATH": "/usr/bin:/bin", "SHOP_INSTANCE_PATH": str(instance),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'shop.db'}"}
    done = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "will not start" in done.stderr and "chmod 600" in done.stderr
    assert "Traceback" not in done.stderr
