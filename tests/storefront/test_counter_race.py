"""The last unit at a store, on SQLite and PostgreSQL: two clerks selling it at the same
moment sell it once; a counter sale and a web order racing for it, exactly one wins."""

import pytest
import sqlalchemy as sa

from core.extensions import db
from core.models import Role, User
from fulfillment.errors import InsufficientStock
from fulfillment.ledger import verify_ledger
from fulfillment.models import Center, Stock
from storefront.counter.sales import sell_at_counter
from storefront.models import Order
from storefront.orders import place_order
from tests.support.race import race_in_sessions
from tests.support.stores import store_holding


def seed(app):
    """A store holding one unit, two of its clerks and a shopper (ids kept on the app)."""
    product, store = store_holding("HS-LAST-1", 1, code="RACE-C")
    people = []
    for i, role in enumerate((Role.STAFF, Role.STAFF, Role.CUSTOMER)):
        user = User(email=f"p{i}@example.com", name=f"P{i}", role=role,
                    center_id=store.id if role == Role.STAFF else None)
        user.password_hash = "x"
        db.session.add(user)
        db.session.flush()
        people.append(user.id)
    app.config["RACE"] = {"store": store.id, "product": product.id, "people": people}


def outcome(app):
    with app.app_context():
        race = app.config["RACE"]
        row = db.session.execute(sa.select(Stock.on_hand, Stock.reserved).where(
            Stock.product_id == race["product"])).one()
        by_channel = dict(db.session.execute(sa.select(Order.channel, sa.func.count(Order.id))
                                             .group_by(Order.channel)).all())
        return tuple(row), by_channel, verify_ledger()


def counter_sale(user_id):
    clerk = db.session.get(User, user_id)
    sell_at_counter(db.session.get(Center, clerk.center_id), clerk,
                    [{"sku": "HS-LAST-1", "quantity": 1}],
                    payments=[{"method": "cash", "amount": 98800, "tendered": 100000}])
    return "counter"


def web_order(user_id):
    user = db.session.get(User, user_id)
    store = db.session.execute(sa.select(Center).where(Center.code == "RACE-C")).scalar_one()
    place_order(user, lines=[{"sku": "HS-LAST-1", "quantity": 1}],
                fulfillment={"method": "pickup", "center_id": store.id},
                payment_method="pay_at_pickup")
    return "web"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_clerks_sell_the_last_unit_once(live_server_factory, backend):
    server = live_server_factory(backend, seed=seed)
    clerks = server.app.config["RACE"]["people"][:2]
    results = race_in_sessions(server.app, counter_sale, clerks,
                               refused=InsufficientStock, refused_as="sold_out")
    assert sorted(results) == ["counter", "sold_out"]
    assert outcome(server.app) == ((0, 0), {"store": 1}, [])


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_counter_sale_and_a_web_order_race_for_the_last_unit(live_server_factory, backend):
    server = live_server_factory(backend, seed=seed)
    clerk, _, shopper = server.app.config["RACE"]["people"]

    def attempt(who):
        return counter_sale(clerk) if who == "counter" else web_order(shopper)

    results = race_in_sessions(server.app, attempt, ["counter", "web"],
                               refused=InsufficientStock, refused_as="sold_out")
    assert results.count("sold_out") == 1
    (on_hand, reserved), by_channel, problems = outcome(server.app)
    won = next(r for r in results if r != "sold_out")
    if won == "counter":
        assert (on_hand, reserved, by_channel) == (0, 0, {"store": 1})
    else:
        assert (on_hand, reserved, by_channel) == (1, 1, {"web": 1})
    assert problems == []


def seed_receipt(app):
    """An anonymous sale of the one unit, and two shoppers with its receipt (ids on the app)."""
    seed(app)
    race = app.config["RACE"]
    clerk = db.session.get(User, race["people"][0])
    order = sell_at_counter(db.session.get(Center, race["store"]), clerk,
                            [{"sku": "HS-LAST-1", "quantity": 1}],
                            payments=[{"method": "cash", "amount": 98800}])
    shoppers = [race["people"][2]]
    user = User(email="p9@example.com", name="P9", role=Role.CUSTOMER)
    user.password_hash = "x"
    db.session.add(user)
    db.session.flush()
    shoppers.append(user.id)
    race.update(order=order.id, shoppers=shoppers)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_shoppers_claim_one_receipt_once(live_server_factory, backend):
    from storefront.counter.claims import AlreadyClaimed, claim_sale

    server = live_server_factory(backend, seed=seed_receipt)
    race = server.app.config["RACE"]

    def claim(user_id):
        claim_sale(db.session.get(Order, race["order"]), db.session.get(User, user_id))
        return user_id

    results = race_in_sessions(server.app, claim, race["shoppers"], refused=AlreadyClaimed,
                               refused_as="taken")
    assert results.count("taken") == 1
    winner = next(r for r in results if r != "taken")
    with server.app.app_context():
        assert db.session.get(Order, race["order"]).user_id == winner


def seed_two_stores(app):
    """``seed``, and a second store without the product, with a clerk of its own."""
    seed(app)
    race = app.config["RACE"]
    other = Center(code="RACE-D", name_zh="竞赛二店", is_pickup=True, province="上海市",
                   city="上海市", district="徐汇区", address_zh="漕溪北路1号", lat=31.19,
                   lng=121.43)
    db.session.add(other)
    db.session.flush()
    clerk = User(email="p8@example.com", name="P8", role=Role.STAFF, center_id=other.id)
    clerk.password_hash = "x"
    db.session.add(clerk)
    db.session.flush()
    race.update(other_clerk=clerk.id)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_counter_sale_and_a_sale_for_collection_elsewhere_race_for_the_last_unit(
        live_server_factory, backend):
    """The store's clerk sells its last unit while another store's clerk sells the same unit
    to be transferred there: it is reserved once, sold once, the ledger exact."""
    from fulfillment.models import Transfer
    from storefront.counter.aisle import sell_for_transfer

    server = live_server_factory(backend, seed=seed_two_stores)
    race = server.app.config["RACE"]

    def attempt(who):
        if who == "counter":
            return counter_sale(race["people"][0])
        clerk = db.session.get(User, race["other_clerk"])
        sell_for_transfer(db.session.get(Center, clerk.center_id), clerk,
                          [{"sku": "HS-LAST-1", "quantity": 1}],
                          payments=[{"method": "wechat_scan"}],
                          contact={"phone": "13900000002"})
        return "transfer"

    results = race_in_sessions(server.app, attempt, ["counter", "transfer"],
                               refused=InsufficientStock, refused_as="sold_out")
    assert results.count("sold_out") == 1
    (on_hand, reserved), by_channel, problems = outcome(server.app)
    assert by_channel == {"store": 1} and problems == []
    with server.app.app_context():
        transfers = db.session.execute(sa.select(Transfer.status)).scalars().all()
    if "counter" in results:
        assert ((on_hand, reserved), transfers) == ((0, 0), [])
    else:
        assert ((on_hand, reserved), transfers) == ((1, 1), ["requested"])
