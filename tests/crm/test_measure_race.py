"""Two runs of the measure job at once (cron beside a Celery worker): each month's figures
are stored once, not twice (SQLite, PostgreSQL)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.clock import utcnow
from core.extensions import db
from core.models import Role, User
from fulfillment.models import Center
from storefront.models import Order
from tests.support.race import race_in_sessions

BUYERS = 6


def seed(app):
    center = Center(code="RACE", name_zh="竞速店", is_pickup=True, province="上海市",
                    city="上海市", district="静安区", address_zh="南京西路 1 号", lat=31.23,
                    lng=121.45)
    db.session.add(center)
    db.session.flush()
    for n in range(BUYERS):
        user = User(email=f"race{n}@example.com", name=f"r{n}", role=Role.CUSTOMER)
        db.session.add(user)
        db.session.flush()
        for days in (5, 20 + n):
            db.session.add(Order(user_id=user.id, status="fulfilled", subtotal_amount=100,
                                 total_amount=100, payment_method="pay_at_pickup",
                                 fulfillment_method="pickup", center_id=center.id,
                                 created_at=utcnow() - timedelta(days=days)))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_measure_runs_at_once_store_each_month_once(live_server_factory, backend):
    from crm.reports import measures
    from crm.reports.models import MeasureMonth

    server = live_server_factory(backend, seed=seed)
    app, now = server.app, utcnow()
    race_in_sessions(app, lambda _: measures.store_months(now), range(2), refused=(),
                     refused_as="")
    with app.app_context():
        m = MeasureMonth
        twins = db.session.execute(
            sa.select(m.measure, m.month, m.breakdown, m.item, sa.func.count())
            .group_by(m.measure, m.month, m.breakdown, m.item)
            .having(sa.func.count() > 1)).all()
        assert twins == []
        buyers = db.session.execute(sa.select(sa.func.sum(m.base)).where(
            m.measure == "return", m.breakdown == "center")).scalar_one()
        assert buyers >= BUYERS
