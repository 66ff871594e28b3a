"""Payments against a live server: localstripe's own webhook deliveries, and the race of the
expiry job with success webhooks and other buyers (threads, on SQLite and PostgreSQL)."""

import json
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.clock import utcnow
from core.extensions import db
from core.models import ApiToken, User
from fulfillment.models import Center, Stock
from storefront.models import Category, Order, Product
from storefront.payments import jobs as payment_jobs
from storefront.payments.models import Refund
from storefront.payments.refunds import execute_pending_refunds

from .localstripe import app_config, event, signed

API = "/api/v1"


def seed_for(units: int, buyers: int):
    def seed(app):
        category = Category(slug="haishen", name_zh="海参")
        product = Product(sku="HS-PAY", slug="pay-one", name_zh="辽参", price_amount=98800,
                          category=category)
        center = Center(code="PAY", name_zh="支付店", is_pickup=True, province="上海市",
                        city="上海市", district="静安区", address_zh="南京西路1号", lat=31.2,
                        lng=121.4)
        db.session.add_all([product, center])
        db.session.flush()
        db.session.add(Stock(center_id=center.id, product_id=product.id, on_hand=units,
                             reserved=0))
        tokens = []
        for i in range(buyers):
            user = User(email=f"payer{i}@example.com", name=f"Payer {i}", role="customer")
            user.password_hash = "x"
            db.session.add(user)
            db.session.flush()
            tokens.append(ApiToken.issue(user, 1)[1])
        app.config["PAY"] = {"center_id": center.id, "product_id": product.id,
                             "tokens": tokens}
    return seed


def call(server, method, path, token=None, body=None, headers=None, raw=None):
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    data = raw.encode() if raw is not None else (json.dumps(body).encode() if body else None)
    request = urllib.request.Request(server.url + path, data=data, method=method,
                                     headers=all_headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


def place_online(server, token):
    pay = server.app.config["PAY"]
    status, order = call(server, "POST", f"{API}/orders", token, {
        "lines": [{"sku": "HS-PAY", "quantity": 1}],
        "fulfillment": {"method": "pickup", "center_id": pay["center_id"]},
        "payment_method": "stripe"})
    assert status == 201, order
    status, intent = call(server, "POST", f"{API}/orders/{order['id']}/payment-intent", token)
    assert status == 200, intent
    return order, intent


def order_status(server, public_id):
    with server.app.app_context():
        try:
            return db.session.execute(sa.select(Order.status).where(
                Order.public_id == public_id)).scalar_one()
        finally:
            db.session.remove()


def test_localstripe_delivers_its_signed_webhook_to_the_shop(live_server_factory, fresh_stripe):
    server = live_server_factory("sqlite", seed=seed_for(5, 1), **app_config(fresh_stripe))
    fresh_stripe.request("POST", "/_config/webhooks/shop", {
        "url": f"{server.url}{API}/payments/stripe/webhook",
        "secret": app_config(fresh_stripe)["STRIPE_WEBHOOK_SECRET"],
        "events": ["payment_intent.succeeded", "payment_intent.payment_failed"]})
    order, intent = place_online(server, server.app.config["PAY"]["tokens"][0])
    client = fresh_stripe.client()
    client.v1.payment_intents.update(intent["payment_intent_id"],
                                     params={"payment_method": "pm_card_visa"})
    assert client.v1.payment_intents.confirm(intent["payment_intent_id"])["status"] == "succeeded"
    # Nobody asks Stripe here: only localstripe's delivery can mark the order paid.
    deadline = time.monotonic() + 30
    while order_status(server, order["id"]) != "paid" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert order_status(server, order["id"]) == "paid"


ORDERS, UNITS = 6, 6


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_expiry_racing_success_never_leaves_paid_without_stock(live_server_factory, fresh_stripe,
                                                               backend):
    """Six online orders expire while their success webhooks arrive and six other buyers
    take the units the expiry releases: each online order ends paid with its stock
    reserved, or cancelled and refunded in full; never paid without stock."""
    server = live_server_factory(backend, seed=seed_for(UNITS, ORDERS * 2),
                                 **app_config(fresh_stripe))
    app, pay = server.app, server.app.config["PAY"]
    placed = [place_online(server, token) for token in pay["tokens"][:ORDERS]]
    client = fresh_stripe.client()
    events = []
    for order, intent in placed:
        client.v1.payment_intents.update(intent["payment_intent_id"],
                                         params={"payment_method": "pm_card_visa"})
        client.v1.payment_intents.confirm(intent["payment_intent_id"])
        obj = {"id": intent["payment_intent_id"], "object": "payment_intent",
               "status": "succeeded", "amount": 98800, "currency": "cny",
               "payment_method_types": ["card"], "metadata": {"order": order["id"]}}
        events.append(event("payment_intent.succeeded", obj))
    later = utcnow() + timedelta(minutes=app.config["PAYMENT_EXPIRY_MINUTES"] + 1)
    barrier = threading.Barrier(1 + ORDERS + ORDERS)

    def expire():
        with app.app_context():
            barrier.wait(timeout=60)
            try:
                return ("expiry", payment_jobs.expire_unpaid_orders(later))
            finally:
                db.session.remove()

    def webhook(evt):
        payload, headers = signed(evt)
        barrier.wait(timeout=60)
        return ("webhook",) + call(server, "POST", f"{API}/payments/stripe/webhook",
                                   headers=headers, raw=payload)

    def buy(token):
        barrier.wait(timeout=60)
        return ("buyer",) + call(server, "POST", f"{API}/orders", token, {
            "lines": [{"sku": "HS-PAY", "quantity": 1}],
            "fulfillment": {"method": "pickup", "center_id": pay["center_id"]},
            "payment_method": "pay_at_pickup"})

    with ThreadPoolExecutor(1 + 2 * ORDERS) as pool:
        jobs = [pool.submit(expire)] + [pool.submit(webhook, e) for e in events] + [
            pool.submit(buy, t) for t in pay["tokens"][ORDERS:]]
        results = [j.result() for j in jobs]
    assert all(r[1] == 200 for r in results if r[0] == "webhook"), results
    assert all(r[1] in (201, 409) for r in results if r[0] == "buyer"), results

    with app.app_context():
        execute_pending_refunds()  # what reconcile would retry, if anything is left
        db.session.expire_all()
        stock = db.session.execute(sa.select(Stock)).scalar_one()
        reserved_orders = 0
        for order, _intent in placed:
            row = db.session.execute(sa.select(Order).where(
                Order.public_id == order["id"])).scalar_one()
            refunds = db.session.execute(sa.select(Refund).where(
                Refund.order_id == row.id)).scalars().all()
            if row.status == "paid":
                assert row.fulfillment.status == "reserved" and not refunds
                reserved_orders += 1
            else:
                assert row.status == "cancelled"
                assert row.fulfillment.status == "cancelled"
                assert [(r.amount, r.status, r.reason) for r in refunds] == [
                    (98800, "succeeded", "late_payment")]
        buyers = db.session.execute(sa.select(sa.func.count(Order.id)).where(
            Order.payment_method == "pay_at_pickup")).scalar_one()
        assert stock.reserved == reserved_orders + buyers <= stock.on_hand == UNITS
        db.session.remove()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_same_event_three_times_at_once_has_one_effect(live_server_factory, fresh_stripe,
                                                           backend):
    server = live_server_factory(backend, seed=seed_for(5, 1), **app_config(fresh_stripe))
    order, intent = place_online(server, server.app.config["PAY"]["tokens"][0])
    obj = {"id": intent["payment_intent_id"], "object": "payment_intent", "status": "succeeded",
           "amount": 98800, "currency": "cny", "payment_method_types": ["alipay"],
           "metadata": {"order": order["id"]}}
    payload, headers = signed(event("payment_intent.succeeded", obj))
    barrier = threading.Barrier(3)

    def deliver(_):
        barrier.wait(timeout=60)
        return call(server, "POST", f"{API}/payments/stripe/webhook", headers=headers,
                    raw=payload)

    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(deliver, range(3)))
    assert sorted(body["outcome"] for status, body in results if status == 200) == [
        "duplicate", "duplicate", "paid"]
    with server.app.app_context():
        from storefront.payments.models import PaymentEvent, StripeEvent

        assert db.session.execute(sa.select(sa.func.count(StripeEvent.id))).scalar() == 1
        assert db.session.execute(sa.select(sa.func.count(PaymentEvent.id)).where(
            PaymentEvent.kind == "succeeded")).scalar() == 1
        db.session.remove()
