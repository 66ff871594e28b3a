"""A pickup that waits for a transfer: sold and paid at a store's counter (the endless
aisle), its units reserved at another center that holds them, then carried to the store by
a transfer of the ordinary kind (``transfers``), one per product, that names the order.

Along the way the units stay promised to the order and to nobody else:

1. ``await_transfer``: the fulfillment was just reserved at the source by
   ``services.create_fulfillment`` (``reserved`` movements, lots first-expired-first-out);
   it becomes a pickup at the store, ``transferring``, and the transfers are requested.
2. ``ship_reserved`` (from ``transfers.ship_transfer``): the source ships the very units it
   reserved, out of the lots they were allocated from: on hand *and* reserved go down
   (``transferred`` movements), and the allocations become the transfer's lots.
3. ``reserve_received`` (from ``transfers.receive_transfer``, after the units joined the
   store's stock and lots): they are reserved for the order at once (``reserved``
   movements; the store's lots of the same batch allocated to its lines). Once every
   transfer of the order is in, the pickup is ready: its code is made and the customer
   told through the outbox (``fulfillment_ready``), and it is handed over as any pickup.

Calling it off before anything left (``cancel_waiting``) releases the reservation at the
source and cancels the transfers; once shipped, the units must arrive first.
"""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.clock import utcnow
from core.errors import IllegalTransition, ValidationFailed
from core.extensions import db
from core.models import User
from core.signals import fulfillment_cancelled

from .ledger import record_movement
from .lots import release_lots
from .models import (
    Center,
    Fulfillment,
    FulfillmentStatus,
    Lot,
    LotAllocation,
    Method,
    MovementKind,
    Stock,
    Transfer,
    TransferLot,
    TransferStatus,
)
from .routing import merge_lines
from .services import mark_ready


def await_transfer(f: Fulfillment, store: Center, actor: User) -> list[Transfer]:
    """Make ``f`` (a pickup just reserved at its source center) a pickup at ``store`` that
    waits for its units: one transfer per product from the source, requested by ``actor``
    (the store's clerk) and naming the order's fulfillment. Returns the transfers."""
    source_id = f.center_id
    if f.method != Method.PICKUP or f.status != FulfillmentStatus.RESERVED:
        raise IllegalTransition(extra={"status": f.status})
    if source_id == store.id:
        raise ValidationFailed(errors={"center_id": [str(_l(
            "The units must come from another center."))]})
    transfers = [Transfer(from_center_id=source_id, to_center_id=store.id, product_id=pid,
                          quantity=quantity, requested_by_id=actor.id, fulfillment_id=f.id,
                          note=str(_l("For a sale at the counter, reserved for it")))
                 for pid, quantity in merge_lines([(ln.product_id, ln.quantity)
                                                   for ln in f.lines])]
    db.session.add_all(transfers)
    f.center_id, f.center = store.id, store
    f.status = FulfillmentStatus.TRANSFERRING
    db.session.flush()
    return transfers


def _lines_of(f: Fulfillment, product_id: int) -> list:
    return [ln for ln in f.lines if ln.product_id == product_id]


def ship_reserved(transfer: Transfer, actor: User) -> None:
    """The source ships the units it holds for the transfer's order: they leave on hand and
    reserved together, from the lots they were allocated from (``transferred`` movements,
    one per lot), and those allocations become the transfer's lots."""
    f = db.session.get(Fulfillment, transfer.fulfillment_id)
    center_id, product_id, quantity = (transfer.from_center_id, transfer.product_id,
                                       transfer.quantity)
    moved = db.session.execute(
        sa.update(Stock).where(Stock.center_id == center_id, Stock.product_id == product_id,
                               Stock.reserved >= quantity, Stock.on_hand >= quantity)
        .values(on_hand=Stock.on_hand - quantity, reserved=Stock.reserved - quantity,
                updated_at=utcnow())
        .execution_options(synchronize_session=False))
    if moved.rowcount != 1:  # the reservation is gone: the order was called off
        raise IllegalTransition(_l("The units of this transfer are no longer held for it."))
    by_lot: dict[int, int] = {}
    for line in _lines_of(f, product_id):
        for a in line.lots:
            free = a.quantity - a.collected
            if free:
                db.session.execute(sa.update(Lot).where(Lot.id == a.lot_id)
                                   .values(on_hand=Lot.on_hand - free,
                                           reserved=Lot.reserved - free)
                                   .execution_options(synchronize_session=False))
                by_lot[a.lot_id] = by_lot.get(a.lot_id, 0) + free
        line.lots[:] = [a for a in line.lots if a.collected]
    transfer.lots = [TransferLot(lot_id=lot_id, quantity=units)
                     for lot_id, units in sorted(by_lot.items())]
    reason = f"transfer {transfer.id} to center {transfer.to_center_id}, reserved for its order"
    for lot_id, units in sorted(by_lot.items()):
        record_movement(center_id, product_id, MovementKind.TRANSFERRED, on_hand=-units,
                        reserved=-units, lot_id=lot_id, actor_id=actor.id,
                        fulfillment_id=f.id, reason=reason)
    rest = quantity - sum(by_lot.values())
    if rest:
        record_movement(center_id, product_id, MovementKind.TRANSFERRED, on_hand=-rest,
                        reserved=-rest, actor_id=actor.id, fulfillment_id=f.id, reason=reason)


def reserve_received(transfer: Transfer, actor: User) -> Fulfillment:
    """The transfer's units have joined the store's stock and lots: reserve them for its
    order (``reserved`` movements; the store's lots allocated to the order's lines). When
    no transfer of the order is still on its way, the pickup is ready: code made, customer
    told (``services.mark_ready``)."""
    f = db.session.get(Fulfillment, transfer.fulfillment_id)
    center_id, product_id, quantity = (transfer.to_center_id, transfer.product_id,
                                       transfer.quantity)
    db.session.execute(
        sa.update(Stock).where(Stock.center_id == center_id, Stock.product_id == product_id)
        .values(reserved=Stock.reserved + quantity, updated_at=utcnow())
        .execution_options(synchronize_session=False))
    lines = _lines_of(f, product_id)
    need = {ln.id: ln.remaining - sum(a.quantity - a.collected for a in ln.lots)
            for ln in lines}
    reason = f"transfer {transfer.id} received for its order"
    placed = 0
    for moved in transfer.lots:
        units_left = moved.quantity
        db.session.execute(sa.update(Lot).where(Lot.id == moved.to_lot_id)
                           .values(reserved=Lot.reserved + moved.quantity)
                           .execution_options(synchronize_session=False))
        record_movement(center_id, product_id, MovementKind.RESERVED, reserved=moved.quantity,
                        lot_id=moved.to_lot_id, actor_id=actor.id, fulfillment_id=f.id,
                        reason=reason)
        placed += moved.quantity
        for line in lines:
            take = min(units_left, need[line.id])
            if take <= 0:
                continue
            mine = next((a for a in line.lots if a.lot_id == moved.to_lot_id), None)
            if mine is None:
                line.lots.append(LotAllocation(lot_id=moved.to_lot_id, quantity=take))
            else:
                mine.quantity += take
            need[line.id] -= take
            units_left -= take
    if quantity - placed:
        record_movement(center_id, product_id, MovementKind.RESERVED,
                        reserved=quantity - placed, actor_id=actor.id, fulfillment_id=f.id,
                        reason=reason)
    db.session.flush()
    waiting = db.session.execute(
        sa.select(sa.func.count(Transfer.id)).where(
            Transfer.fulfillment_id == f.id,
            Transfer.status.in_((TransferStatus.REQUESTED, TransferStatus.SHIPPED)),
            Transfer.id != transfer.id)).scalar_one()
    if not waiting and f.status == FulfillmentStatus.TRANSFERRING:
        f.status = FulfillmentStatus.RESERVED
        mark_ready(f, actor)
    return f


def open_transfers(f: Fulfillment) -> list[Transfer]:
    """The transfers still bringing the fulfillment's units (requested or on their way)."""
    return list(db.session.execute(
        sa.select(Transfer).where(Transfer.fulfillment_id == f.id,
                                  Transfer.status.in_(TransferStatus.OPEN))
        .order_by(Transfer.id)).scalars())


def cancel_waiting(f: Fulfillment, *, actor_id: int | None = None,
                   reason: str = "cancelled") -> Fulfillment:
    """Call off a pickup still waiting for its transfers, none shipped yet (its order was
    refunded in full): the units reserved at the source are released there (``released``
    movements, their lots freed), the transfers cancelled, the fulfillment cancelled
    (``fulfillment_cancelled``). Once a transfer has left, the units must arrive first
    (``IllegalTransition``, nothing changed)."""
    transfers = open_transfers(f)
    if any(t.status != TransferStatus.REQUESTED for t in transfers):
        raise IllegalTransition(_l("Its units are on their way to the store: receive them "
                                   "first, then cancel."), extra={"status": f.status})
    sources = {t.from_center_id for t in transfers}
    if len(sources) != 1:
        raise IllegalTransition(extra={"status": f.status})
    source_id = sources.pop()
    for product_id, quantity in merge_lines([(ln.product_id, ln.remaining) for ln in f.lines
                                             if ln.remaining]):
        db.session.execute(
            sa.update(Stock).where(Stock.center_id == source_id,
                                   Stock.product_id == product_id)
            .values(reserved=Stock.reserved - quantity, updated_at=utcnow())
            .execution_options(synchronize_session=False))
        record_movement(source_id, product_id, MovementKind.RELEASED, reserved=-quantity,
                        actor_id=actor_id, fulfillment_id=f.id, reason=reason)
    release_lots(f)
    now = utcnow()
    for t in transfers:
        t.status, t.cancelled_at = TransferStatus.CANCELLED, now
    f.status, f.cancelled_at = FulfillmentStatus.CANCELLED, now
    db.session.flush()
    fulfillment_cancelled.send(f)
    return f
