"""Overload is polite: a checkout that cannot get its stock row in time is told to come
back (503 ``busy`` with ``Retry-After``) and nothing of it stays."""

import sqlite3
import threading
import time

import pytest
import sqlalchemy as sa

from core.database import is_busy_error
from core.extensions import db
from core.models import ApiToken
from fulfillment.ledger import verify_ledger
from fulfillment.models import Stock
from storefront.models import Order
from tests.support.stores import shopper, store_holding

BODY = {"lines": [{"sku": "HS-DROP-1", "quantity": 1}], "payment_method": "pay_at_pickup"}


def seed(app):
    product, store = store_holding("HS-DROP-1", 50, code="DROP-C", price=68800)
    _, token = ApiToken.issue(shopper("drop@example.com"), 1)
    app.config["DROP"] = {"store": store.id, "product": product.id, "token": token}


def test_a_checkout_waiting_too_long_for_the_hot_row_is_told_to_retry(live_server_factory):
    app = live_server_factory("postgresql", seed=seed, CHECKOUT_LOCK_WAIT_MS=300).app
    drop = app.config["DROP"]
    body = dict(BODY, fulfillment={"method": "pickup", "center_id": drop["store"]})
    headers = {"Authorization": f"Bearer {drop['token']}"}
    client = app.test_client()
    with app.app_context():
        holder = db.engine.connect()  # another checkout, holding the row
        held = holder.begin()
        holder.execute(sa.text("SELECT 1 FROM stock WHERE product_id = :p FOR UPDATE"),
                       {"p": drop["product"]})
    # the holder lets go after 5 s at the latest, so a checkout that waits on finishes
    let_go = threading.Lock()

    def release():
        with let_go:
            if not holder.closed:
                held.rollback()
                holder.close()

    timer = threading.Timer(5, release)
    timer.start()
    started = time.monotonic()
    response = client.post("/api/v1/orders", json=body, headers=headers)
    waited = time.monotonic() - started
    timer.cancel()
    release()
    assert response.status_code == 503
    assert response.get_json()["code"] == "busy"
    assert response.headers["Retry-After"] == "1"
    assert waited < 3  # told at once, not after a long queue
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(Order)).scalar() == 0
        assert db.session.execute(sa.select(Stock.reserved)).scalar_one() == 0
    again = client.post("/api/v1/orders", json=body, headers=headers)
    assert again.status_code == 201  # once the row is free, the same request goes through
    with app.app_context():
        assert db.session.execute(sa.select(Stock.reserved)).scalar_one() == 1
        assert verify_ledger() == []


@pytest.mark.parametrize(("error", "busy"), [
    (sqlite3.OperationalError("database is locked"), True),
    (sqlite3.OperationalError("no such table: orders"), False),
])
def test_sqlite_busy_is_busy_and_other_errors_are_faults(error, busy):
    wrapped = sa.exc.OperationalError("INSERT ...", {}, error)
    assert is_busy_error(wrapped) is busy
