"""Desk steps: partial collection, collecting for someone, payment taken, no-shows, couriers,
failed deliveries (services and API, both backends)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.clock import utcnow
from core.errors import ValidationFailed
from core.models import Role
from core.signals import delivery_failed, fulfillment_completed, fulfillment_no_show
from fulfillment import pickup, services
from fulfillment.delivery import fail_delivery
from fulfillment.errors import WrongAmount
from fulfillment.ledger import verify_ledger
from fulfillment.models import Slot, Stock
from storefront.models import Order
from storefront.orders import place_order
from storefront.payments.models import Payment
from tests.conftest import delivery_address


@pytest.fixture()
def heard():
    """What the desk's signals carried, as (signal name, sender id, kwargs)."""
    got = []

    def listen(name):
        def receiver(sender, **kwargs):
            got.append((name, sender.id, kwargs))
        return receiver

    receivers = [(sig, listen(name)) for name, sig in (
        ("completed", fulfillment_completed), ("no_show", fulfillment_no_show),
        ("failed", delivery_failed))]
    for sig, fn in receivers:
        sig.connect(fn)
    yield got
    for sig, fn in receivers:
        sig.disconnect(fn)


def ready_pickup(shop, quantities=(2, 1)):
    order = place_order(shop.shopper, lines=[
        {"sku": p.sku, "quantity": q} for p, q in zip(shop.products, quantities, strict=False)],
        fulfillment={"method": "pickup", "center_id": shop.store.id},
        payment_method="pay_at_pickup")
    f = order.fulfillment
    services.mark_ready(f, shop.clerk)
    return f


def stock_of(session, center, product):
    session.expire_all()
    row = session.execute(sa.select(Stock).where(Stock.center_id == center.id,
                                                 Stock.product_id == product.id)).scalar_one()
    return row.on_hand, row.reserved


def test_partial_collection_then_the_rest_with_the_payment(session, shop, heard):
    f = ready_pickup(shop)
    first, second = f.lines
    pickup.collect(f, f.pickup_code, shop.clerk, lines={first.id: 1})
    assert f.status == "ready" and first.collected_quantity == 1
    assert stock_of(session, shop.store, shop.products[0]) == (9, 1)
    assert heard == []
    # The second unit of the first line, paid at the counter for that part alone.
    pickup.collect(f, f.pickup_code, shop.clerk, lines={first.id: 1},
                   collected={"method": "cash", "amount": 12800})
    order = session.get(Order, f.order_id)
    assert f.status == "ready" and (order.status, order.paid_amount) == ("confirmed", 12800)
    assert heard == []
    # The rest: the first unit went without a payment, so the order still owes 52,600;
    # the desk takes exactly that (less, or more, is refused and changes nothing).
    with pytest.raises(WrongAmount):
        pickup.collect(f, f.pickup_code, shop.clerk, collected={"method": "wechat_scan",
                                                                "amount": 39800})
    assert f.status == "ready" and heard == []
    pickup.collect(f, f.pickup_code, shop.clerk, collector_name="张阿姨",
                   collector_phone="13911112222", collected={"method": "wechat_scan",
                                                             "amount": 52600})
    assert f.status == "picked_up" and (f.collector_name, f.collector_phone) == (
        "张阿姨", "13911112222")
    assert stock_of(session, shop.store, shop.products[0]) == (8, 0)
    assert stock_of(session, shop.store, shop.products[1]) == (9, 0)
    assert heard == [("completed", f.id, {"collected": {"method": "wechat_scan",
                                                        "amount": 52600}})]
    session.expire_all()
    order = session.get(Order, f.order_id)
    assert (order.status, order.paid_amount, order.total_amount) == ("fulfilled", 65400, 65400)
    assert sorted((p.method, p.amount) for p in session.execute(sa.select(Payment).where(
        Payment.order_id == order.id)).scalars()) == [("cash", 12800), ("wechat_scan", 52600)]
    assert verify_ledger() == []


@pytest.mark.parametrize("kwargs", [
    {"collected": {"method": "bitcoin", "amount": 1}},
    {"collected": {"method": "cash", "amount": -1}},
    {"collector_name": "李四", "collector_phone": "abc"},
    {"lines": {999999: 1}},
])
def test_bad_hand_over_input_changes_nothing(session, shop, kwargs):
    f = ready_pickup(shop)
    with pytest.raises(ValidationFailed):
        pickup.collect(f, f.pickup_code, shop.clerk, **kwargs)
    assert f.status == "ready"
    assert stock_of(session, shop.store, shop.products[0]) == (10, 2)


def test_no_shows_go_back_to_stock(session, shop, heard, app):
    f = ready_pickup(shop)
    f.ready_at = utcnow() - timedelta(days=app.config["PICKUP_NO_SHOW_DAYS"] + 1)
    fresh = ready_pickup(shop, (1,))
    assert pickup.release_no_shows(utcnow()).startswith("1 ")
    assert f.status == "cancelled" and fresh.status == "ready"
    assert stock_of(session, shop.store, shop.products[0]) == (10, 1)
    assert ("no_show", f.id, {}) in heard
    assert verify_ledger() == []


def delivery(shop, slot=None):
    order = place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                        fulfillment={"method": "delivery", "address": delivery_address()},
                        payment_method="cash_on_delivery",
                        slot_id=slot.id if slot is not None else None)
    return order.fulfillment


def make_slot(session, center, hours):
    start = utcnow().replace(microsecond=0) + timedelta(hours=hours)
    slot = Slot(center_id=center.id, kind="delivery", starts_at=start,
                ends_at=start + timedelta(hours=2), capacity=2, taken=0)
    session.add(slot)
    session.flush()
    return slot


def test_courier_must_be_staff_of_the_center(session, shop, make_user):
    f = delivery(shop)
    with pytest.raises(ValidationFailed):
        services.dispatch(f, shop.hub_clerk, courier=shop.clerk)
    courier = make_user(Role.STAFF, center=shop.hub)
    services.dispatch(f, shop.hub_clerk, courier=courier)
    assert f.courier_id == courier.id and f.status == "dispatched"


def test_delivered_records_who_received_and_the_cash(session, shop, heard):
    f = delivery(shop)
    services.dispatch(f, shop.hub_clerk)
    services.mark_delivered(f, shop.hub_clerk, received_by="门卫 老王",
                            collected={"method": "cash", "amount": 12800})
    assert f.received_by_name == "门卫 老王"
    assert heard == [("completed", f.id, {"collected": {"method": "cash", "amount": 12800}})]


def test_failed_delivery_goes_back_with_a_reason_and_a_new_slot(session, shop, heard):
    old, new = make_slot(session, shop.hub, 26), make_slot(session, shop.hub, 50)
    f = delivery(shop, old)
    services.dispatch(f, shop.hub_clerk)
    with pytest.raises(ValidationFailed):
        fail_delivery(f, shop.hub_clerk, reason=" ")
    fail_delivery(f, shop.hub_clerk, reason="无人在家", new_slot_id=new.id)
    session.refresh(old)
    session.refresh(new)
    assert (f.status, f.slot_id, f.failed_attempts, f.last_failure_reason) == (
        "reserved", new.id, 1, "无人在家")
    assert (old.taken, new.taken) == (0, 1)
    assert heard == [("failed", f.id, {"reason": "无人在家"})]
    services.dispatch(f, shop.hub_clerk)  # and out again
    assert f.status == "dispatched"


def test_desk_api_steps_and_boundaries(client, session, shop, token_for):
    f = ready_pickup(shop)
    d = delivery(shop)
    clerk, hub, far = token_for(shop.clerk), token_for(shop.hub_clerk), token_for(shop.far_clerk)
    session.commit()
    url = f"/api/v1/staff/fulfillments/{f.id}/handover"
    body = {"code": f.pickup_code, "lines": [{"line_id": f.lines[0].id, "quantity": 1}]}
    assert client.post(url, json=body, headers=far).status_code == 404
    response = client.post(url, json=body, headers=clerk)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "ready"
    assert response.get_json()["lines"][0]["collected_quantity"] == 1
    bad = client.post(url, json={"code": f.pickup_code, "collected": {"method": "x",
                                                                       "amount": 1}},
                      headers=clerk)
    assert bad.status_code == 400 and bad.get_json()["code"] == "validation_error"
    # Nothing was paid for the unit taken first: the rest takes the whole 65,400.
    wrong = client.post(url, json={"code": f.pickup_code,
                                   "collected": {"method": "cash", "amount": 52600}},
                        headers=clerk)
    assert wrong.status_code == 409 and wrong.get_json()["amount_due"] == 65400
    done = client.post(url, json={"code": f.pickup_code,
                                  "collected": {"method": "cash", "amount": 65400}},
                       headers=clerk)
    assert done.status_code == 200 and done.get_json()["status"] == "picked_up"
    base = f"/api/v1/staff/fulfillments/{d.id}"
    assert client.post(f"{base}/dispatch", json={"courier_id": shop.clerk.id},
                       headers=hub).status_code == 400
    assert client.post(f"{base}/dispatch", headers=hub).status_code == 200
    assert client.post(f"{base}/failed", json={"reason": "x"}, headers=clerk).status_code == 404
    assert client.post(f"{base}/failed", json={}, headers=hub).status_code == 400
    failed = client.post(f"{base}/failed", json={"reason": "电话未接"}, headers=hub)
    assert failed.status_code == 200 and failed.get_json()["failed_attempts"] == 1
    assert client.post(f"{base}/dispatch", headers=hub).status_code == 200
    unsaid = client.post(f"{base}/delivered", json={"received_by": "本人"}, headers=hub)
    assert unsaid.status_code == 422 and unsaid.get_json()["code"] == "payment_method_required"
    delivered = client.post(f"{base}/delivered", json={
        "received_by": "本人", "collected": {"method": "cash",
                                            "amount": unsaid.get_json()["amount_due"]}},
        headers=hub)
    assert delivered.status_code == 200 and delivered.get_json()["received_by_name"] == "本人"
