"""Goods handed over and brought back: a ``returned`` movement puts them back into stock,
into the lot they left from (so a recall still finds them).

Goods delivered or shipped from one center may come back at another (an endless-aisle sale
brought back to the store that sold it): they stay where they were brought, in that
center's stock, in a lot of the same batch and dates as the lot they left (``returned``
movements at that center naming the order's fulfillment), so the ledger says where they
are and a recall of the batch still finds them."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.clock import utcnow
from core.errors import ValidationFailed
from core.extensions import db
from core.models import User

from .access import check_center_access
from .ledger import record_movement
from .lot_moves import put_into_lot
from .models import Fulfillment, Lot, MovementKind, Stock, StockMovement


def _returned(f: Fulfillment) -> dict[tuple[int, int | None], int]:
    """Units of this fulfillment already returned, by (product, lot or None)."""
    rows = db.session.execute(
        sa.select(StockMovement.product_id, StockMovement.lot_id,
                  sa.func.sum(StockMovement.on_hand_delta))
        .where(StockMovement.fulfillment_id == f.id,
               StockMovement.kind == MovementKind.RETURNED)
        .group_by(StockMovement.product_id, StockMovement.lot_id))
    return {(pid, lot_id): int(units) for pid, lot_id, units in rows}


def returnable(f: Fulfillment) -> dict[int, int]:
    """``{product id: units}`` handed over and not yet returned."""
    back: dict[int, int] = {}
    for (pid, _lot), units in _returned(f).items():
        back[pid] = back.get(pid, 0) + units
    return {ln.product_id: ln.collected_quantity - back.get(ln.product_id, 0)
            for ln in f.lines if ln.collected_quantity}


def return_to_stock(f: Fulfillment, units: dict[int, int], actor: User, *,
                    reason: str | None = None) -> None:
    """Put ``{product id: units}`` the shopper brought back into the center's stock.

    Only what left with the shopper and was not returned yet; each unit goes back into the
    lot it came from (the allocations in their order), a product not kept in lots into the
    stock row alone. Raises ``ValidationFailed`` and changes nothing otherwise.
    """
    check_center_access(actor, f.center_id)
    left = returnable(f)
    wanted = {pid: n for pid, n in units.items() if n}
    too_many = [pid for pid, n in wanted.items() if n < 0 or n > left.get(pid, 0)]
    if too_many or not wanted:
        raise ValidationFailed(errors={"returned": [str(_l(
            "Only goods handed over and not yet returned can go back into stock."))]})
    done = _returned(f)
    by_product = {ln.product_id: ln for ln in f.lines}
    for pid, count in sorted(wanted.items()):
        db.session.execute(
            sa.update(Stock).where(Stock.center_id == f.center_id, Stock.product_id == pid)
            .values(on_hand=Stock.on_hand + count, updated_at=utcnow())
            .execution_options(synchronize_session=False))
        remaining = count
        for a in by_product[pid].lots:
            room = a.collected - done.get((pid, a.lot_id), 0)
            take = min(room, remaining)
            if take <= 0:
                continue
            db.session.execute(sa.update(Lot).where(Lot.id == a.lot_id)
                               .values(on_hand=Lot.on_hand + take)
                               .execution_options(synchronize_session=False))
            record_movement(f.center_id, pid, MovementKind.RETURNED, on_hand=take,
                            actor_id=actor.id, fulfillment_id=f.id, lot_id=a.lot_id,
                            reason=reason or "returned")
            remaining -= take
            if remaining == 0:
                break
        if remaining:
            record_movement(f.center_id, pid, MovementKind.RETURNED, on_hand=remaining,
                            actor_id=actor.id, fulfillment_id=f.id,
                            reason=reason or "returned")
    db.session.flush()


def _returned_by_batch(f: Fulfillment) -> dict[tuple[int, str, object], int]:
    """Units of this fulfillment already returned into a lot, wherever, by (product, batch,
    expiry): how a lot's units are recognised at another center."""
    rows = db.session.execute(
        sa.select(StockMovement.product_id, Lot.batch, Lot.expires_on,
                  sa.func.sum(StockMovement.on_hand_delta))
        .join(Lot, Lot.id == StockMovement.lot_id)
        .where(StockMovement.fulfillment_id == f.id,
               StockMovement.kind == MovementKind.RETURNED)
        .group_by(StockMovement.product_id, Lot.batch, Lot.expires_on))
    return {(pid, batch, expires): int(units) for pid, batch, expires, units in rows}


def return_at_center(f: Fulfillment, units: dict[int, int], actor: User, *, center_id: int,
                     reason: str | None = None) -> None:
    """Put ``{product id: units}`` the shopper brought back to ``center_id`` (not the center
    that sent them) into that center's stock: each unit into its lot of the batch and dates
    of the lot it left from (opened if need be), a product not kept in lots into the stock
    row alone; ``returned`` movements at ``center_id`` naming the fulfillment.

    Only what left with the shopper and was not returned yet (``returnable``); raises
    ``ValidationFailed`` and changes nothing otherwise.
    """
    check_center_access(actor, center_id)
    left = returnable(f)
    wanted = {pid: n for pid, n in units.items() if n}
    too_many = [pid for pid, n in wanted.items() if n < 0 or n > left.get(pid, 0)]
    if too_many or not wanted:
        raise ValidationFailed(errors={"returned": [str(_l(
            "Only goods handed over and not yet returned can go back into stock."))]})
    done = _returned_by_batch(f)
    by_product = {ln.product_id: ln for ln in f.lines}
    why = reason or "returned"
    for pid, count in sorted(wanted.items()):
        updated = db.session.execute(
            sa.update(Stock).where(Stock.center_id == center_id, Stock.product_id == pid)
            .values(on_hand=Stock.on_hand + count, updated_at=utcnow())
            .execution_options(synchronize_session=False))
        if updated.rowcount == 0:
            db.session.add(Stock(center_id=center_id, product_id=pid, on_hand=count,
                                 reserved=0))
            db.session.flush()
        remaining = count
        for a in by_product[pid].lots:
            source = a.lot
            key = (pid, source.batch, source.expires_on)
            take = min(a.collected - done.get(key, 0), remaining)
            if take <= 0:
                continue
            done[key] = done.get(key, 0) + take
            here = put_into_lot(center_id, pid, take, batch=source.batch,
                                expires_on=source.expires_on, produced_on=source.produced_on,
                                actor_id=actor.id)
            record_movement(center_id, pid, MovementKind.RETURNED, on_hand=take,
                            actor_id=actor.id, fulfillment_id=f.id, lot_id=here.id,
                            reason=why)
            remaining -= take
            if remaining == 0:
                break
        if remaining:
            record_movement(center_id, pid, MovementKind.RETURNED, on_hand=remaining,
                            actor_id=actor.id, fulfillment_id=f.id, reason=why)
    db.session.flush()
