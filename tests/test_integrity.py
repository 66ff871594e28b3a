"""Integrity under load and failure: 100 checkouts for mixed products across three centers
and limited slots (SQLite and PostgreSQL, real HTTP), and a failure inside the transaction
after the first line was reserved.
"""

import json
import random
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.clock import utcnow
from core.extensions import db
from core.models import ApiToken, User
from fulfillment.ledger import verify_ledger
from fulfillment.models import Center, Fulfillment, FulfillmentLine, Slot, Stock
from storefront.models import Category, Order, Product
from tests.support.race import post_together

BUYERS = 100
CODES = ("IA", "IB", "IC")


def seed(app):
    category = Category(slug="mix", name_zh="混合")
    products = [Product(sku=f"MIX-{i}", slug=f"mix-{i}", name_zh=f"商品{i}",
                        price_amount=5000 + i * 1000, category=category) for i in range(4)]
    db.session.add_all(products)
    centers = [Center(code=code, name_zh=f"店{code}", is_pickup=True, province="上海市",
                      city="上海市", district="静安区", address_zh="路1号", lat=31.2 + i / 100,
                      lng=121.4) for i, code in enumerate(CODES)]
    db.session.add_all(centers)
    db.session.flush()
    from fulfillment.ledger import record_movement

    rng = random.Random(7)
    for c in centers:
        for p in products:
            units = rng.randint(3, 12)
            db.session.add(Stock(center_id=c.id, product_id=p.id, on_hand=units, reserved=0))
            record_movement(c.id, p.id, "received", on_hand=units, reason="seed")
    start = utcnow() + timedelta(days=1)
    slots = {}
    for c in centers:
        slots[c.id] = []
        for k in range(2):
            slot = Slot(center_id=c.id, kind="pickup", starts_at=start + timedelta(hours=2 * k),
                        ends_at=start + timedelta(hours=2 * k + 1), capacity=6, taken=0)
            db.session.add(slot)
            db.session.flush()
            slots[c.id].append(slot.id)
    tokens = []
    for i in range(BUYERS):
        user = User(email=f"mix{i}@example.com", name=f"Buyer {i}", role="customer")
        user.password_hash = "x"
        db.session.add(user)
        db.session.flush()
        tokens.append(ApiToken.issue(user, 1)[1])
    app.config["MIX"] = {"centers": [c.id for c in centers], "slots": slots,
                         "skus": [p.sku for p in products], "tokens": tokens}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_hundred_checkouts_nothing_over_committed(live_server_factory, backend):
    server = live_server_factory(backend, seed=seed)
    mix = server.app.config["MIX"]
    rng = random.Random(11)
    bodies = []
    for _ in range(BUYERS):
        center = rng.choice(mix["centers"])
        lines = [{"sku": sku, "quantity": rng.randint(1, 3)}
                 for sku in rng.sample(mix["skus"], rng.randint(1, 3))]
        body = {"lines": lines, "fulfillment": {"method": "pickup", "center_id": center},
                "payment_method": "pay_at_pickup"}
        if rng.random() < 0.8:
            body["slot_id"] = rng.choice(mix["slots"][center])
        bodies.append(json.dumps(body).encode())
    results = post_together(f"{server.url}/api/v1/orders",
                            list(zip(mix["tokens"], bodies, strict=True)), app=server.app,
                            timeout=120)
    statuses = Counter(status for status, _ in results)
    assert set(statuses) <= {201, 409}, statuses
    assert statuses[201] > 0 and statuses[409] > 0
    for status, body in results:
        if status == 409:
            assert body["code"] in ("insufficient_stock", "slot_unavailable")
            assert body["message"]
            if body["code"] == "insufficient_stock":
                assert body["lines"] and all(ln["sku"] for ln in body["lines"])
    with server.app.app_context():
        assert verify_ledger() == []
        reserved = dict(((c, p), r) for c, p, r in db.session.execute(
            sa.select(Stock.center_id, Stock.product_id, Stock.reserved)))
        ordered = Counter()
        for c, p, q in db.session.execute(
                sa.select(Fulfillment.center_id, FulfillmentLine.product_id,
                          FulfillmentLine.quantity).join(FulfillmentLine.fulfillment)):
            ordered[(c, p)] += q
        assert {k: v for k, v in reserved.items() if v} == dict(ordered)
        assert all(s.on_hand >= s.reserved >= 0
                   for s in db.session.execute(sa.select(Stock)).scalars())
        held = Counter(db.session.execute(
            sa.select(Fulfillment.slot_id).where(Fulfillment.slot_id.is_not(None))).scalars())
        for slot in db.session.execute(sa.select(Slot)).scalars():
            assert slot.taken == held[slot.id] <= slot.capacity
        assert db.session.execute(sa.select(sa.func.count(Order.id))).scalar_one() \
            == statuses[201]


def test_a_failure_after_the_first_line_leaves_nothing(client, session, shop, token_for,
                                                       monkeypatch):
    """A worker dying mid-checkout, simulated by an error after the first line is reserved."""
    from fulfillment import services

    headers = token_for(shop.shopper)
    session.commit()
    real = services.record_movement
    calls = []

    def dies_on_the_second_line(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "record_movement", dies_on_the_second_line)

    def state():
        session.expire_all()
        return (session.execute(sa.select(sa.func.count(Order.id))).scalar_one(),
                session.execute(sa.select(sa.func.count(Fulfillment.id))).scalar_one(),
                sorted(session.execute(sa.select(Stock.center_id, Stock.product_id,
                                                 Stock.reserved)).all()))

    before = state()
    response = client.post("/api/v1/orders", headers=headers, json={
        "lines": [{"sku": shop.products[0].sku, "quantity": 1},
                  {"sku": shop.products[1].sku, "quantity": 2}],
        "fulfillment": {"method": "pickup", "center_id": shop.store.id},
        "payment_method": "pay_at_pickup"})
    assert response.status_code == 500 and response.get_json()["code"] == "internal_error"
    assert len(calls) == 2  # the first line was reserved before the failure
    assert state() == before
    assert verify_ledger() == []
