"""Placing, reading and cancelling orders. ``place_order`` is one transaction: price the
lines, choose the center, reserve the stock (fulfillment's conditional updates), write the
order (its address's place as the national divisions name it). No payment call inside it.
"""

from collections.abc import Callable
from datetime import timedelta
from functools import lru_cache

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.attributes import set_committed_value

from core.clock import shop_zone, utcnow
from core.database import limit_lock_wait, lock_wait_condition
from core.errors import Forbidden, IllegalTransition, NotFound, ValidationFailed
from core.extensions import db
from core.i18n import localized
from core.models import Role, User
from core.signals import order_cancelled, order_fulfilled, order_placed
from core.sql import columns_of, fresh, insert_family, load, zero_padded
from fulfillment import divisions
from fulfillment import services as desk
from fulfillment.access import check_center_access
from fulfillment.courier import decide_courier
from fulfillment.errors import InsufficientStock, UnknownCenter
from fulfillment.labels import method_word
from fulfillment.models import Center, Fulfillment, FulfillmentStatus, Method
from fulfillment.pickup import close_part_collected
from fulfillment.routing import courier_fee, decide_delivery, pickup_options
from fulfillment.zones import delivery_terms

from . import coupons
from .errors import PaymentsUnavailable
from .labels import status_word
from .loyalty import points as points_ledger
from .loyalty import tiers
from .loyalty.membership import is_open_membership_of, membership_of
from .loyalty.models import Membership
from .models import Order, OrderLine, OrderStatus, PaymentMethod, Product
from .payments.records import lock_order, log_event, paid_total, refundable, refunded_quantities
from .payments.refunds import refund_order

MAX_QUANTITY = 99
#: why a pickup nobody collected was cancelled (timeline event and refund reason)
NO_SHOW = "no_show"
#: an order cancelled by the shopper or staff (timeline event and refund reason)
CANCELLED = "cancelled"
#: how long an unpaid online order holds its stock
RESERVATION_MINUTES = 30

_METHODS_FOR = {
    Method.PICKUP: (PaymentMethod.PAY_AT_PICKUP, PaymentMethod.STRIPE),
    Method.DELIVERY: (PaymentMethod.CASH_ON_DELIVERY, PaymentMethod.STRIPE),
    Method.COURIER: (PaymentMethod.CASH_ON_DELIVERY, PaymentMethod.STRIPE),
}


def unit_price(product: Product, is_member: bool,
               tier_price: int | None = None) -> tuple[int, bool]:
    """The price this shopper pays for one unit, and whether it is a member price.

    A member pays the lowest of the list price, the base member price and the price set
    for their tier (``tier_price``).
    """
    offers = [a for a in (product.member_price_amount, tier_price) if a is not None]
    if is_member and offers and min(offers) < product.price_amount:
        return min(offers), True
    return product.price_amount, False


def resolve_lines(requested: list[dict],
                  products: dict[str, Product] | None = None) -> list[tuple[Product, int]]:
    """``[{"sku", "quantity"}]`` -> products with summed quantities; unknown SKUs are an error.
    ``products``: the active products of those SKUs by SKU, when already read."""
    if products is None:
        skus = {ln["sku"] for ln in requested}
        products = {p.sku: p for p in db.session.execute(
            _active_products(), {"skus": list(skus)}).scalars()}
    errors = {}
    quantities: dict[str, int] = {}
    for i, ln in enumerate(requested):
        if ln["sku"] not in products:
            errors[str(i)] = {"sku": [str(_l("Unknown product."))]}
            continue
        quantities[ln["sku"]] = quantities.get(ln["sku"], 0) + ln["quantity"]
    for i, ln in enumerate(requested):
        if ln["sku"] in quantities and quantities[ln["sku"]] > MAX_QUANTITY:
            errors[str(i)] = {"quantity": [str(_l("At most %(n)d per product.", n=MAX_QUANTITY))]}
    if errors:
        raise ValidationFailed(errors={"lines": errors})
    if not quantities:
        raise ValidationFailed(errors={"lines": [str(_l("Add at least one product."))]})
    return [(products[sku], qty) for sku, qty in quantities.items()]


@lru_cache(maxsize=1)
def _active_products() -> sa.Select:
    """The active products of some SKUs (built once: every checkout asks)."""
    return sa.select(Product).where(Product.sku.in_(sa.bindparam("skus", expanding=True)),
                                    Product.active.is_(True))


#: what ``_products_at`` gives when it has not read the shopper's membership
_UNREAD = object()


def _products_at(requested: list[dict], center_id: int, user: User,
                 lock_wait_ms: int) -> tuple:
    """A pickup's active products (by SKU), its store and the shopper's open membership
    (or None), by one read, which on PostgreSQL also sets the transaction's lock wait
    (``limit_lock_wait``'s setting: one round trip less); ``(None, None, _UNREAD)`` when it
    finds no row (an unknown store or no product: the caller reads them apart, to say which,
    and sets the lock wait itself)."""
    skus = sorted({ln["sku"] for ln in requested})
    if len(skus) > _PICKUP_READ_SKUS:
        return None, None, _UNREAD
    postgres = db.session.get_bind().dialect.name == "postgresql"
    rows = load(_products_and_center(len(skus), postgres), {
        **{f"sku_{i}": sku for i, sku in enumerate(skus)}, "center": center_id,
        "user": user.id, **({"lock_wait": str(int(lock_wait_ms))} if postgres else {})},
        Product, Center, Membership)
    if not rows:
        return None, None, _UNREAD
    return {product.sku: product for product, _, _ in rows}, rows[0][1], rows[0][2]


#: a pickup of more products than this reads them and the store apart
_PICKUP_READ_SKUS = 8


@lru_cache(maxsize=2 * _PICKUP_READ_SKUS)
def _products_and_center(skus: int, postgres: bool) -> sa.Select:
    """The active products of ``skus`` SKUs (``sku_0``, ``sku_1``...) with one store and the
    user's open membership (at most one: a unique index) beside each, built once per
    number of SKUs: run on the driver, which takes no list. On PostgreSQL it also sets the
    transaction's lock wait (``lock_wait_condition``)."""
    read = (sa.select(*columns_of(Product, Center, Membership))
            .select_from(Product)
            .join(Center, Center.id == sa.bindparam("center"))
            .outerjoin(Membership, is_open_membership_of(sa.bindparam("user")))
            .where(Product.sku.in_([sa.bindparam(f"sku_{i}") for i in range(skus)]),
                   Product.active.is_(True)))
    return read.where(lock_wait_condition("lock_wait")) if postgres else read


def _numbered(order_id: sa.ColumnElement) -> sa.ColumnElement:
    """An order's number, made in its INSERT: the day's prefix it was given
    (``_number_prefix``) and its id, at least four digits: SH-20261205-0042."""
    return sa.bindparam("number", type_=sa.String()) + zero_padded(order_id, 4)


def _number_prefix() -> str:
    return f"SH-{utcnow().astimezone(shop_zone()):%Y%m%d}-"


def place_order(user: User, *, lines: list[dict], fulfillment: dict, payment_method: str,
                note: str | None = None, slot_id: int | None = None,
                points: int = 0, coupon: str | None = None,
                before_stock: Callable[[Order], None] | None = None) -> Order:
    """Price, route, reserve and record an order for ``user``.

    ``fulfillment`` is ``{"method": "pickup", "center_id", "lat"?, "lng"?}`` (the shopper's
    position, when known) or ``{"method": "delivery" | "courier", "address": {...}}``.
    Raises ``ValidationFailed``, ``UnknownCenter``, ``NoCenterServesAddress``,
    ``InsufficientStock`` (with the lines short and, for pickup, the nearest centers that
    hold them), ``CourierUnavailable`` (no warehouse holds every
    line) or ``PaymentsUnavailable``; nothing is written then. A courier shipment comes
    from the nearest warehouse holding everything and pays the courier fee.
    ``slot_id`` (optional) is a pickup or delivery window of the routed center: it holds a
    place there or raises ``SlotUnavailable``. Delivery pays its zone's fee
    (``BelowMinimumOrder`` under the zone's minimum).
    A member pays their tier's prices and may spend ``points`` (up to a share of the
    subtotal; ``InsufficientPoints`` when another checkout spent them first).
    ``coupon`` (a code of the shopper's) takes its amount off what the goods still cost
    after points (``coupons.CouponInvalid``, ``CouponUsed``, ``CouponExpired``,
    ``CouponMinimum``); it is used once, even by two checkouts at the same moment.
    ``before_stock``: see ``record_order``.
    """
    # In a flash sale the hot stock row is waited for; past this, the shopper is told to
    # try again (503 busy, Retry-After) instead of waiting in a growing queue. A pickup's
    # read sets it; else it is set on its own.
    lock_wait_ms = current_app.config["CHECKOUT_LOCK_WAIT_MS"]
    method = fulfillment["method"]
    if payment_method not in _METHODS_FOR[method]:
        raise ValidationFailed(errors={"payment_method": [str(_l(
            "This payment method is not available for %(method)s.", method=method_word(method)))]})
    if payment_method == PaymentMethod.STRIPE and not current_app.config.get("STRIPE_SECRET_KEY"):
        raise PaymentsUnavailable()

    products, center, membership = (
        _products_at(lines, fulfillment["center_id"], user, lock_wait_ms)
        if method == Method.PICKUP else (None, None, _UNREAD))
    if products is None:
        limit_lock_wait(db.session, lock_wait_ms)
    items = resolve_lines(lines, products)
    pairs = [(p.id, q) for p, q in items]
    address = divisions.canonical(fulfillment["address"]) if fulfillment.get("address") else None
    # where the shopper is (the page may know it for pickup too): ranks the alternatives
    position = address or {"lat": fulfillment.get("lat"), "lng": fulfillment.get("lng")}
    if method == Method.PICKUP:
        center = center or db.session.get(Center, fulfillment["center_id"])
        if center is None or not center.active or not center.is_pickup:
            raise UnknownCenter(errors={"fulfillment": {"center_id": [str(UnknownCenter.message)]}})
        contact_name, contact_phone = user.name, user.phone
        decision = {"center_id": center.id, "code": center.code, "reason": "shopper_chose",
                    "runners_up": []}
    elif method == Method.COURIER:
        routed = decide_courier(address, pairs)
        center, decision = routed.center, routed.as_record()
        contact_name, contact_phone = address["name"], address["phone"]
    else:
        try:
            routed = decide_delivery(address, pairs)
            center, decision = routed.center, routed.as_record()
        except InsufficientStock as err:
            _describe_shortage(err, items, method, address)
            raise
        contact_name, contact_phone = address["name"], address["phone"]

    if membership is _UNREAD:
        membership = membership_of(user)
    is_member = membership is not None
    tier_prices, set_for_tier = tiers.prices_for_member([p for p, _ in items],
                                                        is_member and membership.tier)
    priced = [(p, q, *unit_price(p, is_member, tier_prices.get(p.id))) for p, q in items]
    subtotal = sum(price * q for _, q, price, _ in priced)
    fee = (delivery_terms(center, address, subtotal) if method == Method.DELIVERY
           else courier_fee() if method == Method.COURIER else 0)
    discount = _points_discount(membership, subtotal, points)
    used_coupon, coupon_off = (coupons.applicable(user, coupon, subtotal=subtotal,
                                                  goods_left=subtotal - discount)
                               if coupon else (None, 0))
    total = max(0, subtotal - discount - coupon_off + fee)
    order = fresh(
        Order, user_id=user.id,
        status=(OrderStatus.PENDING_PAYMENT if payment_method == PaymentMethod.STRIPE and total
                else OrderStatus.CONFIRMED),
        currency=current_app.config["SHOP_CURRENCY"],
        subtotal_amount=subtotal, delivery_fee_amount=fee, total_amount=total,
        points_redeemed=points if discount else 0, points_discount_amount=discount,
        coupon_discount_amount=coupon_off,
        payment_method=payment_method, fulfillment_method=method, center_id=center.id,
        contact_name=contact_name, contact_phone=contact_phone, note=note,
    )
    # the order, its lines, its fulfillment and their lines: one statement on PostgreSQL
    fulfillment = desk.new_fulfillment(
        order_id=None, center=center, method=method, lines=_fulfillment_lines(items),
        contact_name=contact_name, contact_phone=contact_phone, address=address,
        slot_id=slot_id, routing=decision)
    write_order(order, [
        fresh(OrderLine, product_id=p.id, sku=p.sku, name_zh=p.name_zh, name_en=p.name_en,
              quantity=q, unit_price_amount=price, line_total_amount=price * q,
              member_price=is_member_price,
              price_tier=(membership.tier if is_member_price
                          and tiers.tier_price_applied(p, set_for_tier) else None))
        for p, q, price, is_member_price in priced], fulfillment=fulfillment)
    # the points and the coupon name the order
    if discount:
        points_ledger.redeem_points(membership, order, points)
    if used_coupon is not None:
        coupons.redeem(used_coupon, order)
    try:
        return record_order(order, items, center=center, address=address, slot_id=slot_id,
                            actor_id=user.id, routing=decision, before_stock=before_stock,
                            fulfillment=desk.opened(*fulfillment, center))
    except InsufficientStock as err:
        _describe_shortage(err, items, method, position,
                           near=center if method == Method.PICKUP else None)
        raise


def write_order(order: Order, lines: list[OrderLine], *,
                fulfillment: tuple | None = None) -> Order:
    """Write a new order, numbered in its INSERT, and its lines (built without each other) by
    one statement returning their rows (``insert_family``; two INSERTs on SQLite), the lines
    set as the order's known lines: no unit-of-work flush, which costs a checkout more than
    the statements do. ``fulfillment``: its new fulfillment and their lines
    (``desk.new_fulfillment``), written by the same statement on PostgreSQL."""
    order.number = _number_prefix()
    insert_family(order, lines, "order_id", number=_numbered,
                  second=fulfillment and (*fulfillment, "order_id", "fulfillment_id"))
    set_committed_value(order, "lines", lines)
    for line in lines:
        set_committed_value(line, "order", order)
    return order


def record_order(order: Order, items: list[tuple[Product, int]], *, center: Center,
                 address: dict | None, actor_id: int, routing: dict,
                 slot_id: int | None = None,
                 before_stock: Callable[[Order], None] | None = None,
                 fulfillment: Fulfillment | None = None) -> Order:
    """Go on with a priced order ``write_order`` wrote (and numbered): its fulfillment at
    ``center`` for ``items`` (``[(product, units)]``) by the order's method, ``order_placed``,
    and last the reservation of the stock, its lots and the slot.

    Shared by checkout, the counter and replacement orders. ``address`` is where a delivery
    or courier shipment goes (None for pickup), ``actor_id`` the ledger's "who",
    ``routing`` the decision recorded on the fulfillment. Everything the order causes (the
    listeners of ``order_placed`` included) is written before the stock rows are locked, so
    in a flash sale the hot row is held from its UPDATE to the commit only. ``before_stock``
    (the API's answer, say) is called with the order then, before the stock rows: what the
    reservation does (the stock, the lots, the slot's count) is not part of an order's
    answer. ``fulfillment``: the order's, when ``write_order`` wrote it with the order.
    Raises ``InsufficientStock`` or ``SlotUnavailable``; the caller's rollback undoes the
    rest.
    """
    if fulfillment is None:
        fulfillment = desk.open_fulfillment(
            order_id=order.id, center=center, method=order.fulfillment_method,
            lines=_fulfillment_lines(items), contact_name=order.contact_name,
            contact_phone=order.contact_phone, address=address, slot_id=slot_id,
            routing=routing)
    set_committed_value(order, "fulfillment", fulfillment)  # known: no query to load it
    order_placed.send(order)
    if before_stock is not None:
        before_stock(order)
    desk.reserve_fulfillment(fulfillment, actor_id=actor_id)
    db.session.flush()
    return order


def _fulfillment_lines(items: list[tuple[Product, int]]) -> list[dict]:
    return [{"product_id": p.id, "sku": p.sku, "name_zh": p.name_zh, "name_en": p.name_en,
             "quantity": q} for p, q in items]


def _points_discount(membership, subtotal: int, points: int) -> int:
    """The discount ``points`` buy on this subtotal; refused beyond the member's share."""
    if not points:
        return 0
    if membership is None or points < 0:
        raise points_ledger.PointsNotAccepted(
            errors={"points": [str(_l("Only members can spend points."))]})
    if points > points_ledger.redeemable(membership, subtotal) and points <= membership.points:
        raise points_ledger.PointsNotAccepted(errors={"points": [str(_l(
            "Points can pay at most %(share)d%% of an order.",
            share=points_ledger.max_share_percent()))]})
    return points_ledger.discount_for(points)


def _describe_shortage(err: InsufficientStock, items, method: str, address: dict | None,
                       near: Center | None = None) -> None:
    """Name the lines short by SKU and, for pickup, offer the centers holding them all:
    nearest first to the shopper when their position is known, else to the chosen center."""
    by_id = {p.id: p for p, _ in items}
    for line in err.extra.get("lines", []):
        line["sku"] = by_id[line.pop("product_id")].sku
    if method == Method.PICKUP:
        lat = address.get("lat") if address else None
        lng = address.get("lng") if address else None
        if (lat is None or lng is None) and near is not None:
            lat, lng = near.lat, near.lng
        options = pickup_options([(p.id, q) for p, q in items], lat, lng)
        err.extra["alternatives"] = [
            {"center_id": o.center.id, "code": o.center.code, "name": localized(o.center, "name"),
             "distance_km": o.distance_km}
            for o in options if o.has_stock and o.center is not near
        ][:3]


def get_order(public_id: str) -> Order:
    order = db.session.execute(
        sa.select(Order).where(Order.public_id == public_id)
    ).scalar_one_or_none()
    if order is None:
        raise NotFound()
    return order


def can_view(order: Order, user: User) -> bool:
    """The owner, staff of its center, the customer center and admins."""
    if order.user_id == user.id or user.role in (Role.ADMIN, Role.CRM):
        return True
    return user.role == Role.STAFF and user.center_id == order.center_id


def orders_of(user: User) -> list[Order]:
    """A shopper's orders, newest first, with lines and fulfillment (a fixed number of queries)."""
    return list(db.session.execute(
        sa.select(Order).where(Order.user_id == user.id)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .options(sa.orm.selectinload(Order.lines), sa.orm.selectinload(Order.fulfillment),
                 sa.orm.selectinload(Order.coupon), sa.orm.selectinload(Order.replacement_of))
    ).scalars())


def cancel_order(order: Order, actor: User) -> Order:
    """Cancel an open order and release its stock.

    The owner may cancel until the order is ready or dispatched; staff of its center and
    admins while the center still has it.
    """
    if order.user_id != actor.id and actor.role not in (Role.ADMIN, Role.STAFF):
        raise Forbidden()
    if actor.role == Role.STAFF and order.user_id != actor.id:
        check_center_access(actor, order.center_id)
    order = lock_order(order)  # two cancels at once: the second finds it closed
    if not order.is_open:
        raise IllegalTransition(_l("This order is already %(status)s.",
                                   status=status_word(order.status)),
                                extra={"status": order.status})
    f = order.fulfillment
    owner_only = order.user_id == actor.id and actor.role not in (Role.ADMIN, Role.STAFF)
    if owner_only and f is not None and f.status != FulfillmentStatus.RESERVED:
        raise IllegalTransition(_l(
            "The store has already prepared this order. Please call the store to cancel it."),
            extra={"status": order.status})
    uncollected = _part_left(order)
    if uncollected is not None:
        # The shopper took part of it at the desk: what they took stays sold and paid for.
        close_part_collected(f, utcnow(), actor_id=actor.id, reason=CANCELLED)
        return _fulfil_the_part_taken(order, uncollected, reason=CANCELLED)
    return _cancel(order, actor=actor)


def _cancel(order: Order, *, actor: User | None = None, reason: str | None = None) -> Order:
    """Cancel an open order: release what its fulfillment still holds, then send
    ``order_cancelled`` with ``reason`` (None: the shopper or staff cancelled; ``no_show``).

    The listener (``billing.note_cancellation``) writes the timeline entry and refunds what
    was paid online with that reason, in this transaction. ``actor`` None is the shop itself.
    """
    f = order.fulfillment
    # A fulfillment already cancelled or ended (a part collection closed it) holds nothing
    # more; one on its way is refused by the desk.
    if f is not None and f.status not in (FulfillmentStatus.CANCELLED, *FulfillmentStatus.DONE):
        desk.cancel_fulfillment(f, actor=actor)
    order.status = OrderStatus.CANCELLED
    order.cancelled_at = utcnow()
    db.session.flush()
    order_cancelled.send(order, reason=reason)
    return order


def record_payment(order: Order, amount: int, *, paid_at=None) -> Order:
    """What the shopper has paid for the order comes to ``amount`` (fen): the one place
    ``paid_amount`` is set (an online payment, the desk's money at hand-over or for a part).

    ``paid_at`` is when the order counts as paid; a part paid at the desk leaves it unset.
    """
    order.paid_amount = amount
    if paid_at is not None:
        order.paid_at = paid_at
    db.session.flush()
    return order


def complete_order(order: Order, *, collected_amount: int | None = None) -> Order:
    """The goods reached the shopper: an offline payment was collected then.

    ``collected_amount`` is what the desk took (fen); the order's total when not given.
    """
    if order.status not in (OrderStatus.PAID, OrderStatus.CONFIRMED):
        raise IllegalTransition(extra={"status": order.status})
    if order.payment_method in PaymentMethod.OFFLINE and order.status == OrderStatus.CONFIRMED:
        record_payment(order, order.total_amount if collected_amount is None
                       else collected_amount, paid_at=utcnow())
    order.status = OrderStatus.FULFILLED
    order.fulfilled_at = utcnow()
    db.session.flush()
    order_fulfilled.send(order)
    return order


def reservation_minutes() -> int:
    """How long an unpaid online order holds its stock (``PAYMENT_EXPIRY_MINUTES``)."""
    return int(current_app.config.get("PAYMENT_EXPIRY_MINUTES") or RESERVATION_MINUTES)


def expire_order(order: Order, now) -> bool:
    """Cancel one unpaid order past its time, releasing its stock; False if it was paid meanwhile.

    The order's row is locked and its state read again first: a payment being recorded at
    the same moment either got there first (the order stays paid) or waits for this one.
    """
    db.session.refresh(order, with_for_update=True)
    if order.status != OrderStatus.PENDING_PAYMENT:
        return False
    if order.fulfillment is not None and order.fulfillment.status == FulfillmentStatus.RESERVED:
        desk.cancel_fulfillment(order.fulfillment, reason="expired")
    order.status = OrderStatus.CANCELLED
    order.cancelled_at = now
    db.session.flush()
    order_cancelled.send(order, expired=True)
    return True


def close_no_show(order: Order) -> bool:
    """A pickup nobody collected went back to stock: close its order; False if already closed.

    Nothing collected: the order is cancelled as any other (``_cancel``), and what was paid
    online goes back in full with reason ``no_show`` (the Stripe call happens after the
    commit, see ``execute_pending_refunds``); an order to be paid at the desk is only
    cancelled. Part collected at the desk: the order is fulfilled for that part (an offline
    order with what the desk took for it) and only the uncollected lines are refunded when
    it was paid online. The order's row is locked and read again first, so running twice
    closes and refunds it once.
    """
    order = lock_order(order)
    if not order.is_open:
        return False
    uncollected = _part_left(order)
    if uncollected is not None:
        _fulfil_the_part_taken(order, uncollected, reason=NO_SHOW)
        return True
    _cancel(order, reason=NO_SHOW)
    return True


def _fulfil_the_part_taken(order: Order, uncollected: dict[int, int], *, reason: str) -> Order:
    """The shopper took part of the order and will not take the rest (``reason``: a no-show
    or a cancel at the desk): the order is fulfilled for the part taken (an offline order
    with what the desk took for it), and when it was paid online the lines never collected
    are refunded. The fulfillment is already closed."""
    log_event(order, reason)
    complete_order(order, collected_amount=paid_total(order))
    if uncollected and order.payment_method not in PaymentMethod.OFFLINE \
            and refundable(order) > 0:
        refund_order(order, None, reason=reason, lines=uncollected)
    return order


def _part_left(order: Order) -> dict[int, int] | None:
    """What is left of an order the shopper took part of and that can be fulfilled for that
    part (paid, or confirmed to be paid at the desk): ``{order line id: units}``; None
    when nothing was collected, or the order waits for an online payment."""
    if order.status not in (OrderStatus.PAID, OrderStatus.CONFIRMED):
        return None
    f = order.fulfillment
    taken = {ln.product_id: ln.collected_quantity or 0 for ln in (f.lines if f else [])}
    if not any(taken.values()):
        return None
    done = refunded_quantities(order)
    left = {line.id: line.quantity - taken.get(line.product_id, 0) - done.get(line.id, 0)
            for line in order.lines}
    return {line_id: units for line_id, units in left.items() if units > 0}


def due_unpaid_order_ids(now) -> list[int]:
    """Online orders left unpaid past the reservation time."""
    cutoff = now - timedelta(minutes=reservation_minutes())
    return list(db.session.execute(
        sa.select(Order.id).where(Order.status == OrderStatus.PENDING_PAYMENT,
                                  Order.created_at < cutoff).order_by(Order.id)
    ).scalars())


def expire_due_orders(now) -> list[Order]:
    """Expire every online order left unpaid past the reservation time; returns them."""
    return [order for order in (db.session.get(Order, i) for i in due_unpaid_order_ids(now))
            if expire_order(order, now)]


def expire_unpaid_orders(now) -> str:
    """Job: cancel online orders left unpaid past the reservation time, releasing their stock."""
    return f"{len(expire_due_orders(now))} unpaid order(s) expired"
