"""Finding 4: the staff API's offline payment is what the order still owes, computed by the
shop (a clerk cannot record money never taken, nor hand goods over for 0), and a refund in
cash never pays out more than the desk really took."""

import sqlalchemy as sa

from storefront.models import Order
from storefront.payments import billing
from storefront.payments.models import Payment, Refund
from tests.api.conftest import API, assert_error, delivery_body
from tests.conftest import delivery_address
from tests.support.pages import login


def _order(session, public_id) -> Order:
    session.expire_all()
    return session.execute(sa.select(Order).where(Order.public_id == public_id)).scalar_one()


def _payments(session, order) -> list[tuple[str, int]]:
    return [(p.method, p.amount) for p in session.execute(
        sa.select(Payment).where(Payment.order_id == order.id)).scalars()]


def test_a_handover_records_only_what_is_due(client, session, shop, token_for, pickup_order):
    clerk = token_for(shop.clerk)
    order = _order(session, pickup_order["id"])
    f_id, due = order.fulfillment.id, order.total_amount
    base = f"{API}/staff/fulfillments/{f_id}"
    assert client.post(f"{base}/ready", headers=clerk).status_code == 200
    code = _order(session, pickup_order["id"]).fulfillment.pickup_code
    # The review's repro: 1,000,000 yuan "collected" for a 256-yuan order; and goods for 0.
    for amount in (100_000_000, 0, due - 1):
        body = assert_error(client.post(f"{base}/handover", headers=clerk, json={
            "code": code, "collected": {"method": "cash", "amount": amount}}),
            409, "wrong_amount")
        assert body["amount_due"] == due
        order = _order(session, pickup_order["id"])
        assert (order.status, order.paid_amount, order.fulfillment.status) == (
            "confirmed", 0, "ready")
        assert _payments(session, order) == []
    done = client.post(f"{base}/handover", headers=clerk, json={
        "code": code, "collected": {"method": "wechat_scan", "amount": due}})
    assert done.status_code == 200 and done.get_json()["status"] == "picked_up"
    order = _order(session, pickup_order["id"])
    assert (order.status, order.paid_amount) == ("fulfilled", due)
    assert _payments(session, order) == [("wechat_scan", due)]


def test_a_delivery_records_only_what_is_due(client, session, shop, token_for, place):
    placed = place(shop.shopper, delivery_body(shop, delivery_address()))
    assert placed.status_code == 201, placed.get_json()
    order = _order(session, placed.get_json()["id"])
    hub, due = token_for(shop.hub_clerk), order.total_amount
    base = f"{API}/staff/fulfillments/{order.fulfillment.id}"
    assert client.post(f"{base}/dispatch", headers=hub).status_code == 200
    body = assert_error(client.post(f"{base}/delivered", headers=hub, json={
        "received_by": "本人", "collected": {"method": "cash", "amount": 1}}),
        409, "wrong_amount")
    assert body["amount_due"] == due
    order = _order(session, placed.get_json()["id"])
    assert (order.status, order.paid_amount, order.fulfillment.status) == (
        "confirmed", 0, "dispatched")
    done = client.post(f"{base}/delivered", headers=hub, json={
        "received_by": "本人", "collected": {"method": "cash", "amount": due}})
    assert done.status_code == 200 and done.get_json()["status"] == "delivered"
    assert _order(session, placed.get_json()["id"]).paid_amount == due


def test_a_cash_refund_never_pays_out_more_than_was_taken(client, session, shop, token_for,
                                                          pickup_order):
    """An order on which more money was recorded than it cost (as the old API allowed):
    the clerk's cash refund stops at what the order cost."""
    clerk = token_for(shop.clerk)
    order = _order(session, pickup_order["id"])
    base, due = f"{API}/staff/fulfillments/{order.fulfillment.id}", order.total_amount
    client.post(f"{base}/ready", headers=clerk)
    code = _order(session, pickup_order["id"]).fulfillment.pickup_code
    assert client.post(f"{base}/handover", headers=clerk, json={
        "code": code, "collected": {"method": "cash"}}).status_code == 200
    order = _order(session, pickup_order["id"])
    billing.record_offline_payment(order, {"method": "cash", "amount": 100_000_000})
    session.commit()
    login(client, shop.clerk)
    url = f"/admin/orders/{order.public_id}/refund"
    refused = client.post(url, data={"scope": "amount", "amount": "9990.00", "reason": "退货"})
    assert refused.status_code == 400
    assert session.execute(sa.select(sa.func.count(Refund.id))).scalar_one() == 0
    done = client.post(url, data={"scope": "amount", "amount": f"{due / 100:.2f}",
                                  "reason": "退货"})
    assert done.status_code == 302
    refunds = session.execute(sa.select(Refund)).scalars().all()
    assert [(r.method, r.amount, r.status) for r in refunds] == [("cash", due, "succeeded")]
    again = client.post(url, data={"scope": "amount", "amount": "1.00", "reason": "退货"})
    assert again.status_code in (400, 409)
    assert session.execute(sa.select(sa.func.count(Refund.id))).scalar_one() == 1
