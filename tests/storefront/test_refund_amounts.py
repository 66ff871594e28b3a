"""Refunds of an amount: on the order's page (cash and Stripe through localstripe), points
taken back by share, never more than is left; a complaint's partial refund remedy."""
# ruff: noqa: F811 - the payment tests' fixtures, imported below, are parameters here

from datetime import date

import pytest
import sqlalchemy as sa

from core.errors import Forbidden, ValidationFailed
from crm.care import complaints
from storefront.errors import RefundExceedsRefundable
from storefront.loyalty.membership import sign_up_member
from storefront.loyalty.models import Membership
from storefront.payments import billing, refunds
from storefront.payments import records as payment_records

from .test_club import buy, pick_up
from .test_payments import (  # noqa: F401 - fixtures
    _confirm,
    _login,
    _order,
    shop,
)


def _refund(client, public_id, amount, reason="damaged box"):
    return client.post(f"/admin/orders/{public_id}/refund",
                       data={"scope": "amount", "amount": amount, "reason": reason})


def _points(session, user):
    session.expire_all()
    return session.execute(sa.select(Membership.points).where(
        Membership.user_id == user.id, Membership.closed_at.is_(None))).scalar_one()


def _paid_online(client, session, shop, online_order, stripe_on):
    _confirm(stripe_on, online_order["payment_intent_id"], "pm_card_visa")
    _login(client, shop.shopper)
    client.get(f"/orders/{online_order['id']}/payment-return")
    return _order(session, online_order["id"])


def test_cash_refund_of_an_amount_takes_back_its_share_of_the_points(client, session, shop):
    sign_up_member(shop.shopper, name="王丽", phone="13800000001", birthday=date(1990, 5, 1))
    order = pick_up(shop, buy(shop, quantity=2))  # 256.00 paid in cash at the desk
    public_id, total = order.public_id, order.total_amount
    assert _points(session, shop.shopper) == 256
    _login(client, shop.admin)
    assert 'data-testid="refund-amount"' in client.get(
        f"/admin/orders/{public_id}").get_data(as_text=True)
    response = _refund(client, public_id, "64.00")
    assert response.status_code == 302
    [refund] = billing.refunds_of(_order(session, public_id))
    assert (refund.method, refund.status, refund.amount, refund.lines) == (
        "cash", "succeeded", 6400, [])
    assert _points(session, shop.shopper) == 256 - 64
    for bad in ("abc", "0", "-5", "12.345", ""):
        assert _refund(client, public_id, bad).status_code == 400, bad
    too_much = _refund(client, public_id, "192.01")
    assert too_much.status_code == 400
    assert "192.00" in too_much.get_data(as_text=True)  # says how much is left
    no_reason = _refund(client, public_id, "10", reason="")
    assert no_reason.status_code == 400
    order = _order(session, public_id)
    assert [r.amount for r in billing.refunds_of(order)] == [6400]
    assert order.status == "fulfilled" and _points(session, shop.shopper) == 192
    assert _refund(client, public_id, "192").status_code == 302
    order = _order(session, public_id)
    assert order.status == "refunded" and billing.refundable(order) == 0
    assert sum(r.amount for r in billing.refunds_of(order)) == total
    assert _points(session, shop.shopper) == 0


def test_stripe_refund_of_an_amount_is_pending_before_stripe_is_asked(
        client, session, shop, online_order, stripe_on):
    order = _paid_online(client, session, shop, online_order, stripe_on)
    left = billing.refundable(order)
    _login(client, shop.clerk)  # staff of the order's center
    response = _refund(client, online_order["id"], "12.34")
    assert response.status_code == 302, response.get_data(as_text=True)
    order = _order(session, online_order["id"])
    [refund] = billing.refunds_of(order)
    assert (refund.method, refund.status, refund.amount) == ("stripe", "succeeded", 1234)
    kinds = [e.kind for e in payment_records.timeline(order)]
    assert kinds.index("refund_pending") < kinds.index("refund")
    too_much = _refund(client, online_order["id"], f"{(left - 1234 + 1) / 100:.2f}")
    assert too_much.status_code == 400
    stripe_refunds = stripe_on.client().v1.refunds.list(
        params={"payment_intent": online_order["payment_intent_id"]})
    assert [r["amount"] for r in stripe_refunds.data] == [1234]
    assert _refund(client, online_order["id"], f"{(left - 1234) / 100:.2f}").status_code == 302
    order = _order(session, online_order["id"])
    assert order.status == "refunded" and billing.refundable(order) == 0
    stripe_refunds = stripe_on.client().v1.refunds.list(
        params={"payment_intent": online_order["payment_intent_id"]})
    assert sorted(r["amount"] for r in stripe_refunds.data) == sorted([1234, left - 1234])


def test_the_service_refuses_strangers_and_too_much_with_a_stable_code(session, shop):
    order = pick_up(shop, buy(shop))
    with pytest.raises(Forbidden):
        refunds.refund_amount(order, shop.agent, amount=100, reason="x")
    with pytest.raises(Forbidden):
        refunds.refund_amount(order, shop.far_clerk, amount=100, reason="x")
    with pytest.raises(RefundExceedsRefundable) as err:
        refunds.refund_amount(order, shop.clerk, amount=order.total_amount + 1, reason="x")
    body = err.value.to_dict()
    assert (body["code"], body["refundable"]) == ("refund_exceeds_refundable",
                                                  order.total_amount)
    assert set(body["errors"]) == {"amount"}
    with pytest.raises(ValidationFailed):
        refunds.refund_amount(order, shop.clerk, amount=0, reason="x")
    assert billing.refunds_of(order) == []


def _investigating(actor, order):
    c = complaints.open_complaint(actor=actor, order=order, category="quality",
                                  description="一盒破损")
    for step in ("acknowledged", "investigating"):
        complaints.transition(c, actor, to=step)
    return c


def test_a_complaints_partial_refund_is_refunded_by_staff_and_requested_by_agents(session,
                                                                                  shop):
    order = pick_up(shop, buy(shop, quantity=2))
    c = _investigating(shop.agent, order)
    complaints.transition(c, shop.agent, to="resolved", remedy="refund", remedy_amount=1000,
                          root_cause="x", prevention="y")
    assert billing.refunds_of(order) == []  # an agent's refund stays a request
    c = _investigating(shop.admin, order)
    with pytest.raises(ValidationFailed) as err:
        complaints.transition(c, shop.admin, to="resolved", remedy="refund",
                              remedy_amount=order.total_amount + 100, root_cause="x",
                              prevention="y")
    assert err.value.code == "refund_exceeds_refundable"
    assert set(err.value.errors) == {"remedy_amount"}
    assert c.status == "investigating" and billing.refunds_of(order) == []
    complaints.transition(c, shop.admin, to="resolved", remedy="refund", remedy_amount=1000,
                          root_cause="x", prevention="y")
    assert [(r.amount, r.reason) for r in billing.refunds_of(order)] == [
        (1000, f"complaint:{c.id}")]
    assert "10" in c.remedy_note


def test_an_admins_complaint_refund_goes_through_stripe_after_the_commit(
        client, session, shop, online_order, stripe_on):
    order = _paid_online(client, session, shop, online_order, stripe_on)
    c = _investigating(shop.admin, order)
    session.commit()
    _login(client, shop.admin)
    response = client.post(f"/crm/complaints/{c.id}", data={
        "to": "resolved", "remedy": "refund", "remedy_amount": "20", "root_cause": "压坏",
        "prevention": "加厚包装"})
    assert response.status_code == 302, response.get_data(as_text=True)
    order = _order(session, online_order["id"])
    assert [(r.amount, r.status) for r in billing.refunds_of(order)] == [(2000, "succeeded")]
    stripe_refunds = stripe_on.client().v1.refunds.list(
        params={"payment_intent": online_order["payment_intent_id"]})
    assert [r["amount"] for r in stripe_refunds.data] == [2000]
