"""A sale at the counter: the clerk's own store sells what it holds, paid on the spot.

The sale is an order of the ``store`` channel that goes through the same path as a web
order picked up at a store: priced as for the member (tier prices, points spent), recorded
by ``orders.record_order`` (its number, its fulfillment reserving the units and their lots
first-expired-first-out, ``order_placed``), then handed over at once by the desk's
``complete_pickup`` (``sold`` movements, lots consumed, ``fulfillment_completed``), which
fulfils the order (``order_fulfilled``: points, tier, figures, follow-ups). Nothing is a
special case downstream: refunds, complaints and recalls find an ordinary order.
"""

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from core.clock import utcnow
from core.errors import Forbidden, ValidationFailed
from core.extensions import db
from core.models import Role, User
from fulfillment import services as desk
from fulfillment.access import check_center_access
from fulfillment.errors import InsufficientStock
from fulfillment.models import Center, Fulfillment, FulfillmentLine, Method

from ..barcodes import clean_barcode
from ..loyalty import points as points_ledger
from ..loyalty import tiers
from ..loyalty.membership import membership_of
from ..models import Channel, Order, OrderLine, OrderStatus, PaymentMethod, Product
from ..orders import (
    _describe_shortage,
    _points_discount,
    record_order,
    record_payment,
    resolve_lines,
    unit_price,
    write_order,
)
from ..payments.models import Payment, PaymentStatus
from ..payments.records import log_event
from .tender import check_tender

#: the routing decision written on a counter sale's fulfillment
COUNTER_SALE = "counter_sale"


def check_clerk(center: Center | None, clerk: User) -> Center:
    """A counter sells for its own store only: an active staff member of an active store."""
    if (clerk is None or clerk.role != Role.STAFF or not clerk.active or center is None
            or clerk.center_id != center.id):
        raise Forbidden(_l("Only the store's own staff sell at its counter."))
    if not center.active or not center.is_pickup:
        raise Forbidden(_l("Only a store open to customers sells at a counter."))
    return center


def by_sku(requested) -> list[dict]:
    """Lines as ``{"sku" | "barcode", "quantity"}`` -> ``{"sku", "quantity"}`` (a barcode is
    looked up among the products on sale; unknown ones are named by their index)."""
    if not isinstance(requested, list) or not requested:
        raise ValidationFailed(errors={"lines": [str(_l("Add at least one product."))]})
    codes = {clean_barcode(ln.get("barcode")) for ln in requested
             if isinstance(ln, dict) and not ln.get("sku") and ln.get("barcode")}
    skus = dict(db.session.execute(
        sa.select(Product.barcode, Product.sku).where(Product.barcode.in_(codes),
                                                      Product.active.is_(True))).all()) \
        if codes else {}
    errors, lines = {}, []
    for i, ln in enumerate(requested):
        ln = ln if isinstance(ln, dict) else {}
        quantity = ln.get("quantity", 1)
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            errors[str(i)] = {"quantity": [str(_l("Enter a whole number, 1 or more."))]}
            continue
        sku = ln.get("sku") or skus.get(clean_barcode(ln.get("barcode")))
        if not isinstance(sku, str) or not sku:
            field = "barcode" if ln.get("barcode") else "sku"
            errors[str(i)] = {field: [str(_l("Unknown product."))]}
            continue
        lines.append({"sku": sku.strip().upper(), "quantity": quantity})
    if errors:
        raise ValidationFailed(errors={"lines": errors})
    return lines


def sell_at_counter(center: Center, clerk: User, lines: list[dict], member: User | None = None,
                    payments: list[dict] | None = None, *, points: int = 0,
                    note: str | None = None) -> Order:
    """Sell ``lines`` (``[{"sku" | "barcode", "quantity"}]``) at ``clerk``'s store, paid by
    ``payments`` (``[{"method", "amount", "tendered"?}]``, see ``tender.check_tender``).

    ``member`` is the customer identified at the counter (by card or phone): their tier's
    prices apply and they may spend ``points``; None is an anonymous walk-in (the order has
    no user until claimed). Returns the order, fulfilled: the units left this store's lots
    expiring first, with ``reserved`` then ``sold`` movements. Raises ``Forbidden`` (not this
    clerk's store), ``ValidationFailed`` (lines, payments over or under the total: codes
    ``overpaid``/``underpaid``), ``PointsNotAccepted`` or ``InsufficientStock`` (with the
    lines short and the nearest stores holding them); nothing is written then.
    """
    check_clerk(center, clerk)
    order, items, tender = new_sale(center.id, clerk, lines, member, payments, points=points,
                                    note=note)
    try:
        desk_routing = {"center_id": center.id, "code": center.code, "reason": COUNTER_SALE,
                        "runners_up": []}
        record_order(order, items, center=center, address=None, actor_id=clerk.id,
                     routing=desk_routing)
    except InsufficientStock as err:
        _describe_shortage(err, items, Method.PICKUP, None, near=center)
        raise
    record_tender(order, tender, clerk)
    # Its lines and their lots in one go each, whatever the session still holds: the
    # hand-over's statements stay the same for the same number of lines.
    fulfillment = db.session.execute(
        sa.select(Fulfillment).where(Fulfillment.order_id == order.id)
        .options(sa.orm.selectinload(Fulfillment.lines).selectinload(FulfillmentLine.lots))
        .execution_options(populate_existing=True)).scalar_one()
    desk.complete_pickup(fulfillment, clerk)  # fulfils the order (storefront.listeners)
    return order


def new_sale(center_id: int, clerk: User, lines: list[dict], member: User | None,
             payments: list[dict] | None, *, points: int = 0, note: str | None = None,
             method: str = Method.PICKUP, fee=lambda subtotal: 0,
             address: dict | None = None) -> tuple[Order, list, list[dict]]:
    """A counter sale's order, priced for ``member`` (tier prices, ``points`` spent) with
    ``fee(subtotal)`` on top, written (``write_order``), with its payments checked against the
    total (to record once the stock is held): ``(order, [(product, units)], payments)``.

    ``method`` is how the goods reach the customer: picked up (handed over at once), or
    delivered / shipped to ``address`` (the endless aisle)."""
    if member is not None and (member.is_staff_member or not member.active):
        raise ValidationFailed(errors={"member": [str(_l("This is not a customer's account."))]})
    items = resolve_lines(by_sku(lines))
    membership = membership_of(member) if member is not None else None
    is_member = membership is not None
    tier_prices = tiers.tier_prices_for([p for p, _ in items], is_member and membership.tier)
    priced = [(p, q, *unit_price(p, is_member, tier_prices.get(p.id))) for p, q in items]
    subtotal = sum(price * q for _, q, price, _ in priced)
    discount = _points_discount(membership, subtotal, points)
    delivery_fee = fee(subtotal)
    total = max(0, subtotal - discount + delivery_fee)
    tender = check_tender(payments, total)
    contact = (address or {}).get("name"), (address or {}).get("phone")
    order = Order(
        user_id=member.id if member is not None else None, channel=Channel.STORE,
        clerk_id=clerk.id, status=OrderStatus.CONFIRMED,
        currency=current_app.config["SHOP_CURRENCY"], subtotal_amount=subtotal,
        delivery_fee_amount=delivery_fee, total_amount=total,
        points_redeemed=points if discount else 0, points_discount_amount=discount,
        payment_method=paid_by(tender),
        fulfillment_method=method, center_id=center_id,
        contact_name=contact[0] or (membership.name if membership
                                    else member.name if member else None),
        contact_phone=contact[1] or (membership.phone if membership
                                     else member.phone if member else None),
        note=(note or "").strip()[:500] or None,
    )
    write_order(order, [
        OrderLine(product_id=p.id, sku=p.sku, name_zh=p.name_zh, name_en=p.name_en,
                  quantity=q, unit_price_amount=price, line_total_amount=price * q,
                  member_price=is_member_price,
                  price_tier=(membership.tier if is_member_price
                              and tier_prices.get(p.id) == price else None))
        for p, q, price, is_member_price in priced])
    if discount:
        points_ledger.redeem_points(membership, order, points)
    return order, items, tender


def paid_by(tender: list[dict]) -> str:
    """How a counter sale was paid, as the order records it: its one way of paying, or
    ``split`` when several (each is a payment row of its own). Paid now, at the counter,
    whatever way the goods reach the customer: never "at pickup" nor "on delivery"."""
    methods = {pay["method"] for pay in tender}
    if len(methods) > 1:
        return PaymentMethod.SPLIT
    return PaymentMethod(methods.pop()) if methods else PaymentMethod.CASH


def record_tender(order: Order, tender: list[dict], clerk: User) -> None:
    """The money taken at the counter: one payment each, then the order is paid."""
    now = utcnow()
    for pay in tender:
        db.session.add(Payment(order_id=order.id, method=pay["method"],
                               status=PaymentStatus.SUCCEEDED, amount=pay["amount"],
                               tendered_amount=pay["tendered"], currency=order.currency,
                               succeeded_at=now, collected_by_id=clerk.id))
        log_event(order, "collected", amount=pay["amount"], detail=pay["method"])
    order.status = OrderStatus.PAID
    record_payment(order, order.total_amount, paid_at=now)


def sold_at(order: Order) -> int | None:
    """The store whose counter sold the order (its clerk's), even when another center
    delivers it (the endless aisle)."""
    clerk = db.session.get(User, order.clerk_id) if order.clerk_id else None
    return clerk.center_id if clerk is not None else None


def check_sale_access(actor: User, order: Order) -> None:
    """Staff of the store that sold it or of the center that fulfils it; admins."""
    if actor.role == Role.STAFF and actor.center_id == sold_at(order):
        return
    check_center_access(actor, order.center_id)
