"""A worker refreshes its buyers' figures together (``CRM_FIGURES_BATCH_SECONDS``): the
orders of a moment cost one refresh, made by the worker's refresher thread after the
answers, and every order is counted."""

import json
import threading
import time
import urllib.request

import pytest
import sqlalchemy as sa

from core.extensions import db
from core.models import ApiToken
from crm.customers.models import Customer, FiguresDue
from tests.support.stores import shopper, store_holding

PRICE = 10000


def seed(app):
    _, store = store_holding("HS-BATCH-1", 50, code="BATCH-C", price=PRICE)
    tokens = {}
    for name in ("first", "second"):
        buyer = shopper(f"{name}@example.com")
        tokens[name] = (buyer.id, ApiToken.issue(buyer, 1)[1])
    app.config["BATCH"] = {"store": store.id, "tokens": tokens}


def place(server, token: str) -> int:
    body = {"lines": [{"sku": "HS-BATCH-1", "quantity": 1}],
            "fulfillment": {"method": "pickup", "center_id": server.app.config["BATCH"]["store"]},
            "payment_method": "pay_at_pickup"}
    request = urllib.request.Request(
        server.url + "/api/v1/orders", data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


def figures(app) -> tuple[dict, int]:
    with app.app_context():
        counted = dict(db.session.execute(sa.select(Customer.user_id, Customer.orders_count)
                                          .where(Customer.orders_count > 0)).all())
        due = db.session.execute(sa.select(sa.func.count()).select_from(FiguresDue)).scalar()
    return counted, due


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_orders_of_a_moment_are_counted_by_one_refresh_after_the_answers(
        live_server_factory, backend):
    server = live_server_factory(backend, seed=seed, CRM_FIGURES_BATCH_SECONDS=3)
    app = server.app
    (first, first_token), (second, second_token) = app.config["BATCH"]["tokens"].values()
    refreshes: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().startswith("UPDATE customers"):
            refreshes.append(threading.current_thread().name)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        statuses = [place(server, token)
                    for token in (first_token, second_token, first_token, first_token)]
        assert statuses == [201] * 4
        deadline = time.monotonic() + 20
        while figures(app) != ({first: 3, second: 1}, 0) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert figures(app) == ({first: 3, second: 1}, 0)
    # not the requests: the refresher, once or twice for four orders (a slow machine may
    # split the moment in two)
    assert refreshes and set(refreshes) == {"crm-figures"}
    assert len(refreshes) <= 2
