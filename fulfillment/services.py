"""The desk's rules: reserve stock, mark ready, hand over, dispatch, deliver, cancel, restock.

Every transition checks the current state and raises ``IllegalTransition`` otherwise. They
flush and return; the caller commits once at its edge.
"""

import hmac
import secrets
from functools import lru_cache

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.attributes import set_committed_value

from core.cache import mark_changed
from core.clock import utcnow
from core.errors import IllegalTransition, TooManyAttempts, ValidationFailed
from core.extensions import db
from core.models import Role, User
from core.ratelimit import attempts
from core.signals import fulfillment_cancelled, fulfillment_completed, fulfillment_ready
from core.sql import fresh, insert_family, run

from . import lot_moves
from .access import check_center_access, lock_fulfillment, require_state
from .dues import check_collected, require_collected
from .errors import InsufficientStock, SlotUnavailable, WrongCode
from .labels import status_word
from .ledger import record_movement
from .lots import allocate_lots, consume_lots, plan_lines, release_lots
from .models import (
    Center,
    Fulfillment,
    FulfillmentLine,
    FulfillmentStatus,
    Method,
    MovementKind,
    Stock,
)
from .routing import Lines, available_by_center, merge_lines, shortages
from .slots import release_slot, reserve_slot

#: no 0/O, 1/I/L: a code read aloud at a counter must not be misheard
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8


def reserve_stock(center_id: int, lines: Lines, *, fulfillment_id: int | None = None,
                  actor_id: int | None = None) -> None:
    """Reserve every line at the center, or none; each line is a ``reserved`` movement.

    One conditional UPDATE per line (``... WHERE on_hand - reserved >= q``); a row count
    of 0 means another order got there first. The movements are written first and the
    UPDATEs last, so a stock row's lock (a flash sale's hot row) is held for as little of
    the transaction as possible. Lines go in product order so two orders never wait on each
    other's rows in opposite orders. On failure, raises ``InsufficientStock`` listing the
    lines short; the caller's rollback undoes the lines already reserved and the movements.
    """
    merged = merge_lines(lines)
    for product_id, quantity in merged:
        record_movement(center_id, product_id, MovementKind.RESERVED, reserved=quantity,
                        actor_id=actor_id, fulfillment_id=fulfillment_id, reason="order")
    short = []
    for product_id, quantity in merged:
        result = run(_reserve_row(), {
            "center": center_id, "product": product_id, "units": quantity, "at": utcnow()})
        if result.rowcount != 1:
            short.append((product_id, quantity))
    if short:
        available = available_by_center([center_id], [pid for pid, _ in short]).get(center_id, {})
        raise InsufficientStock(extra={"lines": shortages(available, short)})
    mark_changed(db.session, "stock")


@lru_cache(maxsize=1)
def _reserve_row() -> sa.Update:
    """``... SET reserved = reserved + units WHERE on_hand - reserved >= units`` (built once:
    the hot statement of every checkout)."""
    units = sa.bindparam("units", type_=sa.Integer())
    stock = Stock.__table__.c  # the table's: no ORM bulk-update step on the hot path
    return (sa.update(Stock.__table__)
            .where(stock.center_id == sa.bindparam("center"),
                   stock.product_id == sa.bindparam("product"),
                   stock.on_hand - stock.reserved >= units)
            .values(reserved=stock.reserved + units, updated_at=sa.bindparam("at")))


def release_stock(center_id: int, lines: Lines, *, fulfillment_id: int | None = None,
                  actor_id: int | None = None, reason: str = "cancelled") -> None:
    """Give reserved units back (a cancelled or expired order): ``released`` movements."""
    for product_id, quantity in merge_lines(lines):
        db.session.execute(
            sa.update(Stock)
            .where(Stock.center_id == center_id, Stock.product_id == product_id)
            .values(reserved=Stock.reserved - quantity, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        record_movement(center_id, product_id, MovementKind.RELEASED, reserved=-quantity,
                        actor_id=actor_id, fulfillment_id=fulfillment_id, reason=reason)
    mark_changed(db.session, "stock")


def _consume_stock(center_id: int, lines: Lines, *, fulfillment_id: int,
                   actor_id: int | None) -> None:
    """Reserved units leave the building: both on hand and reserved go down (``sold``)."""
    for product_id, quantity in merge_lines(lines):
        db.session.execute(
            sa.update(Stock)
            .where(Stock.center_id == center_id, Stock.product_id == product_id)
            .values(on_hand=Stock.on_hand - quantity, reserved=Stock.reserved - quantity,
                    updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        record_movement(center_id, product_id, MovementKind.SOLD, on_hand=-quantity,
                        reserved=-quantity, actor_id=actor_id, fulfillment_id=fulfillment_id,
                        reason="handed over")
    mark_changed(db.session, "stock")


def create_fulfillment(*, order_id: int, center: Center, method: str, lines: list[dict],
                       contact_name: str | None = None, contact_phone: str | None = None,
                       address: dict | None = None, slot_id: int | None = None,
                       actor_id: int | None = None, routing: dict | None = None) -> Fulfillment:
    """Reserve the lines at ``center`` (and a place in ``slot_id``) and open its work:
    ``open_fulfillment`` then ``reserve_fulfillment``. Raises ``InsufficientStock`` or
    ``SlotUnavailable``; the caller's rollback undoes the rest.
    """
    fulfillment = open_fulfillment(
        order_id=order_id, center=center, method=method, lines=lines,
        contact_name=contact_name, contact_phone=contact_phone, address=address,
        slot_id=slot_id, routing=routing)
    return reserve_fulfillment(fulfillment, actor_id=actor_id)


def open_fulfillment(*, order_id: int, center: Center, method: str, lines: list[dict],
                     contact_name: str | None = None, contact_phone: str | None = None,
                     address: dict | None = None, slot_id: int | None = None,
                     routing: dict | None = None) -> Fulfillment:
    """The center's work for an order, nothing reserved yet (``reserve_fulfillment`` does,
    last thing before the commit, so the hot rows are locked briefly).

    ``lines`` are dicts with ``product_id, sku, name_zh, name_en, quantity``; ``slot_id``
    is the window chosen (its place is taken by ``reserve_fulfillment``).
    """
    fulfillment, made = new_fulfillment(
        order_id=order_id, center=center, method=method, lines=lines,
        contact_name=contact_name, contact_phone=contact_phone, address=address,
        slot_id=slot_id, routing=routing)
    # One statement (two INSERTs on SQLite) returning the rows as objects of this session,
    # without the unit of work's flush (a checkout's hot path)
    insert_family(fulfillment, made, "fulfillment_id")
    return opened(fulfillment, made, center)


def new_fulfillment(*, order_id: int | None, center: Center, method: str, lines: list[dict],
                    contact_name: str | None = None, contact_phone: str | None = None,
                    address: dict | None = None, slot_id: int | None = None,
                    routing: dict | None = None) -> tuple[Fulfillment, list[FulfillmentLine]]:
    """``open_fulfillment``'s fulfillment and lines as new objects (``core.sql.fresh``),
    not written: ``insert_family`` writes them, here or with a checkout's order by one
    statement (``order_id`` None: the statement gives it), then ``opened``."""
    if method not in Method.ORDER:
        raise ValidationFailed(errors={"method": [str(_l("Unknown fulfillment method."))]})
    fulfillment = fresh(
        Fulfillment, slot_id=slot_id, routing=routing, order_id=order_id, center_id=center.id,
        method=method, status=FulfillmentStatus.RESERVED, contact_name=contact_name,
        contact_phone=contact_phone, address=address)
    made = [fresh(FulfillmentLine, product_id=ln["product_id"], sku=ln["sku"],
                  name_zh=ln["name_zh"], name_en=ln.get("name_en"), quantity=ln["quantity"])
            for ln in lines]
    return fulfillment, made


def opened(fulfillment: Fulfillment, lines: list[FulfillmentLine], center: Center) -> Fulfillment:
    """A new fulfillment and its lines once written: what they relate to set as known, so
    nothing is loaded again."""
    for line in lines:
        set_committed_value(line, "fulfillment", fulfillment)
        set_committed_value(line, "lots", [])
    set_committed_value(fulfillment, "lines", sorted(lines, key=lambda line: line.id))
    set_committed_value(fulfillment, "center", center)
    if fulfillment.slot_id is None:  # no window: known, no loader asked
        set_committed_value(fulfillment, "slot", None)
    return fulfillment


def reserve_fulfillment(fulfillment: Fulfillment, *, actor_id: int | None = None) -> Fulfillment:
    """Reserve an opened fulfillment's lines (stock, then lots, first expired first out)
    and its place in its slot. The lots are looked up before the stock rows are locked;
    only the conditional UPDATEs and the allocations come after. ``actor_id`` is the
    ledger's "who". Raises ``InsufficientStock`` or ``SlotUnavailable``; the caller's
    rollback undoes the rest.
    """
    center_id = fulfillment.center_id
    plans = plan_lines(center_id, fulfillment.lines)  # one read for every line
    reserve_stock(center_id, [(ln.product_id, ln.quantity) for ln in fulfillment.lines],
                  fulfillment_id=fulfillment.id, actor_id=actor_id)
    for line in fulfillment.lines:
        allocate_lots(center_id, line, plan=plans[line.product_id])
    if fulfillment.slot_id is not None:
        reserve_slot(fulfillment.slot_id, center_id=center_id, kind=fulfillment.method,
                     now=utcnow())
    return fulfillment


def _lines(f: Fulfillment) -> Lines:
    """What the fulfillment still holds reserved (a partial collection took the rest)."""
    return [(ln.product_id, ln.remaining) for ln in f.lines if ln.remaining > 0]


def _all_collected(f: Fulfillment) -> None:
    for line in f.lines:
        line.collected_quantity = line.quantity


def new_pickup_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def mark_ready(f: Fulfillment, actor: User) -> Fulfillment:
    """Packed and waiting at the desk: the shopper gets a pickup code."""
    check_center_access(actor, f.center_id)
    require_state(f, method=Method.PICKUP, states=(FulfillmentStatus.RESERVED,))
    f.status = FulfillmentStatus.READY
    f.ready_at = utcnow()
    f.pickup_code = new_pickup_code()
    db.session.flush()
    fulfillment_ready.send(f)
    return f


def normalize_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def _limit() -> str:
    return current_app.config["HANDOVER_WRONG_CODE_LIMIT"]


def check_code(f: Fulfillment, code: str) -> None:
    """The code must be this order's; wrong codes are counted and limited."""
    key = f"handover:fulfillment:{f.id}"
    if attempts.blocked(key, _limit()):
        raise TooManyAttempts()
    if not f.pickup_code or not hmac.compare_digest(normalize_code(code), f.pickup_code):
        attempts.fail(key, _limit())
        raise WrongCode()


def complete_pickup(f: Fulfillment, actor: User, collected: dict | None = None) -> Fulfillment:
    """Everything still reserved leaves with the shopper; ``collected`` is the offline payment."""
    f.status = FulfillmentStatus.PICKED_UP
    f.completed_at = utcnow()
    f.handed_over_by_id = actor.id
    _consume_stock(f.center_id, _lines(f), fulfillment_id=f.id, actor_id=actor.id)
    consume_lots(f)
    _all_collected(f)
    db.session.flush()
    if collected is not None:
        fulfillment_completed.send(f, collected=collected)
    else:
        fulfillment_completed.send(f)
    return f


def hand_over(f: Fulfillment, code: str, actor: User,
              collected: dict | None = None) -> Fulfillment:
    """Hand the order to the shopper who shows its code. Wrong codes are counted and limited.

    ``collected`` (``{"method", "amount"?}``) is how an order still owing money was paid:
    required then (``PaymentMethodRequired``: nothing is booked as cash by default).

    Locked and read again first (``lock_fulfillment``): the no-show job releasing the same
    pickup at that moment either got there first (the hand-over is refused) or waits.
    """
    check_center_access(actor, f.center_id)
    lock_fulfillment(f)
    require_state(f, method=Method.PICKUP, states=(FulfillmentStatus.READY,))
    check_collected(f, collected)  # a wrong amount is refused before the code is tried
    check_code(f, code)
    return complete_pickup(f, actor, require_collected(f, collected))


def find_by_code(center_id: int, code: str) -> Fulfillment:
    """The ready pickup at this center with this code; a code of another center is no match."""
    key = f"handover:center:{center_id}"
    if attempts.blocked(key, _limit()):
        raise TooManyAttempts()
    normalized = normalize_code(code)
    f = None
    if len(normalized) == CODE_LENGTH:
        f = db.session.execute(
            sa.select(Fulfillment).where(
                Fulfillment.center_id == center_id, Fulfillment.pickup_code == normalized,
                Fulfillment.status == FulfillmentStatus.READY)
        ).scalar_one_or_none()
    if f is None:
        attempts.fail(key, _limit())
        raise WrongCode()
    return f


def dispatch(f: Fulfillment, actor: User, courier: User | None = None) -> Fulfillment:
    """A courier leaves with the delivery."""
    check_center_access(actor, f.center_id)
    require_state(f, method=Method.DELIVERY, states=(FulfillmentStatus.RESERVED,))
    if courier is not None and (courier.role != Role.STAFF or courier.center_id != f.center_id
                                or not courier.active):
        raise ValidationFailed(errors={"courier_id": [str(_l(
            "The courier must be a staff member of this center."))]})
    f.status = FulfillmentStatus.DISPATCHED
    f.dispatched_at = utcnow()
    f.courier_id = (courier or actor).id
    db.session.flush()
    return f


def mark_delivered(f: Fulfillment, actor: User, *, received_by: str | None = None,
                   collected: dict | None = None) -> Fulfillment:
    """Delivered to the door: the stock is sold.

    ``received_by`` is who took it; ``collected`` (``{"method", "amount"}``) the money the
    courier took, passed on with ``fulfillment_completed``: exactly what the order still
    owes (``dues.check_collected``; another amount is refused, nothing changed), and
    required while it owes anything (``PaymentMethodRequired``: no method is assumed).
    """
    check_center_access(actor, f.center_id)
    require_state(f, method=Method.SHIPPED, states=(FulfillmentStatus.DISPATCHED,))
    collected = require_collected(f, collected)
    f.status = FulfillmentStatus.DELIVERED
    f.completed_at = utcnow()
    f.handed_over_by_id = actor.id
    f.received_by_name = (received_by or "").strip()[:100] or None
    _consume_stock(f.center_id, _lines(f), fulfillment_id=f.id, actor_id=actor.id)
    consume_lots(f)
    _all_collected(f)
    db.session.flush()
    if collected is not None:
        fulfillment_completed.send(f, collected=collected)
    else:
        fulfillment_completed.send(f)
    return f


def cancel_fulfillment(f: Fulfillment, *, actor: User | None = None,
                       reason: str = "cancelled") -> Fulfillment:
    """Stop the work and release the reservation. Possible until it leaves the center.

    ``actor`` is who cancelled (None: the system, e.g. an unpaid order expiring).
    """
    if f.status not in (FulfillmentStatus.RESERVED, FulfillmentStatus.READY):
        raise IllegalTransition(
            _l("This order is %(status)s and cannot be cancelled.", status=status_word(f.status)),
            extra={"status": f.status},
        )
    release_reservation(f, actor_id=actor.id if actor is not None else None, reason=reason)
    f.status = FulfillmentStatus.CANCELLED
    f.cancelled_at = utcnow()
    db.session.flush()
    fulfillment_cancelled.send(f)
    return f


def release_reservation(f: Fulfillment, *, actor_id: int | None, reason: str) -> None:
    """Give back what the fulfillment still holds: its reserved units (``released``
    movements), their lots and its place in a slot; its pickup code stops working.

    Shared by a cancellation and a pickup whose rest was never collected; the caller sets
    the fulfillment's new state.
    """
    release_stock(f.center_id, _lines(f), fulfillment_id=f.id, actor_id=actor_id,
                  reason=reason)
    release_lots(f)
    release_slot(f.slot_id)
    f.pickup_code = None


def reinstate_fulfillment(f: Fulfillment) -> Fulfillment:
    """Take a cancelled order's work up again: reserve its lines anew (a payment came late).

    Raises ``InsufficientStock`` when the center no longer holds them; the caller's
    savepoint or rollback then undoes any line already reserved.
    """
    if f.status != FulfillmentStatus.CANCELLED:
        raise IllegalTransition(
            _l("This order is %(status)s and cannot take this step.", status=status_word(f.status)),
            extra={"status": f.status},
        )
    reserve_stock(f.center_id, _lines(f), fulfillment_id=f.id)
    for line in f.lines:
        # The cancellation freed these lot units; allocate afresh (first expired first out).
        line.lots[:] = [a for a in line.lots if a.collected]
        if not line.lots:
            allocate_lots(f.center_id, line)
    if f.slot_id is not None:
        # The slot's place went back at the cancellation; take it again if it is still
        # open, otherwise the desk plans the order without one.
        try:
            with db.session.begin_nested():
                reserve_slot(f.slot_id, center_id=f.center_id, kind=f.method, now=utcnow())
        except SlotUnavailable:
            f.slot_id = None
    f.status = FulfillmentStatus.RESERVED
    f.cancelled_at = None
    db.session.flush()
    return f


def set_stock(center_id: int, product_id: int, on_hand: int, actor: User,
              reason: str | None = None, lot: dict | None = None) -> Stock:
    """Set what a center holds after a count (``adjusted`` movements of the difference).

    It cannot go below what open orders reserved. Where the product is kept in lots, units
    counted missing leave the lots expiring first, and extra units go into ``lot``
    (``{"lot_id"}`` or ``{"batch", "expires_on", "produced_on"?}``; required then).
    """
    check_center_access(actor, center_id)
    if not isinstance(on_hand, int) or isinstance(on_hand, bool) or on_hand < 0:
        raise ValidationFailed(errors={"on_hand": [str(_l("Must be a whole number, 0 or more."))]})
    stock = db.session.execute(
        sa.select(Stock).where(Stock.center_id == center_id, Stock.product_id == product_id)
        .with_for_update()
    ).scalar_one_or_none()
    if stock is None:
        stock = Stock(center_id=center_id, product_id=product_id, on_hand=0, reserved=0)
        db.session.add(stock)
    if on_hand < stock.reserved:
        raise ValidationFailed(errors={"on_hand": [str(_l(
            "%(reserved)d units are reserved for open orders; on hand cannot be less.",
            reserved=stock.reserved))]})
    delta = on_hand - stock.on_hand
    tracked = delta and lot_moves.is_tracked(center_id, product_id)
    into = lot_moves.lot_for_count(center_id, product_id, lot) if tracked and delta > 0 \
        else None
    stock.on_hand = on_hand
    db.session.flush()
    chunks = []
    if tracked and delta < 0:
        chunks = lot_moves.take_lots(center_id, product_id, -delta)
    elif into is not None:
        chunks = [(lot_moves.put_into_lot(center_id, product_id, delta, actor_id=actor.id,
                                          **into), delta)]
    if delta:
        lot_moves.record_by_lot(center_id, product_id, MovementKind.ADJUSTED, delta, chunks,
                                actor_id=actor.id, reason=reason or "count")
    mark_changed(db.session, "stock")
    return stock


def center_queue(center_id: int, *, day_start, status: str | None = None,
                 method: str | None = None) -> list[Fulfillment]:
    """A center's work: everything open, and what it completed or cancelled since ``day_start``.

    Lines and slots are loaded with the list (a query each, whatever the count).
    """
    query = (
        sa.select(Fulfillment)
        .where(Fulfillment.center_id == center_id)
        .options(sa.orm.selectinload(Fulfillment.lines), sa.orm.selectinload(Fulfillment.slot))
        .order_by(Fulfillment.created_at)
    )
    if status:
        query = query.where(Fulfillment.status == status)
    else:
        query = query.where(sa.or_(
            Fulfillment.status.in_(FulfillmentStatus.OPEN),
            Fulfillment.completed_at >= day_start,
            Fulfillment.cancelled_at >= day_start,
        ))
    if method:
        query = query.where(Fulfillment.method == method)
    return list(db.session.execute(query).scalars())
