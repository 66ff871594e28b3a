"""Goods handed over and brought back: a ``returned`` movement puts them back into stock,
into the lot they left from (so a recall still finds them)."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.clock import utcnow
from core.errors import ValidationFailed
from core.extensions import db
from core.models import User

from .access import check_center_access
from .ledger import record_movement
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
