"""The no-show job and a clerk's hand-over reach for the same pickup at once: the goods go
to the shopper or back to stock, never both (SQLite, PostgreSQL)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.clock import utcnow
from core.errors import IllegalTransition
from core.extensions import db
from core.models import User
from fulfillment.ledger import verify_ledger
from fulfillment.models import Center, Fulfillment, Stock
from storefront.models import Category, Order, Product
from tests.support.race import race_in_sessions

ROUNDS = 4  # pickups raced, one job and one clerk each


def seed(app):
    from fulfillment import services
    from storefront.orders import place_order

    category = Category(slug="gift", name_zh="礼盒")
    product = Product(sku="GB-NS", slug="gb-ns", name_zh="海参礼盒", price_amount=58800,
                      category=category)
    center = Center(code="NSR", name_zh="取货店", is_pickup=True, province="上海市",
                    city="上海市", district="静安区", address_zh="南京西路9号", lat=31.2, lng=121.4)
    shopper = User(email="late@example.com", name="顾客", role="customer", password_hash="x")
    db.session.add_all([product, center, shopper])
    db.session.flush()
    clerk = User(email="desk@example.com", name="店员", role="staff", center_id=center.id,
                 password_hash="x")
    db.session.add_all([clerk, Stock(center_id=center.id, product_id=product.id, on_hand=0,
                                     reserved=0)])
    db.session.flush()
    services.set_stock(center.id, product.id, 20, clerk)  # with its ledger movement
    pickups = []
    for _ in range(ROUNDS):
        order = place_order(shopper, lines=[{"sku": "GB-NS", "quantity": 2}],
                            fulfillment={"method": "pickup", "center_id": center.id},
                            payment_method="pay_at_pickup")
        f = services.mark_ready(order.fulfillment, clerk)
        pickups.append((f.id, f.pickup_code))
    # Another order's reservation on the same stock row: a double release would not be
    # stopped by the reserved >= 0 check, so only the lock keeps the count right.
    place_order(shopper, lines=[{"sku": "GB-NS", "quantity": 3}],
                fulfillment={"method": "pickup", "center_id": center.id},
                payment_method="pay_at_pickup")
    app.config["RACE"] = {"pickups": pickups, "clerk": clerk.id}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_late_shopper_and_the_no_show_job_never_both_win(live_server_factory, backend):
    from fulfillment.pickup import collect, release_no_shows

    server = live_server_factory(backend, seed=seed)
    app, race = server.app, server.app.config["RACE"]
    handed = released = 0
    for fid, code in race["pickups"]:
        with app.app_context():  # this round's pickup is a week and a day uncollected
            db.session.get(Fulfillment, fid).ready_at = utcnow() - timedelta(days=8)
            db.session.commit()

        def attempt(who, fid=fid, code=code):
            if who == "job":
                return release_no_shows(utcnow())
            f = db.session.get(Fulfillment, fid)  # as the desk page and the staff API do
            collect(f, code, db.session.get(User, race["clerk"]), collected={"method": "cash"})
            return "handed over"

        job, desk = race_in_sessions(app, attempt, ["job", "desk"], refused=IllegalTransition,
                                     refused_as="refused")
        if desk == "handed over":
            handed += 1
            assert job.startswith("0 "), job  # the job found it gone
        else:
            released += 1
            assert desk == "refused" and job.startswith("1 "), (desk, job)
    with app.app_context():
        states = sorted(db.session.execute(sa.select(Fulfillment.status).where(
            Fulfillment.id.in_([fid for fid, _ in race["pickups"]]))).scalars())
        assert states == sorted(["picked_up"] * handed + ["cancelled"] * released)
        stock = db.session.execute(sa.select(Stock)).scalar_one()
        assert (stock.on_hand, stock.reserved) == (20 - 2 * handed, 3)
        assert verify_ledger() == []


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_no_show_job_and_a_clerks_cancel_at_once_release_once(live_server_factory, backend):
    """Both take the order, the fulfillment and the stock: in the same order, so neither
    deadlocks, and the pickup's units go back to stock once."""
    from fulfillment.pickup import release_no_shows
    from storefront.orders import cancel_order

    server = live_server_factory(backend, seed=seed)
    app, race = server.app, server.app.config["RACE"]
    for fid, _code in race["pickups"]:
        with app.app_context():
            db.session.get(Fulfillment, fid).ready_at = utcnow() - timedelta(days=8)
            db.session.commit()

        def attempt(who, fid=fid):
            if who == "job":
                return release_no_shows(utcnow())
            order_id = db.session.get(Fulfillment, fid).order_id
            cancel_order(db.session.get(Order, order_id), db.session.get(User, race["clerk"]))
            return "cancelled"

        job, desk = race_in_sessions(app, attempt, ["job", "desk"], refused=IllegalTransition,
                                     refused_as="refused")
        assert (job, desk) in (("0 uncollected pickup(s) returned to stock", "cancelled"),
                               ("1 uncollected pickup(s) returned to stock", "refused"))
    with app.app_context():
        states = set(db.session.execute(sa.select(Fulfillment.status).where(
            Fulfillment.id.in_([fid for fid, _ in race["pickups"]]))).scalars())
        assert states == {"cancelled"}
        stock = db.session.execute(sa.select(Stock)).scalar_one()
        assert (stock.on_hand, stock.reserved) == (20, 3)
        assert verify_ledger() == []
