"""Two runs of the follow-up rules at once (two cron hosts, or cron beside Celery beat):
every greeting is planned once, and neither run fails (SQLite, PostgreSQL)."""

from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from core.clock import shop_today
from core.extensions import db
from crm.customers.models import Customer
from crm.outreach.models import OutboxMessage
from tests.conftest import SHOP_ZONE
from tests.support.race import race_in_sessions

pytestmark = pytest.mark.dates

CUSTOMERS = 12


def seed(app):
    today = shop_today()
    for n in range(CUSTOMERS):  # birthdays over the coming days: the rule greets them all
        day = today + timedelta(days=n % 5)
        db.session.add(Customer(name=f"寿星{n}", phone=f"137000{n:05d}", marketing_consent=True,
                                birthday=date(2000, day.month, day.day)))  # a leap year
    app.config["RACE"] = {"now": datetime.combine(today, time(9), SHOP_ZONE)}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_rule_runs_at_once_plan_each_greeting_once(live_server_factory, backend):
    from crm.followups.rules import run_rules

    server = live_server_factory(backend, seed=seed)
    app, now = server.app, server.app.config["RACE"]["now"]
    summaries = race_in_sessions(app, lambda _: run_rules(now), range(2), refused=(),
                                 refused_as="")
    planned = [int(s.split(" birthday")[0].rsplit(", ", 1)[-1]) for s in summaries]
    with app.app_context():
        greetings = db.session.execute(sa.select(OutboxMessage.customer_id).where(
            OutboxMessage.kind == "birthday")).scalars().all()
    assert len(greetings) == len(set(greetings)) == CUSTOMERS  # each once, none lost
    assert sum(planned) == CUSTOMERS  # the two runs' counts add up to what was planned
