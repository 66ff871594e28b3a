"""With a broker, the jobs run as Celery tasks: a real worker (a process of its own) on the
machine's Redis runs the follow-up rules and plans a birthday greeting."""

import os
import subprocess
import sys
import uuid
from datetime import date, datetime, time
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from flask_migrate import upgrade

from core.extensions import db
from tests.conftest import SHOP_ZONE, make_app, new_database

ROOT = Path(__file__).resolve().parents[2]
BROKER = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


def _redis_or_skip():
    try:
        redis.Redis.from_url(BROKER, socket_connect_timeout=2).ping()
    except redis.exceptions.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs Redis at {BROKER}: {exc}")
        pytest.skip(f"Redis not reachable at {BROKER}")


@pytest.mark.dates
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_worker_runs_the_followup_rules(backend, tmp_path_factory, tmp_path):
    _redis_or_skip()
    from crm.customers.models import Customer
    from crm.outreach.models import OutboxMessage

    url, drop = new_database(backend, tmp_path_factory)
    queue = f"shop-test-{uuid.uuid4().hex[:8]}"
    instance = tmp_path / "instance"
    config = {"CELERY_BROKER_URL": BROKER, "CELERY_QUEUE": queue}
    app = make_app(url, instance, **config)
    # The job runs as of the 15th of this month (a day every month has), 10:00 in the shop.
    today = datetime.now(SHOP_ZONE).date().replace(day=15)
    moment = datetime.combine(today, time(10), SHOP_ZONE)
    with app.app_context():
        upgrade()
        db.session.add(Customer(name="寿星", phone="13700001234", marketing_consent=True,
                                birthday=date(1990, today.month, today.day)))
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
            result = celery.send_task("shop.jobs.followup_rules", queue=queue,
                                      kwargs={"now": moment.isoformat()})
            summary = result.get(timeout=120)
        assert "1 birthday" in summary
        with app.app_context():
            messages = db.session.execute(sa.select(OutboxMessage)).scalars().all()
            assert [m.kind for m in messages] == ["birthday"]
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
