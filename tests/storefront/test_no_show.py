# ruff: noqa: F811
"""A pickup nobody collected closes its order: cancelled, and refunded in full when it was
paid online (through Stripe, here localstripe); running the job again changes nothing."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.clock import utcnow
from core.jobs import run_job
from fulfillment import services
from fulfillment.ledger import verify_ledger
from fulfillment.models import Fulfillment, Stock
from storefront.models import Order
from storefront.orders import place_order
from storefront.payments.models import PaymentEvent, Refund

# The payment tests' fixtures (a committed shop, an online order and its PaymentIntent),
# used here by name.
from .test_payments import _confirm, _login, _order, shop  # noqa: F401

pytestmark = pytest.mark.dates  # calendar rules: CI runs these shifted too


def _ready_long_ago(session, order: Order, clerk) -> Fulfillment:
    f = session.execute(sa.select(Fulfillment).where(Fulfillment.order_id == order.id)
                        ).scalar_one()
    services.mark_ready(f, clerk)
    f.ready_at = utcnow() - timedelta(days=8)
    session.commit()
    return f


def _paid(client, session, shop, online_order, stripe_on) -> Order:
    """The online order paid by card, as the shopper's return from the payment page sees."""
    assert _confirm(stripe_on, online_order["payment_intent_id"], "pm_card_visa")["status"] \
        == "succeeded"
    _login(client, shop.shopper)
    client.get(f"/orders/{online_order['id']}/payment-return")
    return _order(session, online_order["id"])


def _run_twice(app):
    return [(run_job("release_no_shows", utcnow()), run_job("pending_refunds", utcnow()))
            for _ in range(2)]


def _events(session, order):
    return [e.kind for e in session.execute(sa.select(PaymentEvent).where(
        PaymentEvent.order_id == order.id).order_by(PaymentEvent.id)).scalars()]


def _reserved(session, center, product):
    session.expire_all()
    return session.execute(sa.select(Stock.reserved).where(
        Stock.center_id == center.id, Stock.product_id == product.id)).scalar_one()


def test_paid_online_no_show_is_cancelled_and_refunded_once(client, session, shop, app,
                                                           online_order, stripe_on):
    order = _paid(client, session, shop, online_order, stripe_on)
    assert order.status == "paid"
    _ready_long_ago(session, order, shop.clerk)
    assert _reserved(session, shop.store, shop.products[0]) == 2

    first, second = _run_twice(app)
    assert first[0].startswith("1 ") and first[1].startswith("1 ")
    assert second[0].startswith("0 ") and second[1].startswith("0 ")
    order = _order(session, online_order["id"])
    assert order.status == "cancelled" and order.cancelled_at is not None
    refunds = session.execute(sa.select(Refund).where(Refund.order_id == order.id)).scalars().all()
    assert [(r.reason, r.status, r.amount, r.full, r.actor_id) for r in refunds] == [
        ("no_show", "succeeded", order.total_amount, True, None)]
    assert refunds[0].stripe_refund_id
    stripe_refunds = stripe_on.client().v1.refunds.list(
        params={"payment_intent": online_order["payment_intent_id"]})
    assert [r["amount"] for r in stripe_refunds.data] == [order.total_amount]
    assert _events(session, order)[-3:] == ["no_show", "refund_pending", "refund"]
    assert _reserved(session, shop.store, shop.products[0]) == 0
    page = client.get(f"/orders/{online_order['id']}").get_data(as_text=True)
    assert "Not collected in time" in page or "未按时取货" in page


def test_unpaid_offline_no_show_is_only_cancelled(session, shop, app, client):
    order = place_order(shop.shopper, lines=[{"sku": shop.products[1].sku, "quantity": 3}],
                        fulfillment={"method": "pickup", "center_id": shop.store.id},
                        payment_method="pay_at_pickup")
    _ready_long_ago(session, order, shop.clerk)
    _run_twice(app)
    session.expire_all()
    order = session.get(Order, order.id)
    assert order.status == "cancelled"
    assert session.execute(sa.select(sa.func.count(Refund.id)).where(
        Refund.order_id == order.id)).scalar_one() == 0
    assert _events(session, order) == ["no_show"]
    assert _reserved(session, shop.store, shop.products[1]) == 0


def test_an_order_already_closed_is_left_alone(session, shop, app):
    from core.signals import fulfillment_no_show

    order = place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                        fulfillment={"method": "pickup", "center_id": shop.store.id},
                        payment_method="pay_at_pickup")
    f = _ready_long_ago(session, order, shop.clerk)
    fulfillment_no_show.send(f)
    fulfillment_no_show.send(f)
    session.expire_all()
    assert session.get(Order, order.id).status == "cancelled"
    assert _events(session, session.get(Order, order.id)) == ["no_show"]


def _collect_part(session, f, clerk, lines, collected=None):
    from fulfillment import pickup

    pickup.collect(f, f.pickup_code, clerk, lines=lines, collected=collected)
    session.commit()


def test_paid_online_no_show_after_a_partial_collection_refunds_only_the_rest(
        client, session, shop, app, online_order, stripe_on):
    order = _paid(client, session, shop, online_order, stripe_on)
    f = _ready_long_ago(session, order, shop.clerk)
    _collect_part(session, f, shop.clerk, {f.lines[0].id: 1})  # one of the two units
    unit = order.lines[0].unit_price_amount

    first, second = _run_twice(app)
    assert first[0].startswith("1 ") and first[1].startswith("1 ")
    assert second[0].startswith("0 ") and second[1].startswith("0 ")
    order = _order(session, online_order["id"])
    assert order.status == "fulfilled" and order.cancelled_at is None
    assert (order.fulfillment.status, order.fulfillment.pickup_code) == ("picked_up", None)
    refunds = session.execute(sa.select(Refund).where(Refund.order_id == order.id)).scalars().all()
    assert [(r.reason, r.status, r.amount, r.full, r.actor_id) for r in refunds] == [
        ("no_show", "succeeded", unit, False, None)]
    assert [(ln.order_line_id, ln.quantity) for ln in refunds[0].lines] == [
        (order.lines[0].id, 1)]
    stripe_refunds = stripe_on.client().v1.refunds.list(
        params={"payment_intent": online_order["payment_intent_id"]})
    assert [r["amount"] for r in stripe_refunds.data] == [unit]
    assert "no_show" in _events(session, order) and _events(session, order)[-1] == "refund"
    assert _reserved(session, shop.store, shop.products[0]) == 0
    session.expire_all()
    assert session.execute(sa.select(Stock.on_hand).where(
        Stock.center_id == shop.store.id, Stock.product_id == shop.products[0].id)
    ).scalar_one() == 9  # the unit taken is sold, the other is back on the shelf


@pytest.mark.parametrize("closed_by", ["no_show", "cancelled"])
def test_pay_at_pickup_part_paid_then_closed_is_fulfilled_for_that_part(session, shop, app,
                                                                       closed_by):
    """The shopper took one line and paid for it at the desk, and never takes the rest: the
    job closes it (a no-show), or a clerk cancels it. Either way the money taken stays,
    nothing is refunded, and the rest goes back on the shelf."""
    from storefront.orders import cancel_order

    order = place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1},
                                             {"sku": shop.products[1].sku, "quantity": 2}],
                        fulfillment={"method": "pickup", "center_id": shop.store.id},
                        payment_method="pay_at_pickup")
    f = _ready_long_ago(session, order, shop.clerk)
    first = next(ln for ln in f.lines if ln.product_id == shop.products[0].id)
    price = shop.products[0].price_amount
    _collect_part(session, f, shop.clerk, {first.id: 1},
                  collected={"method": "wechat_scan", "amount": price})
    session.expire_all()
    assert session.get(Order, order.id).paid_amount == price

    if closed_by == "no_show":
        _run_twice(app)
    else:
        cancel_order(session.get(Order, order.id), shop.clerk)
        session.commit()
    session.expire_all()
    order = session.get(Order, order.id)
    assert (order.status, order.paid_amount) == ("fulfilled", price)
    assert order.cancelled_at is None and order.fulfilled_at is not None
    assert session.execute(sa.select(sa.func.count(Refund.id)).where(
        Refund.order_id == order.id)).scalar_one() == 0
    assert _events(session, order) == ["collected", closed_by]
    assert order.fulfillment.status == "picked_up"
    assert _reserved(session, shop.store, shop.products[1]) == 0
    assert verify_ledger() == []


def test_unpaid_online_order_part_collected_then_no_show_does_not_stop_the_job(
        client, session, shop, app, online_order, stripe_on):
    """A desk that handed over part of an online order nobody paid: the job still closes it
    (nothing left at the desk to release) and goes on with the other no-shows."""
    order = _order(session, online_order["id"])
    assert order.status == "pending_payment"
    f = _ready_long_ago(session, order, shop.clerk)
    _collect_part(session, f, shop.clerk, {f.lines[0].id: 1})
    other = place_order(shop.shopper, lines=[{"sku": shop.products[1].sku, "quantity": 1}],
                        fulfillment={"method": "pickup", "center_id": shop.store.id},
                        payment_method="pay_at_pickup")
    _ready_long_ago(session, other, shop.clerk)

    first, second = _run_twice(app)
    assert first[0].startswith("2 ") and second[0].startswith("0 ")
    session.expire_all()
    assert session.get(Order, other.id).status == "cancelled"
    order = _order(session, online_order["id"])
    assert order.status == "cancelled" and order.fulfillment.status == "picked_up"
    assert "no_show" in _events(session, order)
    assert verify_ledger() == []


def test_staff_cancel_of_an_online_order_after_a_partial_collection_refunds_the_rest(
        client, session, shop, app, online_order, stripe_on):
    from storefront.orders import cancel_order

    order = _paid(client, session, shop, online_order, stripe_on)
    f = _ready_long_ago(session, order, shop.clerk)
    _collect_part(session, f, shop.clerk, {f.lines[0].id: 1})  # one of the two units
    unit = order.lines[0].unit_price_amount
    cancel_order(_order(session, online_order["id"]), shop.clerk)
    session.commit()
    run_job("pending_refunds", utcnow())
    order = _order(session, online_order["id"])
    assert order.status == "fulfilled"
    refunds = session.execute(sa.select(Refund).where(Refund.order_id == order.id)).scalars().all()
    assert [(r.reason, r.status, r.amount, r.full) for r in refunds] == [
        ("cancelled", "succeeded", unit, False)]
    assert _reserved(session, shop.store, shop.products[0]) == 0
