"""A worker refreshes its buyers' figures together (``CRM_FIGURES_BATCH_SECONDS``): the
orders of a moment cost one refresh, made by the worker's refresher thread after the
answers, and every order is counted."""

import contextlib
import json
import threading
import time
import urllib.request
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from core.config import load_config
from core.extensions import db
from core.models import ApiToken
from crm.customers import refresh
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


class _Clock:
    """A clock the test moves: the refresher's sleeps and refreshes take no real time."""

    def __init__(self):
        self.now = 100.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.mark.parametrize(("share", "gathers"), [(0.1, [0.5, 0.5, 2.7, 0.5]),
                                                (0.5, [0.5, 0.5, 0.5, 0.5]),
                                                (1.0, [0.5, 0.5, 0.5, 0.5])])
def test_a_refresher_spends_at_most_its_share_of_the_time_refreshing(
        monkeypatch, share, gathers):
    clock = _Clock()
    took = iter([0.01, 0.3, 0.02, 0.01])
    refreshed: list[list[int]] = []

    def refresh_now(user_ids):  # a refresh of returning buyers: 0.3 s once
        refreshed.append(user_ids)
        clock.now += next(took)

    monkeypatch.setattr(refresh, "_refresh_now", refresh_now)
    app = SimpleNamespace(config={"CRM_FIGURES_REFRESH_SHARE": share},
                          app_context=contextlib.nullcontext)
    refresher = refresh._Refresher(app, clock=lambda: clock.now, sleep=clock.sleep)
    for buyers in ([2, 1], [3], [1], [4]):
        refresher.add(buyers)
        refresher.refresh_once(0.5)
    # after the 0.3 s refresh, a tenth of the time: 2.7 s gathered before the next
    assert clock.slept == pytest.approx(gathers)
    assert refreshed == [[1, 2], [3], [1], [4]]


def test_a_refresher_with_nobody_waiting_refreshes_nothing(monkeypatch):
    clock = _Clock()
    monkeypatch.setattr(refresh, "_refresh_now", lambda user_ids: pytest.fail("refreshed"))
    app = SimpleNamespace(config={"CRM_FIGURES_REFRESH_SHARE": 0.1},
                          app_context=contextlib.nullcontext)
    refresh._Refresher(app, clock=lambda: clock.now, sleep=clock.sleep).refresh_once(0.5)
    assert clock.slept == [0.5]


@pytest.mark.parametrize("given", ["0", "1.5", "-0.1", "a tenth"])
def test_the_refresh_share_must_be_above_0_and_at_most_1(monkeypatch, tmp_path, given):
    monkeypatch.setenv("CRM_FIGURES_REFRESH_SHARE", given)
    with pytest.raises(ValueError, match="CRM_FIGURES_REFRESH_SHARE"):
        load_config(str(tmp_path))
