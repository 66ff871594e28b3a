"""Six clerks refund 60% of the same cash order at once: one refund goes through, the others
are told it is more than is left (SQLite and PostgreSQL)."""

import pytest
import sqlalchemy as sa

from core.extensions import db
from core.models import User
from fulfillment.models import Center
from storefront.models import Order
from storefront.payments.models import Payment, Refund
from tests.support.race import race_in_sessions

CLERKS, TOTAL = 6, 50000


def seed(app):
    center = Center(code="RFD", name_zh="退款店", is_pickup=True, province="上海市",
                    city="上海市", district="静安区", address_zh="南京西路3号", lat=31.2, lng=121.4)
    shopper = User(email="refund-shopper@example.com", name="顾客", role="customer",
                   password_hash="x")
    db.session.add_all([center, shopper])
    db.session.flush()
    clerks = [User(email=f"clerk{n}@example.com", name=f"店员{n}", role="staff",
                   center_id=center.id, password_hash="x") for n in range(CLERKS)]
    order = Order(user_id=shopper.id, status="fulfilled", subtotal_amount=TOTAL,
                  total_amount=TOTAL, paid_amount=TOTAL, payment_method="pay_at_pickup",
                  fulfillment_method="pickup", center_id=center.id)
    db.session.add_all([*clerks, order])
    db.session.flush()
    db.session.add(Payment(order_id=order.id, method="cash", status="succeeded", amount=TOTAL))
    app.config["RACE"] = {"order_id": order.id, "clerks": [c.id for c in clerks]}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_same_money_is_refunded_once(live_server_factory, backend):
    from storefront.errors import RefundExceedsRefundable
    from storefront.payments.refunds import refund_amount

    server = live_server_factory(backend, seed=seed)
    app, race = server.app, server.app.config["RACE"]

    def refund(clerk_id):
        refund_amount(db.session.get(Order, race["order_id"]), db.session.get(User, clerk_id),
                      amount=TOTAL * 6 // 10, reason="price match")
        return "done"

    results = race_in_sessions(app, refund, race["clerks"], refused=RefundExceedsRefundable,
                               refused_as="refused")
    assert results.count("done") == 1 and results.count("refused") == CLERKS - 1
    with app.app_context():
        assert db.session.execute(sa.select(Refund.amount)).scalars().all() == [TOTAL * 6 // 10]
