"""Delivery zones (fee, free threshold, minimum), opening hours, and time slots."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from core.clock import utcnow
from fulfillment import slots, zones
from fulfillment.errors import BelowMinimumOrder, InsufficientStock, SlotUnavailable
from fulfillment.models import CenterDistrict, CenterHoliday, CenterHours, DeliveryZone, Slot
from storefront.orders import cancel_order, place_order
from tests.conftest import delivery_address

pytestmark = pytest.mark.dates  # calendar rules: CI runs these shifted too

SHANGHAI = ZoneInfo("Asia/Shanghai")


def add_zone(session, center, *, fee=1000, free_over=None, min_order=0, radius_km=None,
             districts=()):
    zone = DeliveryZone(center=center, name="near", fee_amount=fee, free_over_amount=free_over,
                        min_order_amount=min_order, radius_km=radius_km)
    session.add(zone)
    session.flush()
    for p, c, d in districts:
        row = next((r for r in center.districts if (r.province, r.city, r.district) == (p, c, d)),
                   None)
        if row is None:
            row = CenterDistrict(center=center, province=p, city=c, district=d)
            session.add(row)
        row.zone = zone
    session.flush()
    return zone


def make_slot(session, center, *, kind="delivery", capacity=2, hours_ahead=26):
    start = utcnow().replace(microsecond=0) + timedelta(hours=hours_ahead)
    slot = Slot(center_id=center.id, kind=kind, starts_at=start,
                ends_at=start + timedelta(hours=2), capacity=capacity, taken=0)
    session.add(slot)
    session.flush()
    return slot


XUHUI = ("上海市", "上海市", "徐汇区")


def test_zone_fee_free_threshold_and_minimum(session, shop):
    zone = add_zone(session, shop.hub, fee=1500, free_over=50000, min_order=10000,
                    districts=[XUHUI])
    address = delivery_address()
    assert zones.zone_for(shop.hub, address) == (True, zone)
    assert zones.delivery_terms(shop.hub, address, 20000) == 1500
    assert zones.delivery_terms(shop.hub, address, 50000) == 0
    with pytest.raises(BelowMinimumOrder) as err:
        zones.delivery_terms(shop.hub, address, 9999)
    assert err.value.status == 422
    assert err.value.extra["min_order"] == {"amount": 10000, "currency": "CNY"}
    # A district served without a zone is delivered free.
    assert zones.delivery_terms(shop.hub, delivery_address(district="静安区"), 100) == 0


def test_zone_radius_covers_an_address_outside_the_districts(session, shop):
    zone = add_zone(session, shop.hub, fee=800, radius_km=6)
    near = delivery_address(district="闵行区", lat=31.18, lng=121.42)
    assert zones.zone_for(shop.hub, near) == (True, zone)
    far = delivery_address(district="闵行区", lat=31.00, lng=121.20)
    assert zones.zone_for(shop.hub, far) == (False, None)


def test_delivery_order_pays_the_zone_fee(session, shop):
    add_zone(session, shop.hub, fee=1500, free_over=100000, districts=[XUHUI])
    order = place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                        fulfillment={"method": "delivery", "address": delivery_address()},
                        payment_method="cash_on_delivery")
    assert (order.subtotal_amount, order.delivery_fee_amount, order.total_amount) == (
        12800, 1500, 14300)
    big = place_order(shop.shopper, lines=[{"sku": shop.products[1].sku, "quantity": 3}],
                      fulfillment={"method": "delivery", "address": delivery_address()},
                      payment_method="cash_on_delivery")
    assert big.delivery_fee_amount == 0 and big.total_amount == big.subtotal_amount


def test_order_below_the_minimum_writes_nothing(session, shop):
    add_zone(session, shop.hub, fee=1500, min_order=99900, districts=[XUHUI])
    with pytest.raises(BelowMinimumOrder):
        place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                    fulfillment={"method": "delivery", "address": delivery_address()},
                    payment_method="cash_on_delivery")


def test_slot_capacity_holds_and_a_full_slot_is_not_offered(session, shop):
    slot = make_slot(session, shop.store, kind="pickup", capacity=1)
    assert slots.offered_slots(shop.store.id, "pickup", now=utcnow()) == [slot]
    order = place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                        fulfillment={"method": "pickup", "center_id": shop.store.id},
                        payment_method="pay_at_pickup", slot_id=slot.id)
    session.refresh(slot)
    assert slot.taken == 1 and order.fulfillment.slot_id == slot.id
    assert slots.offered_slots(shop.store.id, "pickup", now=utcnow()) == []
    with pytest.raises(SlotUnavailable) as err:
        place_order(shop.shopper, lines=[{"sku": shop.products[1].sku, "quantity": 1}],
                    fulfillment={"method": "pickup", "center_id": shop.store.id},
                    payment_method="pay_at_pickup", slot_id=slot.id)
    assert err.value.status == 409 and err.value.code == "slot_unavailable"
    cancel_order(order, shop.shopper)
    session.refresh(slot)
    assert slot.taken == 0
    assert slots.offered_slots(shop.store.id, "pickup", now=utcnow()) == [slot]


def test_a_slot_of_another_center_or_kind_or_too_soon_is_refused(session, shop):
    other = make_slot(session, shop.far_store, kind="pickup")
    delivery = make_slot(session, shop.store, kind="delivery")
    soon = make_slot(session, shop.store, kind="pickup", hours_ahead=0.2)
    for slot in (other, delivery, soon):
        with pytest.raises(SlotUnavailable):
            place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                        fulfillment={"method": "pickup", "center_id": shop.store.id},
                        payment_method="pay_at_pickup", slot_id=slot.id)


def test_a_refused_checkout_leaves_the_slot_free(session, shop, stock):
    slot = make_slot(session, shop.store, kind="pickup", capacity=3)
    stock(shop.store, shop.products[1], 0)
    session.commit()
    with pytest.raises(InsufficientStock):
        place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1},
                                         {"sku": shop.products[1].sku, "quantity": 1}],
                    fulfillment={"method": "pickup", "center_id": shop.store.id},
                    payment_method="pay_at_pickup", slot_id=slot.id)
    session.rollback()
    assert session.get(Slot, slot.id).taken == 0


def test_open_slots_follow_windows_hours_and_holidays(session, shop, clock):
    monday = clock.today() + timedelta(days=7 - clock.today().weekday())  # next week's
    assert monday.weekday() == 0 and monday > clock.today()
    shop.store.hours.append(CenterHours(weekday=1, closed=True))  # closed on Tuesdays
    shop.store.hours.append(CenterHours(weekday=2, opens_at="13:00", closes_at="20:00"))
    shop.store.holidays.append(CenterHoliday(day=monday + timedelta(days=3), note="盘点"))
    session.flush()
    slots.add_window(shop.store, kind="pickup", weekday=None, starts="10:00", ends="12:00",
                     capacity=5)
    session.execute(sa.delete(Slot))
    made = slots.open_slots(shop.store, today=monday, days=7)
    days = sorted(s.starts_at.astimezone(SHANGHAI).date()
                  for s in session.execute(sa.select(Slot)).scalars())
    # Mon, (Tue closed), (Wed opens at 13:00), (Thu holiday), Fri, Sat, Sun
    assert made == 4
    assert [d.weekday() for d in days] == [0, 4, 5, 6]
    first = min(session.execute(sa.select(Slot)).scalars(), key=lambda s: s.starts_at)
    assert first.starts_at == datetime.combine(monday, time(10, 0), SHANGHAI)
    assert first.capacity == 5
    assert slots.open_slots(shop.store, today=monday, days=7) == 0  # idempotent


def test_open_slots_skip_windows_already_over(session, shop, clock):
    """Today's window that has ended is not opened; the one still to come is."""
    today = clock.today()
    clock.move_to(datetime.combine(today, time(12, 30), SHANGHAI))
    slots.add_window(shop.store, kind="pickup", weekday=None, starts="10:00", ends="12:00",
                     capacity=5)
    slots.add_window(shop.store, kind="pickup", weekday=None, starts="14:00", ends="16:00",
                     capacity=5)
    session.execute(sa.delete(Slot))
    assert slots.open_slots(shop.store, today=today, days=1) == 1
    (slot,) = session.execute(sa.select(Slot)).scalars()
    assert slot.starts_at == datetime.combine(today, time(14, 0), SHANGHAI)


def test_quote_names_center_fee_and_slots(session, shop):
    zone = add_zone(session, shop.hub, fee=1200, free_over=30000, districts=[XUHUI])
    slot = make_slot(session, shop.hub, kind="delivery")
    quote = zones.quote_delivery(delivery_address(), [(shop.products[0].id, 1)], now=utcnow())
    assert quote.center.id == shop.hub.id and quote.zone == zone
    assert quote.fee_amount == 1200 and quote.slots == [slot]
