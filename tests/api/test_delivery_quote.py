"""``GET /api/v1/delivery/quote`` and ``slot_id`` on ``POST /api/v1/orders``."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.clock import utcnow
from fulfillment.models import CenterDistrict, DeliveryZone, Slot
from tests.conftest import delivery_address

from .conftest import API, assert_error, delivery_body, pickup_body, snapshot

pytestmark = pytest.mark.dates  # calendar rules: CI runs these shifted too

XUHUI = {"province": "上海市", "city": "上海市", "district": "徐汇区"}


def setup_hub(session, shop, *, capacity=1):
    zone = DeliveryZone(center=shop.hub, name="徐汇", fee_amount=1500, free_over_amount=50000,
                        min_order_amount=0)
    session.add(zone)
    session.flush()
    row = session.execute(sa.select(CenterDistrict).where(
        CenterDistrict.center_id == shop.hub.id, CenterDistrict.district == "徐汇区")).scalar_one()
    row.zone = zone
    start = utcnow().replace(microsecond=0) + timedelta(days=1)
    slot = Slot(center_id=shop.hub.id, kind="delivery", starts_at=start,
                ends_at=start + timedelta(hours=2), capacity=capacity, taken=0)
    session.add(slot)
    session.commit()
    return slot


def test_quote_for_a_served_address(client, session, shop):
    slot = setup_hub(session, shop, capacity=3)
    response = client.get(f"{API}/delivery/quote", query_string={
        **XUHUI, "sku": [shop.products[0].sku, shop.products[1].sku], "quantity": [2, 1]})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["center_id"] == shop.hub.id
    assert body["fee"] == {"amount": 1500, "currency": "CNY"}
    assert body["free_over"] == {"amount": 50000, "currency": "CNY"}
    assert [s["id"] for s in body["slots"]] == [slot.id]
    assert body["slots"][0]["left"] == 3
    assert body["slots"][0]["starts_at"].endswith("+00:00")


def test_quote_for_an_address_nobody_serves(client, session, shop):
    response = client.get(f"{API}/delivery/quote", query_string={
        **XUHUI, "district": "崇明区", "sku": shop.products[0].sku})
    assert_error(response, 422, "no_center_serves_address")


def test_quote_when_no_center_holds_the_items(client, session, shop):
    response = client.get(f"{API}/delivery/quote", query_string={
        **XUHUI, "sku": shop.products[0].sku, "quantity": 50})
    body = assert_error(response, 409, "insufficient_stock")
    assert body["lines"] == [{"sku": shop.products[0].sku, "requested": 50, "available": 10}]


def test_quote_bad_input(client, session, shop):
    assert_error(client.get(f"{API}/delivery/quote", query_string={"city": "上海市"}),
                 400, "validation_error")
    assert_error(client.get(f"{API}/delivery/quote", query_string={
        **XUHUI, "sku": [shop.products[0].sku], "quantity": [1, 2]}), 400, "validation_error")
    assert_error(client.get(f"{API}/delivery/quote", query_string={
        **XUHUI, "sku": "NOPE"}), 400, "validation_error")
    assert_error(client.get(f"{API}/delivery/quote", query_string={**XUHUI, "lat": 31.2}),
                 400, "validation_error")


def test_order_with_a_slot_and_the_fee(session, shop, place):
    slot = setup_hub(session, shop)
    body = delivery_body(shop, delivery_address(), product=shop.products[0])
    response = place(shop.shopper, dict(body, slot_id=slot.id))
    assert response.status_code == 201, response.get_json()
    order = response.get_json()
    assert order["delivery_fee"] == {"amount": 1500, "currency": "CNY"}
    assert order["total"]["amount"] == 12800 + 1500
    assert order["fulfillment"]["slot"]["id"] == slot.id
    # The slot is full now: the next checkout is refused with a clear 409 and writes nothing.
    before = snapshot(session)
    refused = place(shop.shopper, dict(body, slot_id=slot.id))
    assert_error(refused, 409, "slot_unavailable")
    assert snapshot(session) == before


def test_pickup_order_refuses_a_delivery_slot(session, shop, place):
    slot = setup_hub(session, shop)
    before = snapshot(session)
    response = place(shop.shopper, dict(pickup_body(shop), slot_id=slot.id))
    assert_error(response, 409, "slot_unavailable")
    assert snapshot(session) == before
    assert_error(place(shop.shopper, dict(pickup_body(shop), slot_id="x")),
                 400, "validation_error")
