"""With a broker, the jobs run as Celery tasks: a real worker (a process of its own) on the
machine's Redis runs the follow-up rules and plans a birthday greeting."""

import os
import subprocess
import sys
import uuid
from datetime import date, datetime
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from flask_migrate import upgrade

from core.extensions import db
from tests.conftest import make_app, new_database

ROOT = Path(__file__).resolve().parents[2]
BROKER = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


def _redis_or_skip():
    try:
        redis.Redis.from_url(BROKER, socket_connect_timeout=2).ping()
    except redis.exceptions.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs Redis at {BROKER}: {exc}")
        pytest.skip(f"Redis not reachable at {BROKER}")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_worker_runs_the_followup_rules(backend, tmp_path_factory, tmp_path):
    _redis_or_skip()
    from crm.models import Customer, OutboxMessage

    url, drop = new_database(backend, tmp_path_factory)
    queue = f"shop-test-{uuid.uuid4().hex[:8]}"
    instance = tmp_path / "instance"
    config = {"CELERY_BROKER_URL": BROKER, "CELERY_QUEUE": queue}
    app = make_app(url, instance, **config)
    with app.app_context():
        from core.clock import shop_zone

        today = datetime.now(shop_zone()).date()  # the shop's day: the rule greets by it
        upgrade()
        db.session.add(Customer(name="寿星", phone="13700001234", marketing_consent=True,
                                birthday=date(1990, today.month, min(today.day, 28))))
        db.session.commit()
    env = dict(os.environ, DATABASE_URL=url, SHOP_INSTANCE_PATH=str(instance),
               CELERY_BROKER_URL=BROKER, CELERY_QUEUE=queue, SECRET_KEY="test-secret")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "wsgi:celery", "worker", "--pool", "solo",
         "--concurrency", "1", "-Q", queue, "--without-heartbeat", "--without-gossip",
         "--without-mingle", "--loglevel", "WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        from core.tasks import make_celery

        with app.app_context():
            celery = make_celery(app)
            result = celery.send_task("shop.jobs.followup_rules", queue=queue)
            summary = result.get(timeout=120)
        expected_birthdays = 1 if today.day <= 28 else 0
        assert f"{expected_birthdays} birthday" in summary
        with app.app_context():
            messages = db.session.execute(sa.select(OutboxMessage)).scalars().all()
            assert [m.kind for m in messages] == ["birthday"] * expected_birthdays
            assert set(celery.conf.beat_schedule) >= {"followup_rules", "deliver_outbox",
                                                      "recompute_figures"}
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        with app.app_context():
            db.engine.dispose()
        drop()
