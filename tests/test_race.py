"""Forty buyers race for five units: exactly five orders, on SQLite and on PostgreSQL.

Run twice: with forty database sessions in threads calling the service, and with forty
real HTTP requests against a live server (threads, one connection each).
"""

import json

import pytest
import sqlalchemy as sa

from core.extensions import db
from core.models import ApiToken, User
from fulfillment.errors import InsufficientStock
from fulfillment.models import Center, Stock
from storefront.models import Category, Order, Product
from tests.support.race import post_together, race_in_sessions

BUYERS, UNITS = 40, 5


def seed(app):
    """A store holding five units, and forty shoppers with API tokens (kept on the app)."""
    category = Category(slug="haishen", name_zh="海参")
    product = Product(sku="HS-LAST", slug="last-one", name_zh="辽参 10头", price_amount=98800,
                      category=category)
    center = Center(code="RACE", name_zh="竞赛店", is_pickup=True, province="上海市",
                    city="上海市", district="静安区", address_zh="南京西路1号", lat=31.2, lng=121.4)
    db.session.add_all([product, center])
    db.session.flush()
    db.session.add(Stock(center_id=center.id, product_id=product.id, on_hand=UNITS, reserved=0))
    tokens = []
    for i in range(BUYERS):
        user = User(email=f"buyer{i}@example.com", name=f"Buyer {i}", role="customer")
        user.password_hash = "x"  # never signs in with a password here
        db.session.add(user)
        db.session.flush()
        tokens.append((user.id, ApiToken.issue(user, 1)[1]))
    app.config["RACE"] = {"center_id": center.id, "product_id": product.id, "tokens": tokens}


def outcome(app):
    with app.app_context():
        race = app.config["RACE"]
        row = db.session.execute(sa.select(Stock).where(
            Stock.product_id == race["product_id"])).scalar_one()
        orders = db.session.execute(sa.select(sa.func.count(Order.id))).scalar_one()
        return orders, row.on_hand, row.reserved


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_forty_sessions_five_units(live_server_factory, backend):
    from storefront.orders import place_order

    server = live_server_factory(backend, seed=seed)
    app, race = server.app, server.app.config["RACE"]

    def buy(user_id):
        place_order(db.session.get(User, user_id), lines=[{"sku": "HS-LAST", "quantity": 1}],
                    fulfillment={"method": "pickup", "center_id": race["center_id"]},
                    payment_method="pay_at_pickup")
        return "won"

    results = race_in_sessions(app, buy, [uid for uid, _ in race["tokens"]],
                               refused=InsufficientStock, refused_as="sold_out")
    assert results.count("won") == UNITS and results.count("sold_out") == BUYERS - UNITS
    assert outcome(app) == (UNITS, UNITS, UNITS)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_forty_http_requests_five_units(live_server_factory, backend):
    server = live_server_factory(backend, seed=seed)
    race = server.app.config["RACE"]
    body = json.dumps({"lines": [{"sku": "HS-LAST", "quantity": 1}],
                       "fulfillment": {"method": "pickup", "center_id": race["center_id"]},
                       "payment_method": "pay_at_pickup"}).encode()
    results = post_together(f"{server.url}/api/v1/orders",
                            [(token, body) for _, token in race["tokens"]], app=server.app)
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] * UNITS + [409] * (BUYERS - UNITS)
    assert all(body["code"] == "insufficient_stock" for status, body in results if status == 409)
    assert outcome(server.app) == (UNITS, UNITS, UNITS)
