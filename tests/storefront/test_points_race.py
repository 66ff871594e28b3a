"""Ten checkouts race to spend the same 1000 points: exactly one wins (SQLite and PostgreSQL)."""

import pytest
import sqlalchemy as sa

from core.extensions import db
from core.models import User
from fulfillment.models import Center, Stock
from storefront.loyalty.models import Membership, PointsEntry
from storefront.models import Category, Order, Product
from tests.support.race import race_in_sessions

CHECKOUTS, POINTS = 10, 1000


def seed(app):
    category = Category(slug="formula", name_zh="奶粉")
    product = Product(sku="NF-1", slug="nf-1", name_zh="有机奶粉 1段", price_amount=32800,
                      category=category)
    center = Center(code="PTS", name_zh="积分店", is_pickup=True, province="上海市",
                    city="上海市", district="静安区", address_zh="南京西路2号", lat=31.2, lng=121.4)
    user = User(email="points@example.com", name="积分会员", role="customer")
    user.password_hash = "x"
    db.session.add_all([product, center, user])
    db.session.flush()
    db.session.add(Stock(center_id=center.id, product_id=product.id, on_hand=100, reserved=0))
    db.session.add(Membership(user_id=user.id, card_number="VIP0000000001", name="积分会员",
                              phone="13800000000", points=POINTS))
    app.config["RACE"] = {"center_id": center.id, "user_id": user.id}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_same_points_spent_once(live_server_factory, backend):
    from storefront.loyalty.points import InsufficientPoints
    from storefront.orders import place_order

    server = live_server_factory(backend, seed=seed)
    app, race = server.app, server.app.config["RACE"]

    def checkout(_):
        place_order(db.session.get(User, race["user_id"]),
                    lines=[{"sku": "NF-1", "quantity": 1}],
                    fulfillment={"method": "pickup", "center_id": race["center_id"]},
                    payment_method="pay_at_pickup", points=POINTS)
        return "spent"

    results = race_in_sessions(app, checkout, range(CHECKOUTS),
                               refused=InsufficientPoints, refused_as="refused")
    assert results.count("spent") == 1 and results.count("refused") == CHECKOUTS - 1
    with app.app_context():
        assert db.session.execute(sa.select(Membership.points)).scalar_one() == 0
        assert db.session.execute(sa.select(sa.func.count(Order.id))).scalar_one() == 1
        assert db.session.execute(sa.select(PointsEntry.delta)).scalars().all() == [-POINTS]
