"""Lots that move with the stock: a transfer ships units first-expired-first-out and the
receiving center gets the same lots (batch and dates); a count that lowers stock takes from
the lots that expire first, one that raises it puts the units into a lot. ``verify_lots``
checks that each stock row's lots add up to it.

Where a center does not keep a product in lots, stock moves as plain totals.
"""

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.errors import ValidationFailed
from core.extensions import db

from .ledger import record_movement, stock_differing_from, sums_by_stock_row
from .models import Lot


def is_tracked(center_id: int, product_id: int) -> bool:
    """Whether the center keeps this product in lots."""
    return db.session.execute(
        sa.select(Lot.id).where(Lot.center_id == center_id, Lot.product_id == product_id)
        .limit(1)).first() is not None


def take_lots(center_id: int, product_id: int, quantity: int) -> list[tuple[Lot, int]]:
    """Take ``quantity`` free units (not reserved) from the lots expiring first.

    Called after the stock row was updated under its lock; returns ``[(lot, units)]``,
    which may cover less than ``quantity`` where part of the stock is kept outside lots.
    """
    taken = []
    left = quantity
    lots = db.session.execute(
        sa.select(Lot).where(Lot.center_id == center_id, Lot.product_id == product_id,
                             Lot.on_hand > Lot.reserved)
        .order_by(Lot.expires_on, Lot.id).with_for_update()
        # reservations change lots with plain UPDATEs: read them afresh
        .execution_options(populate_existing=True)).scalars().all()
    for lot in lots:
        if left == 0:
            break
        units = min(left, lot.on_hand - lot.reserved)
        lot.on_hand -= units
        taken.append((lot, units))
        left -= units
    db.session.flush()
    return taken


def put_into_lot(center_id: int, product_id: int, quantity: int, *, batch: str,
                 expires_on: date, produced_on: date | None = None,
                 actor_id: int | None = None) -> Lot:
    """Add units to the center's lot of this batch and expiry, or open that lot."""
    lot = db.session.execute(
        sa.select(Lot).where(Lot.center_id == center_id, Lot.product_id == product_id,
                             Lot.batch == batch, Lot.expires_on == expires_on)
        .with_for_update().execution_options(populate_existing=True)).scalar_one_or_none()
    if lot is None:
        lot = Lot(center_id=center_id, product_id=product_id, batch=batch,
                  produced_on=produced_on, expires_on=expires_on, received_quantity=quantity,
                  on_hand=quantity, reserved=0, received_by_id=actor_id)
        db.session.add(lot)
    else:
        lot.on_hand += quantity
        lot.received_quantity += quantity
    db.session.flush()
    return lot


def lot_for_count(center_id: int, product_id: int, lot: dict | None) -> dict:
    """Check where a count's extra units go: ``{"lot_id"}`` of this center and product, or a
    new ``{"batch", "expires_on", "produced_on"?}``. Raises ``ValidationFailed`` otherwise."""
    lot = lot or {}
    if lot.get("lot_id"):
        found = db.session.get(Lot, lot["lot_id"])
        if found is None or (found.center_id, found.product_id) != (center_id, product_id):
            raise ValidationFailed(errors={"lot": [str(_l("Choose a lot of this product."))]})
        return {"batch": found.batch, "expires_on": found.expires_on,
                "produced_on": found.produced_on}
    batch = (lot.get("batch") or "").strip()
    expires_on, produced_on = lot.get("expires_on"), lot.get("produced_on")
    if not batch or len(batch) > 40 or not isinstance(expires_on, date):
        raise ValidationFailed(errors={"lot": [str(_l(
            "This product is kept in lots: choose the lot the extra units belong to, or "
            "enter the batch number and expiry date of a new one."))]})
    if produced_on is not None and produced_on > expires_on:
        raise ValidationFailed(errors={"lot": [str(_l(
            "The expiry date must be after the production date."))]})
    return {"batch": batch, "expires_on": expires_on, "produced_on": produced_on}


def record_by_lot(center_id: int, product_id: int, kind: str, delta: int,
                  chunks: list[tuple[Lot, int]], **kwargs) -> None:
    """The ledger rows of a change of ``delta`` units: one per lot, one for units outside lots."""
    sign = 1 if delta > 0 else -1
    rest = abs(delta)
    for lot, units in chunks:
        record_movement(center_id, product_id, kind, on_hand=sign * units, lot_id=lot.id,
                        **kwargs)
        rest -= units
    if rest:
        record_movement(center_id, product_id, kind, on_hand=sign * rest, **kwargs)


def verify_lots(center_id: int | None = None) -> list[dict]:
    """Stock rows kept in lots whose lots do not add up to their on_hand / reserved."""
    sums = sums_by_stock_row(Lot, Lot.on_hand, Lot.reserved)
    return [{"center_id": c, "product_id": p, "on_hand": oh, "reserved": rs,
             "lots_on_hand": loh, "lots_reserved": lrs}
            for c, p, oh, rs, loh, lrs in stock_differing_from(sums, center_id)]
