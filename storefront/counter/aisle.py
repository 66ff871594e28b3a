"""The endless aisle: the store lacks a product, the clerk sells it at the counter all the
same, paid now, and it reaches the customer from elsewhere, routed as a web order is:
delivered by the delivery center serving the address, or shipped by courier from the
nearest warehouse holding everything. The sale is a store-channel order of the clerk who
sold it; the center that delivers it fulfils it (the order's center), and the desk there
has nothing to collect.

Or the customer collects it here later (``sell_for_transfer``): the units are reserved at
the nearest other center holding them all, a transfer brings them to this store
(``fulfillment.transfer_pickups``), and the pickup is ready, with its code and a message to
the customer, once they are received; it is handed over as any pickup. This store is the
order's center throughout."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.errors import ValidationFailed
from core.extensions import db
from core.models import User
from core.phones import mobile_number
from fulfillment.courier import decide_courier
from fulfillment.errors import InsufficientStock
from fulfillment.models import Center, Fulfillment, Method
from fulfillment.routing import available_by_center, courier_fee, decide_delivery, pickup_options
from fulfillment.transfer_pickups import await_transfer
from fulfillment.zones import delivery_terms

from ..models import Order
from ..orders import _describe_shortage, record_order, resolve_lines
from .sales import by_sku, check_clerk, new_sale, record_tender

#: how a sale at the counter may reach the customer from elsewhere
ELSEWHERE = (Method.DELIVERY, Method.COURIER)
#: the routing decision written on a sale collected here after a transfer
TRANSFER_PICKUP = "transfer_pickup"


def sell_from_elsewhere(center: Center, clerk: User, lines: list[dict], *, method: str,
                        address: dict, member: User | None = None,
                        payments: list[dict] | None = None, points: int = 0,
                        note: str | None = None) -> Order:
    """Sell at ``clerk``'s store what another center sends to ``address`` (``method``
    delivery or courier; the address as checkout takes it: name, phone, province, city,
    district, street, lat/lng). The delivery or courier fee is added as for a web order and
    paid now with the rest. Returns the order, paid, its stock reserved at the routed
    center. Raises what ``sell_at_counter`` and checkout's routing raise
    (``NoCenterServesAddress``, ``InsufficientStock``, ``CourierUnavailable``,
    ``BelowMinimumOrder``); nothing is written then."""
    check_clerk(center, clerk)
    if method not in ELSEWHERE or not isinstance(address, dict):
        raise ValidationFailed(errors={"method": [str(_l(
            "Choose delivery or courier, with the address."))]})
    items = resolve_lines(by_sku(lines))
    pairs = [(p.id, q) for p, q in items]
    try:
        routed = (decide_courier(address, pairs) if method == Method.COURIER
                  else decide_delivery(address, pairs))
    except InsufficientStock as err:
        _describe_shortage(err, items, method, address)
        raise
    source = routed.center

    def fee(subtotal: int) -> int:
        return (courier_fee() if method == Method.COURIER
                else delivery_terms(source, address, subtotal))

    order, items, tender = new_sale(source.id, clerk, lines, member, payments, points=points,
                                    note=note, method=method, fee=fee, address=address)
    record_order(order, items, center=source, address=address, actor_id=clerk.id,
                 routing={**routed.as_record(), "sold_at": center.code})
    record_tender(order, tender, clerk)
    db.session.flush()
    return order


def transfer_source(center: Center, pairs: list[tuple[int, int]]) -> Center:
    """The center the units come from: the nearest other active center (store, delivery
    center or warehouse) holding every line. Raises ``InsufficientStock`` naming what the
    best-stocked other center has of each line when none holds them all."""
    options = [o for o in pickup_options(pairs, center.lat, center.lng, kind=None)
               if o.center.id != center.id]
    stocked = [o for o in options if o.has_stock]
    if stocked:
        return stocked[0].center
    held = available_by_center([o.center.id for o in options], [pid for pid, _ in pairs])
    best = {pid: max((row.get(pid, 0) for row in held.values()), default=0)
            for pid, _ in pairs}
    raise InsufficientStock(extra={"lines": [
        {"product_id": pid, "requested": q, "available": max(best[pid], 0)}
        for pid, q in pairs]})


def sell_for_transfer(center: Center, clerk: User, lines: list[dict], *,
                      member: User | None = None, payments: list[dict] | None = None,
                      points: int = 0, note: str | None = None,
                      contact: dict | None = None) -> Order:
    """Sell at ``clerk``'s store what it lacks, paid now, to be collected here once a
    transfer brings it: the units are reserved at the nearest other center holding them all
    (``transfer_source``), one transfer per product is requested from there, and the
    order's pickup at this store waits (``transferring``) until they are received, then is
    ready with its code and the customer told. ``contact`` (``{"name"?, "phone"}``) is who
    to tell: required without a member (a member is told at their own phone).

    Returns the order, paid. Raises what ``sell_at_counter`` raises (``InsufficientStock``
    when no other center holds every line); nothing is written then."""
    check_clerk(center, clerk)
    contact = contact if isinstance(contact, dict) else {}
    phone = mobile_number(str(contact.get("phone") or ""))
    if contact.get("phone") and phone is None:
        raise ValidationFailed(errors={"contact": {"phone": [str(_l(
            "Enter a valid mobile number."))]}})
    if member is None and phone is None:
        raise ValidationFailed(errors={"contact": {"phone": [str(_l(
            "A phone number, to tell the customer when the goods have arrived."))]}})
    items = resolve_lines(by_sku(lines))
    pairs = [(p.id, q) for p, q in items]
    try:
        source = transfer_source(center, pairs)
    except InsufficientStock as err:
        _describe_shortage(err, items, Method.DELIVERY, None)
        raise
    order, items, tender = new_sale(
        center.id, clerk, lines, member, payments, points=points, note=note,
        method=Method.PICKUP,
        address={"name": (str(contact.get("name") or "").strip()[:100] or None),
                 "phone": phone})
    routing = {"center_id": center.id, "code": center.code, "reason": TRANSFER_PICKUP,
               "transfer_from": source.code, "runners_up": []}
    try:
        record_order(order, items, center=source, address=None, actor_id=clerk.id,
                     routing=routing)
    except InsufficientStock as err:  # another sale took the units a moment before
        _describe_shortage(err, items, Method.DELIVERY, None)
        raise
    record_tender(order, tender, clerk)
    fulfillment = db.session.execute(
        sa.select(Fulfillment).where(Fulfillment.order_id == order.id)).scalar_one()
    await_transfer(fulfillment, center, clerk)
    return order
