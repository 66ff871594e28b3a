"""The cluster tests (marked ``cluster``; ``./scripts/test`` runs them in a step of their own):
real gunicorn nodes, PostgreSQL, Redis and an S3 server on loopback. With CI set a missing
PostgreSQL or Redis fails them; elsewhere they skip, saying why."""

import os

import pytest
import redis

from tests.conftest import IN_CI
from tests.support.s3 import S3Server

REDIS_BASE = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14").rsplit("/", 1)[0]


def _missing(reason: str):
    if IN_CI:
        pytest.fail(f"CI needs it: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def cluster_redis(worker_id):
    """A Redis database of this test's own (10-13 by xdist worker), emptied before and after;
    no other database of the server is touched."""
    number = 10 + (int(worker_id[2:]) % 4 if worker_id.startswith("gw") else 0)
    url = f"{REDIS_BASE}/{number}"
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.RedisError as exc:
        _missing(f"Redis not reachable at {url} ({exc.__class__.__name__})")
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
