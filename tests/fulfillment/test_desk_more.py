"""Desk pages: last look with part of the order, someone else collecting, the payment taken;
couriers, who received, failed deliveries; the low-stock warning; center boundaries."""

import re
from datetime import timedelta

import pytest

from core.clock import utcnow
from core.models import Role
from core.signals import fulfillment_completed
from fulfillment import services, transfers
from fulfillment.models import Fulfillment, Slot
from storefront.orders import place_order
from tests.conftest import delivery_address

from .test_desk_pages import fulfillment_of, login, order_at, shopper  # noqa: F401

pytestmark = pytest.mark.dates  # calendar rules: CI runs these shifted too


def reread(session, f: Fulfillment) -> Fulfillment:
    """The fulfillment as the database now holds it (after a request changed it)."""
    session.expire_all()
    return session.get(Fulfillment, f.id)


def ready(session, shop, order):
    f = fulfillment_of(session, order)
    services.mark_ready(f, shop.clerk)
    session.commit()
    return f


def test_last_look_then_part_of_the_order(client, session, shop, order_at):  # noqa: F811
    f = ready(session, shop, order_at(shop.store, quantity=3))
    login(client, shop.clerk)
    page = client.post("/desk/code", data={"code": f.pickup_code}).get_data(as_text=True)
    assert "王女士" in page and 'data-testid="take"' in page
    assert 'data-testid="paid-method"' in page  # pay at pickup: the clerk records how
    line = f.lines[0]
    response = client.post(f"/desk/fulfillments/{f.id}/handover",
                           data={"code": f.pickup_code, f"take-{line.id}": "1",
                                 "confirming": "1", "paid_method": "wechat_scan",
                                 "collector_name": "李先生", "collector_phone": "13600001111"})
    assert response.status_code == 302
    f = reread(session, f)
    assert (f.status, f.lines[0].collected_quantity, f.collector_name) == ("ready", 1, "李先生")


def test_part_of_a_pay_at_pickup_order_is_paid_for_that_part(client, session, shop,
                                                             order_at):  # noqa: F811
    from storefront.models import Order

    f = ready(session, shop, order_at(shop.store, quantity=3))
    login(client, shop.clerk)
    line = f.lines[0]
    response = client.post(f"/desk/fulfillments/{f.id}/handover", data={
        "code": f.pickup_code, f"take-{line.id}": "2", "paid_method": "cash"},
        follow_redirects=True)
    assert response.status_code == 200
    assert "collected for it" in response.get_data(as_text=True)
    session.expire_all()
    order = session.get(Order, f.order_id)
    unit = order.lines[0].unit_price_amount
    assert (order.status, order.paid_amount) == ("confirmed", 2 * unit)
    # The rest, paid in cash by default: what is left to pay, not the whole total again.
    response = client.post(f"/desk/fulfillments/{f.id}/handover",
                           data={"code": f.pickup_code, "paid_method": "cash"})
    assert response.status_code == 302
    session.expire_all()
    order = session.get(Order, f.order_id)
    assert (order.status, order.paid_amount) == ("fulfilled", order.total_amount)


def test_hand_over_with_the_payment_taken(client, session, shop, order_at):  # noqa: F811
    f = ready(session, shop, order_at(shop.store, quantity=1))
    got = []

    def listen(sender, **kwargs):
        got.append(kwargs)

    fulfillment_completed.connect(listen)
    try:
        login(client, shop.clerk)
        response = client.post(f"/desk/fulfillments/{f.id}/handover",
                               data={"code": f.pickup_code, "paid_method": "alipay_scan"})
    finally:
        fulfillment_completed.disconnect(listen)
    assert response.status_code == 302
    assert got == [{"collected": {"method": "alipay_scan", "amount": 12800}}]


def test_bad_collector_phone_is_shown_on_the_desk(client, session, shop, order_at):  # noqa: F811
    f = ready(session, shop, order_at(shop.store))
    login(client, shop.clerk)
    response = client.post(f"/desk/fulfillments/{f.id}/handover",
                           data={"code": f.pickup_code, "collector_name": "李先生",
                                 "confirming": "1", "paid_method": "cash",
                                 "collector_phone": "abc"})
    assert response.status_code == 400 and "Write their phone number" in response.get_data(
        as_text=True)
    assert reread(session, f).status == "ready"


def test_delivery_desk_courier_received_and_failed(client, session, shop, make_user):
    courier = make_user(Role.STAFF, center=shop.hub, name="快递小周")
    start = utcnow() + timedelta(days=1)
    slot = Slot(center_id=shop.hub.id, kind="delivery", starts_at=start,
                ends_at=start + timedelta(hours=2), capacity=4, taken=0)
    session.add(slot)
    order = place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                        fulfillment={"method": "delivery", "address": delivery_address()},
                        payment_method="cash_on_delivery")
    session.commit()
    login(client, shop.hub_clerk)
    page = client.get("/desk?tab=delivery").get_data(as_text=True)
    assert "快递小周" in page
    f = fulfillment_of(session, order)
    client.post(f"/desk/fulfillments/{f.id}/dispatch", data={"courier_id": str(courier.id)})
    assert fulfillment_of(session, order).courier_id == courier.id
    page = client.get("/desk?tab=delivery").get_data(as_text=True)
    assert "Delivery failed" in page
    client.post(f"/desk/fulfillments/{f.id}/failed", data={"reason": "无人在家",
                                                          "slot_id": str(slot.id)})
    f = fulfillment_of(session, order)
    assert (f.status, f.last_failure_reason, f.slot_id) == ("reserved", "无人在家", slot.id)
    client.post(f"/desk/fulfillments/{f.id}/dispatch", data={})
    client.post(f"/desk/fulfillments/{f.id}/delivered", data={"received_by": "前台",
                                                             "paid_method": "cash"})
    f = fulfillment_of(session, order)
    assert (f.status, f.received_by_name) == ("delivered", "前台")


def test_other_centers_work_is_out_of_reach(client, session, shop, order_at):  # noqa: F811
    f = ready(session, shop, order_at(shop.store))
    login(client, shop.far_clerk)
    assert client.post(f"/desk/fulfillments/{f.id}/handover",
                       data={"code": f.pickup_code}).status_code == 404
    assert client.post(f"/desk/fulfillments/{f.id}/failed",
                       data={"reason": "x"}).status_code == 404
    assert session.get(Fulfillment, f.id).status == "ready"


def test_low_stock_warning_on_the_desk(client, session, shop):
    transfers.set_alert(shop.store.id, shop.products[0].id, 11, shop.clerk)
    login(client, shop.clerk)
    page = client.get("/desk").get_data(as_text=True)
    assert 'data-testid="low-stock"' in page and shop.products[0].sku in page
    login(client, shop.far_clerk)
    assert 'data-testid="low-stock"' not in client.get("/desk").get_data(as_text=True)


def test_the_queue_partial_refreshes_the_desk(client, session, shop, order_at):  # noqa: F811
    order = order_at(shop.store)
    login(client, shop.clerk)
    page = client.get("/desk").get_data(as_text=True)
    assert 'id="desk-queue"' in page and "/desk/queue" in page
    part = client.get("/desk/queue?tab=pickup")
    html = part.get_data(as_text=True)
    assert part.status_code == 200 and "<html" not in html
    assert order.number in html and 'class="tabs"' in html
    login(client, shop.far_clerk)
    assert order.number not in client.get(
        f"/desk/queue?center={shop.store.id}").get_data(as_text=True)


def _slot(session, center, kind, start):
    slot = Slot(center_id=center.id, kind=kind, starts_at=start,
                ends_at=start + timedelta(hours=2), capacity=5, taken=0)
    session.add(slot)
    session.flush()
    return slot


def test_queue_is_grouped_by_slot_in_slot_order(client, session, shop):
    from core.clock import shop_zone
    from fulfillment.queue import group_by_slot

    start = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    late = _slot(session, shop.store, "pickup", start + timedelta(hours=4))
    early = _slot(session, shop.store, "pickup", start)
    placed = {}
    for name, slot in (("late1", late), ("none", None), ("early", early), ("late2", late)):
        placed[name] = place_order(
            shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
            fulfillment={"method": "pickup", "center_id": shop.store.id},
            payment_method="pay_at_pickup", slot_id=slot.id if slot else None)
    ready(session, shop, placed["late1"])  # ready ones come after those still to prepare
    login(client, shop.clerk)
    for url in ("/desk", "/desk/queue"):
        html = client.get(url).get_data(as_text=True)
        headings = re.findall(r'data-testid="slot-heading">([^<]*)</span>\s*'
                              r'<span class="muted">· ([^<]*)</span>', html)
        local = [s.starts_at.astimezone(shop_zone()) for s in (early, late)]
        assert [h.split()[-1] for h, _ in headings] == [
            f"{local[0]:%H:%M}–{(local[0] + timedelta(hours=2)):%H:%M}",
            f"{local[1]:%H:%M}–{(local[1] + timedelta(hours=2)):%H:%M}", "chosen"]
        assert [n for _, n in headings] == ["1 order", "2 orders", "1 order"]
        numbers = [placed[k].number for k in ("early", "late2", "late1", "none")]
        positions = [html.index(n) for n in numbers]
        assert positions == sorted(positions)
    # On the slot's own day the heading is the times alone; on another day it has the date.
    queue = services.center_queue(shop.store.id, day_start=utcnow() - timedelta(days=1))
    day = late.starts_at.astimezone(shop_zone()).date()
    groups = group_by_slot(queue, today=day, zone=shop_zone())
    assert [(g.slot.id if g.slot else None, g.today) for g in groups] == [
        (early.id, early.starts_at.astimezone(shop_zone()).date() == day), (late.id, True),
        (None, False)]


def test_delivery_queue_groups_by_delivery_slot(client, session, shop):
    start = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
    slot = _slot(session, shop.hub, "delivery", start)
    for slot_id in (slot.id, None, slot.id):
        place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                    fulfillment={"method": "delivery", "address": delivery_address()},
                    payment_method="cash_on_delivery", slot_id=slot_id)
    login(client, shop.hub_clerk)
    html = client.get("/desk?tab=delivery").get_data(as_text=True)
    assert html.count('data-testid="slot-group"') == 2
    assert re.findall(r'<span class="muted">· ([^<]*)</span>', html) == ["2 orders", "1 order"]
