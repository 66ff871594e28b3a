"""The cluster tests (marked ``cluster``; ``./scripts/test`` runs them in a step of their own):
real gunicorn nodes, PostgreSQL, Redis and an S3 server on loopback. They start and stop
their S3 server, their Redis (when the machine has redis-server) and their nodes, and make
and drop their PostgreSQL databases. With CI set a missing PostgreSQL or Redis fails them;
elsewhere they skip, saying why."""

import os
import shutil
import subprocess
import time

import pytest
import redis

from tests.cluster.nodes import free_port
from tests.conftest import IN_CI
from tests.support.s3 import S3Server

REDIS_BASE = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14").rsplit("/", 1)[0]


def _missing(reason: str):
    if IN_CI:
        pytest.fail(f"CI needs it: {reason}")
    pytest.skip(reason)


def _own_redis(tmp_path_factory):
    """A redis-server of the test's own on a loopback port (no file kept), or None when the
    machine has no redis-server."""
    binary = shutil.which("redis-server")
    if binary is None:
        return None
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
         "no", "--dir", str(folder), "--logfile", str(folder / "redis.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.exceptions.ConnectionError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                server.wait()
                return None
            time.sleep(0.05)
        finally:
            client.close()
    return url, server


@pytest.fixture(scope="module")
def cluster_redis(worker_id, tmp_path_factory):
    """A Redis the nodes share: a redis-server the test starts and stops when the machine
    has one; else a database of the server at TEST_REDIS_URL of this test's own (10-13 by
    xdist worker), emptied before and after, no other database of it touched."""
    own = _own_redis(tmp_path_factory)
    if own is not None:
        url, server = own
        yield url
        server.terminate()
        server.wait(timeout=10)
        return
    number = 10 + (int(worker_id[2:]) % 4 if worker_id.startswith("gw") else 0)
    url = f"{REDIS_BASE}/{number}"
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.RedisError as exc:
        _missing(f"no redis-server to start, and Redis not reachable at {url} "
                 f"({exc.__class__.__name__})")
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.fixture(scope="session")
def s3_server():
    server = S3Server().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def pg_database(migrated_database):
    """A fresh PostgreSQL database with the migrations' schema (fails under CI if none)."""
    from tests.conftest import _pg_available

    reason = _pg_available()
    if reason:
        _missing(reason)
    url, drop = migrated_database("postgresql")
    yield url
    drop()
