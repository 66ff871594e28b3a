"""Six clicks on "Refund this amount" at once: the request is refunded once (SQLite and
PostgreSQL)."""

import pytest
import sqlalchemy as sa

from core.errors import Conflict
from core.extensions import db
from core.models import User
from fulfillment.models import Center
from storefront.models import Order
from storefront.payments.models import Payment, Refund, RefundRequest
from tests.support.race import race_in_sessions

CLICKS, PAID, ASKED = 6, 30000, 5000


def seed(app):
    center = Center(code="RRQ", name_zh="退款店", is_pickup=True, province="上海市",
                    city="上海市", district="静安区", address_zh="南京西路5号", lat=31.2, lng=121.4)
    shopper = User(email="rr-shopper@example.com", name="顾客", role="customer")
    admin = User(email="rr-admin@example.com", name="店长", role="admin")
    for user in (shopper, admin):
        user.password_hash = "x"
    db.session.add_all([center, shopper, admin])
    db.session.flush()
    order = Order(user_id=shopper.id, status="fulfilled", subtotal_amount=PAID,
                  total_amount=PAID, paid_amount=PAID, payment_method="pay_at_pickup",
                  fulfillment_method="pickup", center_id=center.id, number="SH-RR-1")
    db.session.add(order)
    db.session.flush()
    db.session.add(Payment(order_id=order.id, method="cash", status="succeeded", amount=PAID))
    request = RefundRequest(order_id=order.id, amount=ASKED, source="complaint:1",
                            reason="complaint:1")
    db.session.add(request)
    db.session.flush()
    app.config["RACE"] = {"admin_id": admin.id, "request_id": request.id}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_request_is_refunded_once(live_server_factory, backend):
    from storefront.payments.refunds import pay_request

    server = live_server_factory(backend, seed=seed)
    app, race = server.app, server.app.config["RACE"]

    def click(_):
        pay_request(db.session.get(RefundRequest, race["request_id"]),
                    db.session.get(User, race["admin_id"]))
        return "refunded"

    results = race_in_sessions(app, click, range(CLICKS), refused=Conflict, refused_as="refused")
    assert results.count("refunded") == 1 and results.count("refused") == CLICKS - 1
    with app.app_context():
        assert db.session.execute(sa.select(Refund.amount)).scalars().all() == [ASKED]
        request = db.session.get(RefundRequest, race["request_id"])
        assert request.closed_at is not None and request.refund_id is not None
