"""The order confirmation goes through the outbox: the order's number and what happens next
(pickup: the store, the code, the deadline; delivery; courier), by SMS and e-mail, once."""

import sqlalchemy as sa

from core.signals import order_paid
from crm.customers.services import customer_for_user
from crm.outreach.confirmations import notify_order_confirmed
from crm.outreach.models import OutboxMessage
from storefront.orders import place_order
from tests.conftest import delivery_address


def confirmations(session, order):
    return session.execute(sa.select(OutboxMessage).where(
        OutboxMessage.kind == "order_confirmed",
        OutboxMessage.dedupe_key.like(f"confirmed:{order.id}:%"))
        .order_by(OutboxMessage.channel)).scalars().all()


def test_a_pickup_order_is_confirmed_with_what_happens_next(session, shop):
    shop.shopper.phone = "13800001234"
    order = place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                        fulfillment={"method": "pickup", "center_id": shop.store.id},
                        payment_method="pay_at_pickup")
    email, sms = confirmations(session, order)
    assert (email.channel, sms.channel) == ("email", "sms")
    assert email.purpose == "service" and email.to == shop.shopper.email
    for message in (email, sms):
        assert order.number in message.body and order.number in message.subject
        assert "取货码" in message.body and "7 天" in message.body  # the code, the deadline
        assert "¥128.00" in message.body  # paid at the desk
    assert sms.body.startswith("【")
    assert notify_order_confirmed(order) == []  # once
    # the customer the messages count against, looked up by the INSERT itself
    customer = customer_for_user(shop.shopper.id)
    session.expire_all()
    assert customer is not None
    assert {m.customer_id for m in confirmations(session, order)} == {customer.id}


def test_a_delivery_order_says_who_delivers(session, shop):
    order = place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                        fulfillment={"method": "delivery", "address": delivery_address()},
                        payment_method="cash_on_delivery")
    (email,) = [m for m in confirmations(session, order) if m.channel == "email"]
    assert "配送" in email.body and order.number in email.body


def test_an_online_order_is_confirmed_once_paid(session, shop, app, monkeypatch):
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_placing_only")
    order = place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                        fulfillment={"method": "pickup", "center_id": shop.store.id},
                        payment_method="stripe")
    assert confirmations(session, order) == []
    order.status, order.paid_amount = "paid", order.total_amount
    order_paid.send(order)
    bodies = [m.body for m in confirmations(session, order)]
    assert bodies and all("收货时请支付" not in b for b in bodies)  # nothing left to pay
