"""Rule 4 (and finding 19): with ``REDIS_URL`` the sign-in counters are shared by every
worker; without it each worker counts alone, as the operator guide says.

Two real processes stand in for two gunicorn workers (memory of their own, one database);
a guesser's tries alternate between them, as a load balancer would spread them."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis

from tests.conftest import IN_CI, PASSWORD

ROOT = Path(__file__).resolve().parents[2]
#: a database of the server no other test empties (the cluster's are 10-13, Celery's 14)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14").rsplit("/", 1)[0] + "/15"


class Worker:
    def __init__(self, database_url: str, email: str, redis_url: str | None, setup: bool):
        env = {**os.environ, "SIGNIN_WORKER_PASSWORD": PASSWORD}
        env.pop("REDIS_URL", None)
        if redis_url:
            env["REDIS_URL"] = redis_url
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.signin_worker", database_url, email]
            + (["--setup"] if setup else []),
            cwd=ROOT, env=env, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.storage = self._line().removeprefix("ready ")

    def _line(self) -> str:
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the worker ended ({self.process.wait()})")
        return line.strip()

    def token(self, address: str, password: str) -> int:
        self.process.stdin.write(f"{address} {password}\n")
        self.process.stdin.flush()
        return int(self._line())

    def stop(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=20)


@pytest.fixture()
def shared_redis():
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.RedisError as exc:
        if IN_CI:
            pytest.fail(f"CI needs Redis at {REDIS_URL} ({exc.__class__.__name__})")
        pytest.skip(f"Redis not reachable at {REDIS_URL} ({exc.__class__.__name__})")
    marks = []
    yield REDIS_URL, marks
    for mark in marks:  # only this test's counters; nothing else of the database
        for key in client.scan_iter(match=f"*{mark}*"):
            client.delete(key)
    client.close()


@pytest.fixture()
def two_workers(tmp_path):
    started = []

    def start(redis_url: str | None, email: str):
        database_url = f"sqlite:///{tmp_path}/shop.db"
        started.append(Worker(database_url, email, redis_url, setup=True))
        started.append(Worker(database_url, email, redis_url, setup=False))
        return started

    yield start
    for worker in started:
        worker.stop()


def _addresses():
    n = uuid.uuid4().int
    return f"198.18.{n % 250}.{(n >> 8) % 250 + 1}", f"198.19.{(n >> 16) % 250}.7"


def test_with_redis_every_worker_counts_the_same_tries(shared_redis, two_workers):
    url, marks = shared_redis
    email = f"owner-{uuid.uuid4().hex[:10]}@example.com"
    guesser, owner = _addresses()
    marks += [email, guesser, owner]
    a, b = two_workers(url, email)
    assert a.storage == b.storage == "redis"
    statuses = [(a, b)[i % 2].token(guesser, f"guess{i}") for i in range(10)]
    assert statuses == [401] * 5 + [429] * 5  # five in all, not five a worker
    assert a.token(guesser, PASSWORD) == b.token(guesser, PASSWORD) == 429
    assert b.token(owner, PASSWORD) == 200  # the owner elsewhere, at once


def test_without_redis_each_worker_counts_alone(two_workers):
    """What the operator guide warns of: two workers let twice the limit through."""
    email = f"owner-{uuid.uuid4().hex[:10]}@example.com"
    guesser, _ = _addresses()
    a, b = two_workers(None, email)
    assert a.storage == b.storage == "memory"
    statuses = [(a, b)[i % 2].token(guesser, f"guess{i}") for i in range(10)]
    assert statuses == [401] * 10
    assert a.token(guesser, "guess10") == b.token(guesser, "guess11") == 429
