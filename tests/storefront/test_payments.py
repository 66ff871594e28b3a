"""Online payment against a real localstripe server, and signed webhook payloads."""

import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from core.clock import utcnow
from fulfillment.models import Stock
from storefront.models import Order
from storefront.payments import jobs as payment_jobs
from storefront.payments import records as payment_records
from storefront.payments.models import Payment, PaymentEvent, StripeEvent

from ..api.conftest import API, assert_error, pickup_body
from ..support.pages import session_token
from .localstripe import event, signed


@pytest.fixture()
def shop(shop, session):
    session.commit()
    return shop


def _order(session, public_id) -> Order:
    session.expire_all()
    return session.execute(sa.select(Order).where(Order.public_id == public_id)).scalar_one()


def _login(client, user):
    from flask import g

    from core.extensions import db

    db.session.commit()
    g.pop("_login_user", None)
    with client.session_transaction() as s:
        s["_user_id"] = session_token(user)
        s["_fresh"] = True


def _confirm(stripe_on, intent_id, payment_method):
    client = stripe_on.client()
    client.v1.payment_intents.update(intent_id, params={"payment_method": payment_method})
    return client.v1.payment_intents.confirm(intent_id)


def _card(stripe_on, number):
    return stripe_on.client().v1.payment_methods.create(params={
        "type": "card", "card": {"number": number, "exp_month": 12,
                                 "exp_year": datetime.now(UTC).year + 3,
                                 "cvc": "123"}})["id"]


def _kinds(session, order):
    return [e.kind for e in session.execute(sa.select(PaymentEvent).where(
        PaymentEvent.order_id == order.id).order_by(PaymentEvent.id)).scalars()]


def _reserved(session, shop):
    session.expire_all()
    return session.execute(sa.select(Stock.reserved).where(
        Stock.center_id == shop.store.id, Stock.product_id == shop.products[0].id)).scalar_one()


# --- without a key -----------------------------------------------------------------------------


def test_without_a_key_online_payment_is_unavailable(client, session, shop, headers, app):
    from storefront.models import CartItem

    assert not app.config.get("STRIPE_SECRET_KEY")
    h = headers(shop.shopper)
    placed = client.post(f"{API}/orders", json=pickup_body(shop), headers=h)
    assert_error(client.post(f"{API}/orders/{placed.get_json()['id']}/payment-intent",
                             headers=h), 503, "payments_unavailable")
    session.add(CartItem(user_id=shop.shopper.id, product_id=shop.products[0].id, quantity=1))
    session.commit()
    _login(client, shop.shopper)
    page = client.get("/checkout").get_data(as_text=True)
    assert 'data-testid="offline-only"' in page and 'value="stripe" disabled' in page
    _login(client, shop.admin)
    assert 'data-testid="offline-only"' in client.get("/admin/").get_data(as_text=True)


# --- paying with cards (localstripe) -----------------------------------------------------------


def test_card_payment_marks_the_order_paid_once(client, session, shop, online_order, stripe_on):
    again = client.post(f"{API}/orders/{online_order['id']}/payment-intent",
                        headers=online_order["headers"])
    assert again.get_json()["payment_intent_id"] == online_order["payment_intent_id"]
    assert _confirm(stripe_on, online_order["payment_intent_id"], "pm_card_visa")["status"] \
        == "succeeded"
    _login(client, shop.shopper)
    # The URL's word is not trusted: the page asks Stripe.
    response = client.get(f"/orders/{online_order['id']}/payment-return?redirect_status=failed")
    assert response.status_code == 302
    order = _order(session, online_order["id"])
    assert order.status == "paid" and order.paid_amount == order.total_amount
    assert _kinds(session, order) == ["intent", "succeeded"]
    page = client.get(f"/orders/{online_order['id']}").get_data(as_text=True)
    assert 'data-testid="payment-timeline"' in page


def test_declined_card_shows_the_reason_and_a_way_to_try_again(client, session, shop,
                                                               online_order, stripe_on):
    import stripe

    with pytest.raises(stripe.CardError):
        _confirm(stripe_on, online_order["payment_intent_id"],
                 _card(stripe_on, "4000000000000341"))
    _login(client, shop.shopper)
    client.get(f"/orders/{online_order['id']}/payment-return")
    order = _order(session, online_order["id"])
    assert order.status == "pending_payment"
    payment = session.execute(sa.select(Payment).where(Payment.order_id == order.id)).scalar_one()
    assert payment.status == "failed" and "declined" in payment.failure_message
    page = client.get(f"/orders/{online_order['id']}").get_data(as_text=True)
    assert 'data-testid="payment-failure"' in page and 'data-testid="pay-now"' in page
    again = client.post(f"{API}/orders/{online_order['id']}/payment-intent",
                        headers=online_order["headers"])
    assert again.get_json()["payment_intent_id"] == online_order["payment_intent_id"]
    # Trying again succeeds on the same intent. (localstripe cannot confirm an intent
    # again after a declined charge, so Stripe's word comes as its signed event.)
    evt = event("payment_intent.succeeded", _pi(online_order, "succeeded", method="card",
                                                order=order))
    assert _post(client, evt).get_json()["outcome"] == "paid"
    assert _order(session, online_order["id"]).status == "paid"


def test_three_d_secure_is_finished_through_authenticate(client, session, shop, online_order,
                                                         stripe_on):
    intent = _confirm(stripe_on, online_order["payment_intent_id"],
                      _card(stripe_on, "4000002500003155"))
    assert intent["status"] == "requires_action"
    _login(client, shop.shopper)
    client.get(f"/orders/{online_order['id']}/payment-return")
    assert _order(session, online_order["id"]).status == "pending_payment"
    stripe_on.request("POST", f"/v1/payment_intents/{intent['id']}/_authenticate?success=true",
                      {"client_secret": online_order["client_secret"]})
    client.get(f"/orders/{online_order['id']}/payment-return")
    assert _order(session, online_order["id"]).status == "paid"


def test_refunds_partial_then_full_through_stripe(client, session, shop, online_order,
                                                  stripe_on):
    _confirm(stripe_on, online_order["payment_intent_id"], "pm_card_visa")
    _login(client, shop.shopper)
    client.get(f"/orders/{online_order['id']}/payment-return")
    order = _order(session, online_order["id"])
    line = order.lines[0]
    _login(client, shop.clerk)  # staff of the order's center
    response = client.post(f"/admin/orders/{online_order['id']}/refund",
                           data={"scope": "lines", "reason": "one box damaged",
                                 f"line-{line.id}": "1"})
    assert response.status_code == 302, response.get_data(as_text=True)
    order = _order(session, online_order["id"])
    refunds = payment_records.refunds_of(order)
    assert [(r.amount, r.status, r.lines[0].quantity) for r in refunds] == [
        (line.unit_price_amount, "succeeded", 1)]
    assert order.status == "paid"
    client.post(f"/admin/orders/{online_order['id']}/refund",
                data={"scope": "full", "reason": "customer changed mind"})
    order = _order(session, online_order["id"])
    assert order.status == "refunded" and payment_records.refundable(order) == 0
    stripe_refunds = stripe_on.client().v1.refunds.list(
        params={"payment_intent": online_order["payment_intent_id"]})
    assert sorted(r["amount"] for r in stripe_refunds.data) == sorted(
        r.amount for r in payment_records.refunds_of(order))
    assert _reserved(session, shop) == 0  # the refunded order no longer holds stock


def test_staff_of_another_center_cannot_see_or_refund(client, session, shop, online_order,
                                                     stripe_on):
    _confirm(stripe_on, online_order["payment_intent_id"], "pm_card_visa")
    _login(client, shop.shopper)
    client.get(f"/orders/{online_order['id']}/payment-return")  # paid: a refund is possible
    assert _order(session, online_order["id"]).status == "paid"
    _login(client, shop.far_clerk)
    assert client.get(f"/admin/orders/{online_order['id']}").status_code == 404
    assert client.post(f"/admin/orders/{online_order['id']}/refund",
                       data={"scope": "full", "reason": "x"}).status_code == 404
    order = _order(session, online_order["id"])
    assert order.status == "paid" and payment_records.refunds_of(order) == []
    assert stripe_on.client().v1.refunds.list(
        params={"payment_intent": online_order["payment_intent_id"]}).data == []


def test_shopper_cancelling_a_paid_order_gets_a_full_refund(client, session, shop,
                                                           online_order, stripe_on):
    _confirm(stripe_on, online_order["payment_intent_id"], "pm_card_visa")
    _login(client, shop.shopper)
    client.get(f"/orders/{online_order['id']}/payment-return")
    client.post(f"/orders/{online_order['id']}/cancel")
    order = _order(session, online_order["id"])
    assert order.status == "cancelled"
    assert [(r.amount, r.status) for r in payment_records.refunds_of(order)] == [
        (order.total_amount, "succeeded")]


# --- signed webhooks ---------------------------------------------------------------------------


def _post(client, evt, **kw):
    payload, hdrs = signed(evt, **kw)
    return client.post(f"{API}/payments/stripe/webhook", data=payload, headers=hdrs)


def _pi(online_order, status, *, method="alipay", amount=None, error=None, order=None):
    obj = {"id": online_order["payment_intent_id"], "object": "payment_intent",
           "status": status, "amount": amount or order.total_amount, "currency": "cny",
           "payment_method_types": [method], "metadata": {"order": online_order["id"]}}
    if error:
        obj["last_payment_error"] = {"message": error}
    return obj


@pytest.mark.parametrize("method", ["alipay", "wechat_pay"])
def test_wallet_success_applied_once_whatever_the_repeats(client, session, online_order,
                                                          method):
    order = _order(session, online_order["id"])
    evt = event("payment_intent.succeeded", _pi(online_order, "succeeded", method=method,
                                                order=order))
    outcomes = [_post(client, evt).get_json()["outcome"] for _ in range(3)]
    assert outcomes == ["paid", "duplicate", "duplicate"]
    order = _order(session, online_order["id"])
    assert order.status == "paid"
    assert _kinds(session, order).count("succeeded") == 1
    payment = session.execute(sa.select(Payment).where(Payment.order_id == order.id)).scalar_one()
    assert payment.stripe_method_type == method
    # Failed arriving after succeeded (out of order): Stripe is asked again; still paid.
    late_fail = event("payment_intent.payment_failed", _pi(
        online_order, "requires_payment_method", method=method, error="declined", order=order))
    assert _post(client, late_fail).status_code == 200
    assert _order(session, online_order["id"]).status == "paid"


def test_a_signed_event_is_applied_whatever_characters_stripe_put_in_it(client, session,
                                                                        online_order):
    """A form feed in a description or U+0085 in metadata is still Stripe's signed event:
    the edge that refuses control characters leaves signed bodies to their signature."""
    order = _order(session, online_order["id"])
    intent = _pi(online_order, "succeeded", order=order)
    intent["description"] = "礼盒\x0c第二页"
    intent.setdefault("metadata", {})["note"] = "next\x85line"
    response = _post(client, event("payment_intent.succeeded", intent))
    assert response.status_code == 200 and response.get_json()["outcome"] == "paid"
    assert _order(session, online_order["id"]).status == "paid"


@pytest.mark.parametrize("method", ["alipay", "wechat_pay"])
def test_wallet_failure_is_recorded_with_its_reason(client, session, online_order, method):
    order = _order(session, online_order["id"])
    evt = event("payment_intent.payment_failed", _pi(
        online_order, "requires_payment_method", method=method,
        error="The customer did not approve the payment.", order=order))
    assert _post(client, evt).get_json()["outcome"] == "failed"
    order = _order(session, online_order["id"])
    assert order.status == "pending_payment"
    assert "failed" in _kinds(session, order)


def test_charge_refunded_records_a_refund_made_at_stripe(client, session, online_order,
                                                          stripe_on):
    _confirm(stripe_on, online_order["payment_intent_id"], "pm_card_visa")
    order = _order(session, online_order["id"])
    _post(client, event("payment_intent.succeeded", _pi(online_order, "succeeded",
                                                        method="card", order=order)))
    charge = {"id": "ch_x", "object": "charge", "payment_intent": online_order["payment_intent_id"],
              "amount": order.total_amount, "amount_refunded": 5000, "refunds": {"data": []}}
    evt = event("charge.refunded", charge)
    for _ in range(3):
        assert _post(client, evt).status_code == 200
    order = _order(session, online_order["id"])
    assert [(r.amount, r.reason) for r in payment_records.refunds_of(order)] == [
        (5000, "stripe_dashboard")]


def test_dispute_flags_the_order(client, session, online_order):
    order = _order(session, online_order["id"])
    _post(client, event("charge.dispute.created", {
        "id": "dp_1", "object": "dispute", "amount": order.total_amount,
        "payment_intent": online_order["payment_intent_id"], "reason": "fraudulent"}))
    assert _order(session, online_order["id"]).disputed is True


def test_forged_stale_and_unsigned_webhooks_are_refused(client, session, online_order):
    order = _order(session, online_order["id"])
    evt = event("payment_intent.succeeded", _pi(online_order, "succeeded", order=order))
    assert_error(_post(client, evt, secret="whsec_forged"), 400, "invalid_signature")
    assert_error(_post(client, evt, timestamp=int(time.time()) - 3600), 400,
                 "invalid_signature")
    assert_error(client.post(f"{API}/payments/stripe/webhook", data="{}",
                             headers={"Content-Type": "application/json"}),
                 400, "invalid_signature")
    assert _order(session, online_order["id"]).status == "pending_payment"
    assert session.execute(sa.select(sa.func.count(StripeEvent.id))).scalar() == 0


def test_unknown_payment_intent_is_stored_and_answered_200(client, session, stripe_on):
    evt = event("payment_intent.succeeded", {"id": "pi_unknown", "object": "payment_intent",
                                             "status": "succeeded", "amount": 100,
                                             "currency": "cny", "metadata": {}})
    response = _post(client, evt)
    assert response.status_code == 200 and response.get_json()["outcome"] == "unknown_intent"
    session.expire_all()
    assert session.execute(sa.select(StripeEvent.outcome).where(
        StripeEvent.event_id == evt["id"])).scalar_one() == "unknown_intent"


# --- late success after expiry -----------------------------------------------------------------


def _expire(session, app):
    payment_jobs.expire_unpaid_orders(utcnow() + timedelta(
        minutes=app.config["PAYMENT_EXPIRY_MINUTES"] + 1))
    session.commit()


def test_late_success_revives_the_order_when_stock_is_there(client, session, shop, app,
                                                            online_order, stripe_on):
    _expire(session, app)
    order = _order(session, online_order["id"])
    assert order.status == "cancelled" and _reserved(session, shop) == 0
    # The intent was cancelled at Stripe by the job.
    assert stripe_on.client().v1.payment_intents.retrieve(
        online_order["payment_intent_id"])["status"] == "canceled"
    evt = event("payment_intent.succeeded", _pi(online_order, "succeeded", order=order))
    assert _post(client, evt).get_json()["outcome"] == "revived"
    order = _order(session, online_order["id"])
    assert order.status == "paid" and _reserved(session, shop) == 2
    assert order.fulfillment.status == "reserved"


def test_late_success_is_refunded_when_stock_is_gone(client, session, shop, app, stock,
                                                     online_order, stripe_on):
    from crm.followups.models import FollowUp

    _confirm_later = online_order["payment_intent_id"]
    _expire(session, app)
    stock(shop.store, shop.products[0], 0)  # sold out since
    session.commit()
    # Stripe holds the money (a late Alipay confirmation): here a card charge on a new intent.
    pi = stripe_on.client().v1.payment_intents.create(params={
        "amount": _order(session, online_order["id"]).total_amount, "currency": "cny",
        "payment_method": "pm_card_visa", "confirm": True,
        "metadata": {"order": online_order["id"]}})
    order = _order(session, online_order["id"])
    obj = _pi({"payment_intent_id": pi["id"], "id": online_order["id"]}, "succeeded",
              order=order)
    assert _post(client, event("payment_intent.succeeded", obj)).get_json()["outcome"] \
        == "refunding"
    order = _order(session, online_order["id"])
    assert order.status == "cancelled" and _reserved(session, shop) == 0
    refunds = payment_records.refunds_of(order)
    assert [(r.reason, r.status, r.amount) for r in refunds] == [
        ("late_payment", "succeeded", order.total_amount)]
    assert stripe_on.client().v1.payment_intents.retrieve(_confirm_later)["status"] == "canceled"
    assert session.execute(sa.select(FollowUp).where(
        FollowUp.kind == "apology", FollowUp.order_id == order.id)).scalar_one()


def test_reconcile_repairs_an_order_whose_webhook_never_came(runner, session, online_order,
                                                             stripe_on):
    _confirm(stripe_on, online_order["payment_intent_id"], "pm_card_visa")
    result = runner.invoke(args=["payments", "reconcile", "--since", "1"])
    assert result.exit_code == 0, result.output
    assert "1 order(s) repaired" in result.output
    assert _order(session, online_order["id"]).status == "paid"


def test_offline_payment_is_recorded_at_hand_over(session, shop, make_user):
    from fulfillment import services as desk
    from storefront.orders import place_order

    order = place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                        fulfillment={"method": "pickup", "center_id": shop.store.id},
                        payment_method="pay_at_pickup")
    f = order.fulfillment
    desk.mark_ready(f, shop.clerk)
    from core.signals import fulfillment_completed

    f.status = "picked_up"
    fulfillment_completed.send(f, collected={"method": "wechat_scan", "amount": 12000})
    payment = session.execute(sa.select(Payment).where(Payment.order_id == order.id)).scalar_one()
    assert (payment.method, payment.amount, order.status, order.paid_amount) == (
        "wechat_scan", 12000, "fulfilled", 12000)


def test_no_way_of_paying_is_assumed_at_hand_over(session, shop):
    """An order still owing money leaves the desk only when the clerk says how it was
    paid: no cash by default (a WeChat scan is not booked as cash)."""
    from fulfillment import services as desk
    from fulfillment.errors import PaymentMethodRequired
    from storefront.orders import place_order

    order = place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                        fulfillment={"method": "pickup", "center_id": shop.store.id},
                        payment_method="pay_at_pickup")
    f = desk.mark_ready(order.fulfillment, shop.clerk)
    with pytest.raises(PaymentMethodRequired) as refused:
        desk.hand_over(f, f.pickup_code, shop.clerk)
    assert refused.value.code == "payment_method_required" and refused.value.status == 422
    assert refused.value.extra["amount_due"] == order.total_amount
    assert f.status == "ready"
    assert session.execute(sa.select(Payment).where(Payment.order_id == order.id)).first() is None
    desk.hand_over(f, f.pickup_code, shop.clerk, collected={"method": "alipay_scan"})
    payment = session.execute(sa.select(Payment).where(Payment.order_id == order.id)).scalar_one()
    assert (payment.method, payment.amount) == ("alipay_scan", order.total_amount)


def test_billing_records_no_cash_it_was_not_told_of(session, shop):
    from fulfillment.errors import PaymentMethodRequired
    from storefront.orders import place_order
    from storefront.payments import billing

    order = place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                        fulfillment={"method": "pickup", "center_id": shop.store.id},
                        payment_method="pay_at_pickup")
    with pytest.raises(PaymentMethodRequired):
        billing.record_offline_payment(order, None)
    with pytest.raises(PaymentMethodRequired):
        billing.record_offline_payment(order, {"amount": order.total_amount})
    assert session.execute(sa.select(Payment).where(Payment.order_id == order.id)).first() is None


def test_payment_intent_is_for_the_owner_of_a_pending_online_order(client, shop, headers,
                                                                   online_order):
    other = headers(shop.agent)
    assert_error(client.post(f"{API}/orders/{online_order['id']}/payment-intent",
                             headers=other), 404, "not_found")
    placed = client.post(f"{API}/orders", json=pickup_body(shop),
                         headers=online_order["headers"]).get_json()
    assert_error(client.post(f"{API}/orders/{placed['id']}/payment-intent",
                             headers=online_order["headers"]), 409, "illegal_transition")


def test_cash_refund_by_lines_for_an_order_paid_at_the_desk(client, session, shop):
    from fulfillment import services as desk
    from storefront.orders import place_order

    order = place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 3}],
                        fulfillment={"method": "pickup", "center_id": shop.store.id},
                        payment_method="pay_at_pickup")
    f = desk.mark_ready(order.fulfillment, shop.clerk)
    desk.hand_over(f, f.pickup_code, shop.clerk, collected={"method": "cash"})
    public_id, line = order.public_id, order.lines[0]
    _login(client, shop.admin)
    page = client.get(f"/admin/orders/{public_id}")
    assert page.status_code == 200 and 'data-testid="refund-form"' in page.get_data(as_text=True)
    too_many = client.post(f"/admin/orders/{public_id}/refund",
                           data={"scope": "lines", "reason": "broken", f"line-{line.id}": "4"})
    assert too_many.status_code == 400
    no_reason = client.post(f"/admin/orders/{public_id}/refund",
                            data={"scope": "full", "reason": ""})
    assert no_reason.status_code == 400
    assert payment_records.refunds_of(_order(session, public_id)) == []
    client.post(f"/admin/orders/{public_id}/refund",
                data={"scope": "lines", "reason": "one broken", f"line-{line.id}": "1"})
    order = _order(session, public_id)
    [refund] = payment_records.refunds_of(order)
    assert (refund.method, refund.status, refund.amount, order.status) == (
        "cash", "succeeded", line.unit_price_amount, "fulfilled")
    client.post(f"/admin/orders/{public_id}/refund", data={"scope": "full", "reason": "all"})
    order = _order(session, public_id)
    assert order.status == "refunded" and payment_records.refundable(order) == 0
    assert sum(r.amount for r in payment_records.refunds_of(order)) == order.total_amount
