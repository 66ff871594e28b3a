"""Transfers between centers (request, ship, receive) and low-stock alerts.

A transfer is requested by the center that needs the units (or an admin), shipped by the
center that has them (its on-hand goes down: ``transferred`` movements, one per lot taken
first-expired-first-out), and received by the requesting center (its on-hand goes up, into
lots of the same batch and dates). Staff see
and act only on transfers their center takes part in, and only on their side's steps.
"""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.cache import mark_changed
from core.clock import utcnow
from core.errors import IllegalTransition, NotFound, ValidationFailed
from core.extensions import db
from core.models import Role, User

from . import transfer_pickups
from .access import check_center_access
from .errors import InsufficientStock
from .labels import transfer_word
from .lot_moves import put_into_lot, record_by_lot, take_lots
from .models import Center, MovementKind, Stock, Transfer, TransferLot, TransferStatus

MAX_TRANSFER = 100_000


def request_transfer(*, from_center: Center, to_center: Center, product_id: int,
                     quantity: int, actor: User, note: str | None = None) -> Transfer:
    """The receiving center asks another (usually the warehouse) for units of a product."""
    check_center_access(actor, to_center.id)
    errors = {}
    if from_center.id == to_center.id:
        errors["from_center_id"] = [str(_l("Choose another center to send the units."))]
    if not isinstance(quantity, int) or isinstance(quantity, bool) \
            or not 1 <= quantity <= MAX_TRANSFER:
        errors["quantity"] = [str(_l("Enter a whole number from 1 to %(max)d.",
                                     max=MAX_TRANSFER))]
    if errors:
        raise ValidationFailed(errors=errors)
    transfer = Transfer(from_center_id=from_center.id, to_center_id=to_center.id,
                        product_id=product_id, quantity=quantity, requested_by_id=actor.id,
                        note=(note or "").strip()[:200] or None)
    db.session.add(transfer)
    db.session.flush()
    return transfer


def _step(transfer: Transfer, wanted: str) -> None:
    if transfer.status != wanted:
        raise IllegalTransition(
            _l("This transfer is %(status)s and cannot take this step.",
               status=transfer_word(transfer.status)), extra={"status": transfer.status})


def ship_transfer(transfer: Transfer, actor: User) -> Transfer:
    """The sending center packs the units: they leave its stock (only what is not promised)."""
    check_center_access(actor, transfer.from_center_id)
    _step(transfer, TransferStatus.REQUESTED)
    if transfer.fulfillment_id is not None:  # the units an order holds here: those go
        transfer_pickups.ship_reserved(transfer, actor)
        return _shipped(transfer, actor)
    moved = db.session.execute(
        sa.update(Stock).where(Stock.center_id == transfer.from_center_id,
                               Stock.product_id == transfer.product_id,
                               Stock.on_hand - Stock.reserved >= transfer.quantity)
        .values(on_hand=Stock.on_hand - transfer.quantity, updated_at=utcnow())
        .execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        available = db.session.execute(
            sa.select(Stock.on_hand - Stock.reserved).where(
                Stock.center_id == transfer.from_center_id,
                Stock.product_id == transfer.product_id)).scalar() or 0
        raise InsufficientStock(extra={"lines": [{
            "product_id": transfer.product_id, "requested": transfer.quantity,
            "available": max(available, 0)}]})
    chunks = take_lots(transfer.from_center_id, transfer.product_id, transfer.quantity)
    transfer.lots = [TransferLot(lot_id=lot.id, quantity=units) for lot, units in chunks]
    record_by_lot(transfer.from_center_id, transfer.product_id, MovementKind.TRANSFERRED,
                  -transfer.quantity, chunks, actor_id=actor.id,
                  reason=f"transfer {transfer.id} to center {transfer.to_center_id}")
    return _shipped(transfer, actor)


def _shipped(transfer: Transfer, actor: User) -> Transfer:
    transfer.status = TransferStatus.SHIPPED
    transfer.shipped_at, transfer.shipped_by_id = utcnow(), actor.id
    db.session.flush()
    mark_changed(db.session, "stock")
    return transfer


def receive_transfer(transfer: Transfer, actor: User) -> Transfer:
    """The units arrive at the requesting center: they join its stock."""
    check_center_access(actor, transfer.to_center_id)
    _step(transfer, TransferStatus.SHIPPED)
    updated = db.session.execute(
        sa.update(Stock).where(Stock.center_id == transfer.to_center_id,
                               Stock.product_id == transfer.product_id)
        .values(on_hand=Stock.on_hand + transfer.quantity, updated_at=utcnow())
        .execution_options(synchronize_session=False))
    if updated.rowcount == 0:
        db.session.add(Stock(center_id=transfer.to_center_id, product_id=transfer.product_id,
                             on_hand=transfer.quantity, reserved=0))
    chunks = []
    for moved in transfer.lots:
        source = moved.lot
        moved.to_lot = put_into_lot(
            transfer.to_center_id, transfer.product_id, moved.quantity, batch=source.batch,
            expires_on=source.expires_on, produced_on=source.produced_on, actor_id=actor.id)
        chunks.append((moved.to_lot, moved.quantity))
    record_by_lot(transfer.to_center_id, transfer.product_id, MovementKind.TRANSFERRED,
                  transfer.quantity, chunks, actor_id=actor.id,
                  reason=f"transfer {transfer.id} from center {transfer.from_center_id}")
    transfer.status = TransferStatus.RECEIVED
    transfer.received_at, transfer.received_by_id = utcnow(), actor.id
    db.session.flush()
    if transfer.fulfillment_id is not None:  # reserved for its order at once; ready once all in
        transfer_pickups.reserve_received(transfer, actor)
    mark_changed(db.session, "stock")
    return transfer


def cancel_transfer(transfer: Transfer, actor: User) -> Transfer:
    """Either center may call off a transfer that has not left yet."""
    if actor.role != Role.ADMIN and actor.center_id not in (transfer.from_center_id,
                                                            transfer.to_center_id):
        raise NotFound()
    _step(transfer, TransferStatus.REQUESTED)
    if transfer.fulfillment_id is not None:
        raise IllegalTransition(_l("This transfer carries a sale paid at the counter: ship "
                                   "it, or refund the sale."), extra={"status": transfer.status})
    transfer.status = TransferStatus.CANCELLED
    transfer.cancelled_at = utcnow()
    db.session.flush()
    return transfer


def get_transfer(transfer_id: int, actor: User) -> Transfer:
    """A transfer the actor's center takes part in (others' do not exist for them)."""
    transfer = db.session.get(Transfer, transfer_id)
    if transfer is None or (actor.role != Role.ADMIN and actor.center_id not in (
            transfer.from_center_id, transfer.to_center_id)):
        raise NotFound()
    return transfer


def transfers_of(center_id: int, actor: User, *, open_only: bool = False) -> list[Transfer]:
    """Transfers into and out of a center, newest first."""
    check_center_access(actor, center_id)
    query = (sa.select(Transfer).where(sa.or_(Transfer.from_center_id == center_id,
                                              Transfer.to_center_id == center_id))
             .order_by(Transfer.created_at.desc(), Transfer.id.desc()).limit(200))
    if open_only:
        query = query.where(Transfer.status.in_(TransferStatus.OPEN))
    return list(db.session.execute(query).scalars())


def set_alert(center_id: int, product_id: int, alert_below: int | None, actor: User) -> Stock:
    """The level under which the desk is warned that a product runs low (None: no warning)."""
    check_center_access(actor, center_id)
    if alert_below is not None and (not isinstance(alert_below, int) or alert_below < 0
                                    or alert_below > MAX_TRANSFER):
        raise ValidationFailed(errors={"alert_below": [str(_l(
            "Enter a whole number, 0 or more."))]})
    stock = db.session.execute(sa.select(Stock).where(
        Stock.center_id == center_id, Stock.product_id == product_id)).scalar_one_or_none()
    if stock is None:
        raise NotFound()
    stock.alert_below = alert_below
    db.session.flush()
    mark_changed(db.session, "stock")  # the desk's stock page shows it
    return stock


def low_stock(center_id: int) -> list[Stock]:
    """The center's products whose available units fell below their alert level."""
    return list(db.session.execute(
        sa.select(Stock).where(Stock.center_id == center_id, Stock.alert_below.is_not(None),
                               Stock.on_hand - Stock.reserved < Stock.alert_below)
        .order_by(Stock.product_id)).scalars())


def low_stock_named(center_id: int) -> list[dict]:
    """``low_stock`` with each product's SKU and name, for the desk's warning."""
    rows = low_stock(center_id)
    if not rows:
        return []
    products = db.metadata.tables["products"]
    names = {pid: (sku, name) for pid, sku, name in db.session.execute(
        sa.select(products.c.id, products.c.sku, products.c.name_zh)
        .where(products.c.id.in_([r.product_id for r in rows])))}
    return [{"sku": names.get(r.product_id, ("", ""))[0],
             "name": names.get(r.product_id, ("", ""))[1], "available": r.available,
             "alert_below": r.alert_below} for r in rows]
