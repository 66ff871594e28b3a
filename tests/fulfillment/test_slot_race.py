"""Twenty checkouts race for a slot with three places: exactly three win, on both backends."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.clock import utcnow
from core.extensions import db
from core.models import User
from fulfillment.errors import SlotUnavailable
from fulfillment.models import Center, Slot, Stock
from storefront.models import Category, Order, Product
from tests.support.race import race_in_sessions

pytestmark = pytest.mark.dates  # calendar rules: CI runs these shifted too

BUYERS, PLACES = 20, 3


def seed(app):
    product = Product(sku="HS-SLOT", slug="slot-race", name_zh="辽参", price_amount=9800,
                      category=Category(slug="hs", name_zh="海参"))
    center = Center(code="SLOT", name_zh="时段店", is_pickup=True, province="上海市",
                    city="上海市", district="静安区", address_zh="南京西路1号", lat=31.2, lng=121.4)
    db.session.add_all([product, center])
    db.session.flush()
    db.session.add(Stock(center_id=center.id, product_id=product.id, on_hand=100, reserved=0))
    start = utcnow() + timedelta(days=1)
    slot = Slot(center_id=center.id, kind="pickup", starts_at=start,
                ends_at=start + timedelta(hours=2), capacity=PLACES, taken=0)
    db.session.add(slot)
    users = []
    for i in range(BUYERS):
        user = User(email=f"slot{i}@example.com", name=f"Buyer {i}", role="customer")
        user.password_hash = "x"
        db.session.add(user)
        users.append(user)
    db.session.flush()
    app.config["SLOT_RACE"] = {"center_id": center.id, "slot_id": slot.id,
                               "users": [u.id for u in users]}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_twenty_checkouts_three_places(live_server_factory, backend):
    from storefront.orders import place_order

    server = live_server_factory(backend, seed=seed)
    app, race = server.app, server.app.config["SLOT_RACE"]

    def buy(user_id):
        place_order(db.session.get(User, user_id), lines=[{"sku": "HS-SLOT", "quantity": 1}],
                    fulfillment={"method": "pickup", "center_id": race["center_id"]},
                    payment_method="pay_at_pickup", slot_id=race["slot_id"])
        return "won"

    results = race_in_sessions(app, buy, race["users"], refused=SlotUnavailable,
                               refused_as="full")
    assert results.count("won") == PLACES and results.count("full") == BUYERS - PLACES
    with app.app_context():
        slot = db.session.get(Slot, race["slot_id"])
        stock = db.session.execute(sa.select(Stock)).scalar_one()
        orders = db.session.execute(sa.select(sa.func.count(Order.id))).scalar_one()
        assert (slot.taken, orders, stock.reserved) == (PLACES, PLACES, PLACES)
