"""The stock ledger: every change of a center's stock is a movement row, written with it.

``record_movement`` is called by each service that changes ``stock`` (reserve, release,
sell, count, receive, transfer), inside the same transaction, so the ledger and the
figures commit or roll back together. ``verify_ledger`` finds any stock row whose figures
differ from the sums of its movements.
"""

import sqlalchemy as sa

from core.cache import mark_changed
from core.clock import utcnow
from core.extensions import db
from core.sql import run_later

from .models import Stock, StockMovement

_MOVEMENT = sa.insert(StockMovement.__table__).values({name: sa.bindparam(name) for name in (
    "center_id", "product_id", "kind", "on_hand_delta", "reserved_delta", "actor_id",
    "fulfillment_id", "lot_id", "reason", "created_at")})


def record_movement(center_id: int, product_id: int, kind: str, *, on_hand: int = 0,
                    reserved: int = 0, actor_id: int | None = None,
                    fulfillment_id: int | None = None, lot_id: int | None = None,
                    reason: str | None = None) -> None:
    """Append one movement (a plain INSERT, built once: the hot path of every checkout goes
    through it), written with the transaction's next statement (``run_later``).

    Every change of what a center holds records one, so the pages cached by the "stock"
    namespace move on with it (after the commit)."""
    mark_changed(db.session, "stock")
    run_later(_MOVEMENT, dict(
        center_id=center_id, product_id=product_id, kind=kind, on_hand_delta=on_hand,
        reserved_delta=reserved, actor_id=actor_id, fulfillment_id=fulfillment_id, lot_id=lot_id,
        reason=(reason or None) and reason[:200], created_at=utcnow()))


def sums_by_stock_row(model, on_hand, reserved) -> sa.Subquery:
    """Per (center, product) of ``model`` (movements, lots): the sums of its ``on_hand`` and
    ``reserved`` columns, labelled ``on_hand`` and ``reserved``."""
    return (
        sa.select(model.center_id, model.product_id,
                  sa.func.sum(on_hand).label("on_hand"),
                  sa.func.sum(reserved).label("reserved"))
        .group_by(model.center_id, model.product_id)
    ).subquery()


def stock_differing_from(sums: sa.Subquery, center_id: int | None = None, *,
                         every_row: bool = False) -> list[tuple[int, int, int, int, int, int]]:
    """Stock rows (of one center, or all) whose on_hand / reserved differ from ``sums``
    (``sums_by_stock_row``), as ``(center, product, on_hand, reserved, summed on_hand,
    summed reserved)``.

    ``every_row``: a stock row without sums is compared with 0 (the ledger); otherwise only
    rows with sums are (a product a center does not keep in lots has no lots).
    """
    joined = sa.and_(sums.c.center_id == Stock.center_id, sums.c.product_id == Stock.product_id)
    query = sa.select(Stock.center_id, Stock.product_id, Stock.on_hand, Stock.reserved,
                      sa.func.coalesce(sums.c.on_hand, 0), sa.func.coalesce(sums.c.reserved, 0))
    query = query.outerjoin(sums, joined) if every_row else query.join(sums, joined)
    rows = db.session.execute(
        query.where(*([Stock.center_id == center_id] if center_id is not None else []))
        .order_by(Stock.center_id, Stock.product_id)
    ).all()
    return [(c, p, oh, rs, int(soh), int(srs)) for c, p, oh, rs, soh, srs in rows
            if (oh, rs) != (int(soh), int(srs))]


def verify_ledger(center_id: int | None = None) -> list[dict]:
    """Stock rows whose on_hand / reserved differ from their movements' sums (empty: all agree).

    Also reports movements of a (center, product) that has no stock row.
    """
    sums = sums_by_stock_row(StockMovement, StockMovement.on_hand_delta,
                             StockMovement.reserved_delta)
    problems = [
        {"center_id": c, "product_id": p, "on_hand": oh, "reserved": rs,
         "ledger_on_hand": loh, "ledger_reserved": lrs}
        for c, p, oh, rs, loh, lrs in stock_differing_from(sums, center_id, every_row=True)
    ]
    orphans = db.session.execute(
        sa.select(sums.c.center_id, sums.c.product_id, sums.c.on_hand, sums.c.reserved)
        .outerjoin(Stock, sa.and_(sums.c.center_id == Stock.center_id,
                                  sums.c.product_id == Stock.product_id))
        .where(Stock.id.is_(None),
               *([sums.c.center_id == center_id] if center_id is not None else []))
    ).all()
    problems += [{"center_id": c, "product_id": p, "on_hand": 0, "reserved": 0,
                  "ledger_on_hand": int(oh), "ledger_reserved": int(rs)}
                 for c, p, oh, rs in orphans if (int(oh), int(rs)) != (0, 0)]
    return problems


def movements_of(center_id: int, *, product_id: int | None = None, limit: int = 100):
    """The center's latest movements, newest first."""
    query = (sa.select(StockMovement).where(StockMovement.center_id == center_id)
             .order_by(StockMovement.created_at.desc(), StockMovement.id.desc()).limit(limit))
    if product_id is not None:
        query = query.where(StockMovement.product_id == product_id)
    return list(db.session.execute(query).scalars())
