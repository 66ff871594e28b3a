"""Six clerks cancel the same order at once: it is cancelled once and its stock released
once (SQLite, PostgreSQL)."""

import pytest
import sqlalchemy as sa

from core.errors import IllegalTransition
from core.extensions import db
from core.models import User
from fulfillment.models import Center, Stock, StockMovement
from storefront.models import Category, Order, Product
from tests.support.race import race_in_sessions

CLERKS = 6


def seed(app):
    from storefront.orders import place_order

    category = Category(slug="gift", name_zh="礼盒")
    product = Product(sku="GB-1", slug="gb-1", name_zh="海参礼盒", price_amount=58800,
                      category=category)
    center = Center(code="CXL", name_zh="取消店", is_pickup=True, province="上海市",
                    city="上海市", district="静安区", address_zh="南京西路5号", lat=31.2, lng=121.4)
    shopper = User(email="cancel@example.com", name="顾客", role="customer", password_hash="x")
    db.session.add_all([product, center, shopper])
    db.session.flush()
    clerks = [User(email=f"clerk{n}@example.com", name=f"店员{n}", role="staff",
                   center_id=center.id, password_hash="x") for n in range(CLERKS)]
    db.session.add_all(clerks)
    db.session.add(Stock(center_id=center.id, product_id=product.id, on_hand=10, reserved=0))
    db.session.flush()
    order = place_order(shopper, lines=[{"sku": "GB-1", "quantity": 3}],
                        fulfillment={"method": "pickup", "center_id": center.id},
                        payment_method="pay_at_pickup")
    app.config["RACE"] = {"order_id": order.id, "clerks": [c.id for c in clerks],
                          "center_id": center.id}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_an_order_cancelled_by_several_at_once_is_released_once(live_server_factory, backend):
    from storefront.orders import cancel_order

    server = live_server_factory(backend, seed=seed)
    app, race = server.app, server.app.config["RACE"]

    def cancel(clerk_id):
        cancel_order(db.session.get(Order, race["order_id"]), db.session.get(User, clerk_id))
        return "cancelled"

    results = race_in_sessions(app, cancel, race["clerks"], refused=IllegalTransition,
                               refused_as="refused")
    assert results.count("cancelled") == 1 and results.count("refused") == CLERKS - 1
    with app.app_context():
        stock = db.session.execute(sa.select(Stock)).scalar_one()
        assert (stock.on_hand, stock.reserved) == (10, 0)
        assert db.session.get(Order, race["order_id"]).status == "cancelled"
        released = db.session.execute(sa.select(StockMovement.reserved_delta).where(
            StockMovement.reserved_delta < 0)).scalars().all()
        assert released == [-3]
