"""No order is lost to the CRM figures when two of one shopper's orders cross: a refresh
that takes the buyer's mark while another of their orders is being placed waits for that
order's commit and counts it (PostgreSQL; SQLite runs one writer at a time)."""

import threading
import time

import sqlalchemy as sa

from core.extensions import db
from core.models import User
from crm.customers.models import Customer, FiguresDue
from crm.customers.refresh import refresh_due
from storefront.orders import place_order
from tests.support.stores import shopper, store_holding


def seed(app):
    _, store = store_holding("HS-TWICE-1", 10, code="TWICE-C", price=10000)
    app.config["TWICE"] = {"store": store.id, "shopper": shopper("twice@example.com").id}


def order(app):
    twice = app.config["TWICE"]
    return place_order(db.session.get(User, twice["shopper"]),
                       lines=[{"sku": "HS-TWICE-1", "quantity": 1}],
                       fulfillment={"method": "pickup", "center_id": twice["store"]},
                       payment_method="pay_at_pickup")


def test_an_order_placed_while_its_buyer_is_refreshed_is_counted(live_server_factory):
    app = live_server_factory("postgresql", seed=seed, CRM_FIGURES_AFTER_REQUEST=False).app
    shopper = app.config["TWICE"]["shopper"]
    with app.test_request_context("/"):  # the first order, committed with its mark
        order(app)
        db.session.commit()
    marked, go, refreshed = threading.Event(), threading.Event(), []

    def second_order():
        with app.test_request_context("/"):
            order(app)  # re-arms the mark, in its still open transaction
            marked.set()
            go.wait(10)
            db.session.commit()

    def the_first_orders_refresh():
        with app.app_context():
            refreshed.append(refresh_due([shopper]))
            db.session.commit()

    placing = threading.Thread(target=second_order)
    placing.start()
    assert marked.wait(10)
    refreshing = threading.Thread(target=the_first_orders_refresh)
    refreshing.start()
    time.sleep(0.5)
    assert refreshing.is_alive()  # it waits for the order holding the mark
    go.set()
    placing.join(10)
    refreshing.join(10)
    assert refreshed == [1]
    with app.app_context():
        count = db.session.execute(sa.select(Customer.orders_count).where(
            Customer.user_id == shopper)).scalar_one()
        left = db.session.execute(sa.select(sa.func.count()).select_from(FiguresDue)).scalar()
    assert (count, left) == (2, 0)
