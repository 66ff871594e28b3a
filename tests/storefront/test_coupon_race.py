"""Eight checkouts race to use the same coupon: exactly one order gets it (SQLite, PostgreSQL)."""

import pytest
import sqlalchemy as sa

from core.extensions import db
from core.models import User
from fulfillment.models import Center, Stock
from storefront.coupon_models import Coupon, CouponState
from storefront.models import Category, Order, Product
from tests.support.race import race_in_sessions

CHECKOUTS = 8


def seed(app):
    from storefront.coupons import issue_coupon

    category = Category(slug="gift", name_zh="礼盒")
    product = Product(sku="GB-1", slug="gb-1", name_zh="海参礼盒", price_amount=58800,
                      category=category)
    center = Center(code="CPN", name_zh="券店", is_pickup=True, province="上海市",
                    city="上海市", district="静安区", address_zh="南京西路3号", lat=31.2, lng=121.4)
    user = User(email="coupon@example.com", name="券客", role="customer")
    user.password_hash = "x"
    db.session.add_all([product, center, user])
    db.session.flush()
    db.session.add(Stock(center_id=center.id, product_id=product.id, on_hand=100, reserved=0))
    coupon = issue_coupon(user.id, amount=5000, source="manual", valid_days=30)
    app.config["RACE"] = {"center_id": center.id, "user_id": user.id, "code": coupon.code}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_same_coupon_used_once(live_server_factory, backend):
    from storefront.coupons import CouponUsed
    from storefront.orders import place_order

    server = live_server_factory(backend, seed=seed)
    app, race = server.app, server.app.config["RACE"]

    def checkout(_):
        place_order(db.session.get(User, race["user_id"]),
                    lines=[{"sku": "GB-1", "quantity": 1}],
                    fulfillment={"method": "pickup", "center_id": race["center_id"]},
                    payment_method="pay_at_pickup", coupon=race["code"])
        return "used"

    results = race_in_sessions(app, checkout, range(CHECKOUTS),
                               refused=CouponUsed, refused_as="refused")
    assert results.count("used") == 1 and results.count("refused") == CHECKOUTS - 1
    with app.app_context():
        placed = db.session.execute(sa.select(Order)).scalars().all()
        assert len(placed) == 1 and placed[0].coupon_discount_amount == 5000
        assert placed[0].total_amount == 58800 - 5000
        assert db.session.execute(sa.select(Coupon.state)).scalar_one() == CouponState.USED
