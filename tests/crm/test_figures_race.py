"""No order is lost to the CRM figures when a refresh and an order of the same shopper
cross, and the order never waits for the refresh: a refresh holds no mark while it
computes, and leaves a mark the order re-armed for the next refresh, which counts it
(PostgreSQL; SQLite runs one writer at a time)."""

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


def _figures(app, shopper) -> tuple[int, int]:
    """The shopper's order count in the CRM, and the marks left."""
    with app.app_context():
        count = db.session.execute(sa.select(Customer.orders_count).where(
            Customer.user_id == shopper)).scalar_one()
        left = db.session.execute(sa.select(sa.func.count()).select_from(FiguresDue)).scalar()
    return count, left


def _refresh(app, shopper) -> int:
    with app.app_context():
        done = refresh_due([shopper])
        db.session.commit()
        return done


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

    placing = threading.Thread(target=second_order)
    placing.start()
    assert marked.wait(10)
    refreshing = threading.Thread(target=lambda: refreshed.append(_refresh(app, shopper)))
    refreshing.start()
    time.sleep(0.5)
    # the refresh counted the first order and, clearing the marks last, waits on the one the
    # open order re-armed: once that commits, the mark is no longer the one it read
    assert refreshing.is_alive()
    go.set()
    placing.join(10)
    refreshing.join(10)
    assert refreshed == [1]
    assert _figures(app, shopper) == (1, 1)  # the second order's mark stays
    assert _refresh(app, shopper) == 1
    assert _figures(app, shopper) == (2, 0)


def test_an_order_does_not_wait_for_its_buyer_s_refresh(live_server_factory, monkeypatch):
    """In a flash sale a shopper's figures take a while to compute: their next order goes
    through meanwhile, and the refresh that was running leaves that order's mark."""
    from crm.customers import refresh

    app = live_server_factory("postgresql", seed=seed, CRM_FIGURES_AFTER_REQUEST=False).app
    shopper = app.config["TWICE"]["shopper"]
    with app.test_request_context("/"):
        order(app)
        db.session.commit()
    computing, go, refreshed = threading.Event(), threading.Event(), []
    compute = refresh.refresh_buyers

    def slow_refresh_buyers(*args, **kwargs):
        compute(*args, **kwargs)
        computing.set()
        go.wait(10)  # the figures of a shopper with thousands of orders

    monkeypatch.setattr(refresh, "refresh_buyers", slow_refresh_buyers)
    refreshing = threading.Thread(target=lambda: refreshed.append(_refresh(app, shopper)))
    refreshing.start()
    assert computing.wait(10)

    def second_order():
        with app.test_request_context("/"):
            order(app)
            db.session.commit()

    placing = threading.Thread(target=second_order)
    placing.start()
    placing.join(5)
    try:
        assert not placing.is_alive()  # placed while the refresh still computes
    finally:
        go.set()
        placing.join(10)
        refreshing.join(10)
    assert refreshed == [1]
    assert _figures(app, shopper) == (1, 1)
    monkeypatch.setattr(refresh, "refresh_buyers", compute)
    assert _refresh(app, shopper) == 1
    assert _figures(app, shopper) == (2, 0)
