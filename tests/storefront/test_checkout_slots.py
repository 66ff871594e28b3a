"""Checkout: the delivery fee is shown before the order, slots are offered and held."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.clock import utcnow
from fulfillment.models import CenterDistrict, DeliveryZone, Slot
from storefront.models import Order

from .test_pages import (  # noqa: F401 (the fixture resets request state)
    ADDRESS,
    _fresh_request_state,
    _refused,
    add_to_cart,
    checkout_data,
    login,
    page,
)

pytestmark = pytest.mark.dates  # calendar rules: CI runs these shifted too


def zone_and_slots(session, shop):
    zone = DeliveryZone(center=shop.hub, name="徐汇", fee_amount=1500, free_over_amount=99900,
                        min_order_amount=0)
    session.add(zone)
    session.flush()
    session.execute(sa.update(CenterDistrict).where(
        CenterDistrict.center_id == shop.hub.id, CenterDistrict.district == "徐汇区")
        .values(zone_id=zone.id))
    start = utcnow().replace(microsecond=0) + timedelta(days=1)
    made = {}
    for center, kind, capacity in ((shop.store, "pickup", 1), (shop.hub, "delivery", 2),
                                   (shop.far_store, "pickup", 0)):
        slot = Slot(center_id=center.id, kind=kind, starts_at=start,
                    ends_at=start + timedelta(hours=2), capacity=capacity, taken=0)
        session.add(slot)
        made[center.code] = slot
    session.flush()
    return made


def test_checkout_offers_the_store_slots_but_not_a_full_one(client, shop, session):
    made = zone_and_slots(session, shop)
    login(client, shop.shopper)
    add_to_cart(client, shop.products[0], 1)
    html = page(client, "/checkout")
    assert 'data-testid="pickup-slots"' in html
    assert f'name="slot_id" value="{made["SH-JA"].id}"' in html
    assert f'value="{made["SH-PD"].id}"' not in html  # no room: not offered


def test_checkout_pickup_with_a_slot(client, shop, session):
    made = zone_and_slots(session, shop)
    login(client, shop.shopper)
    add_to_cart(client, shop.products[0], 1)
    data = checkout_data([(shop.products[0], 1)], center=shop.store)
    response = client.post("/checkout", data=dict(data, slot_id=str(made["SH-JA"].id)))
    assert response.status_code == 302
    session.expire_all()
    order = session.execute(sa.select(Order)).scalar_one()
    assert order.fulfillment.slot_id == made["SH-JA"].id
    assert session.get(Slot, made["SH-JA"].id).taken == 1
    assert 'data-testid="order-slot"' in page(client, f"/orders/{order.public_id}")


def test_checkout_refuses_a_slot_that_filled_up(client, shop, session):
    made = zone_and_slots(session, shop)
    made["SH-JA"].taken = 1
    login(client, shop.shopper)
    add_to_cart(client, shop.products[0], 1)
    data = checkout_data([(shop.products[0], 1)], center=shop.store)
    _refused(client, session, dict(data, slot_id=str(made["SH-JA"].id)), 409,
             "This time slot has just filled up")


def test_checkout_shows_the_delivery_fee_and_charges_it(client, shop, session):
    made = zone_and_slots(session, shop)
    login(client, shop.shopper)
    add_to_cart(client, shop.products[0], 1)
    # The address was typed but the form had an error: the page shows the fee and the slots.
    data = checkout_data([(shop.products[0], 1)], method="delivery", **dict(ADDRESS, name=""))
    html = client.post("/checkout", data=data).get_data(as_text=True)
    assert "Delivery fee" in html and "15.00" in html
    assert f'name="slot_id" value="{made["SH-DC"].id}"' in html
    data = checkout_data([(shop.products[0], 1)], method="delivery", **ADDRESS)
    response = client.post("/checkout", data=dict(data, slot_id=str(made["SH-DC"].id)))
    assert response.status_code == 302
    session.expire_all()
    order = session.execute(sa.select(Order)).scalar_one()
    assert (order.delivery_fee_amount, order.total_amount) == (1500, 12800 + 1500)
    assert order.fulfillment.slot_id == made["SH-DC"].id


def radius_only_zone(session, make_center, stock, shop):
    """A center that serves 宝山区 only by a 5 km zone radius around its point."""
    ring = make_center(code="RING", pickup=False, delivery=True, lat=31.30, lng=121.50)
    session.add(DeliveryZone(center=ring, name="5 km", fee_amount=700, min_order_amount=0,
                             radius_km=5))
    stock(ring, shop.products[0], 3)
    session.flush()
    return ring


def test_web_delivery_to_a_radius_only_zone_uses_the_browser_position(
        client, shop, session, make_center, stock):
    ring = radius_only_zone(session, make_center, stock, shop)
    login(client, shop.shopper)
    add_to_cart(client, shop.products[0], 1)
    address = dict(ADDRESS, district="宝山区")
    # The page came with ?lat=&lng=: the hidden fields carry the position into the form.
    html = page(client, "/checkout?lat=31.31&lng=121.51")
    assert 'name="lat" type="hidden" value="31.31"' in html
    # An address typed with an error: the quote shown comes from the radius zone.
    data = checkout_data([(shop.products[0], 1)], method="delivery", lat="31.31", lng="121.51",
                         **dict(address, name=""))
    html = client.post("/checkout", data=data).get_data(as_text=True)
    assert "Delivery fee" in html and "7.00" in html
    # Without the position nobody serves the district.
    data = checkout_data([(shop.products[0], 1)], method="delivery", **address)
    _refused(client, session, data, 422, "deliver to this address yet")
    data = checkout_data([(shop.products[0], 1)], method="delivery", lat="31.31", lng="121.51",
                         **address)
    assert client.post("/checkout", data=data).status_code == 302
    session.expire_all()
    order = session.execute(sa.select(Order)).scalar_one()
    assert order.fulfillment.center_id == ring.id
    assert order.delivery_fee_amount == 700


def test_checkout_refuses_a_position_out_of_range(client, shop, session, make_center, stock):
    radius_only_zone(session, make_center, stock, shop)
    login(client, shop.shopper)
    add_to_cart(client, shop.products[0], 1)
    for lat, lng in (("91", "121.51"), ("nan", "121.51"), ("31.31", "")):
        data = checkout_data([(shop.products[0], 1)], method="delivery", lat=lat, lng=lng,
                             **dict(ADDRESS, district="宝山区"))
        _refused(client, session, data, 400, "Your location could not be read")
