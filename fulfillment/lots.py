"""Lots: receiving stock in batches, first-expired-first-out reservation, and recalls.

Where a center keeps a product in lots, each order line's units are taken from the lots
that expire first, skipping any lot within the sell-by margin of its expiry; the lots
used are recorded on the line (``LotAllocation``), which is what a recall follows back to
the orders and the customers.
"""

from datetime import date, timedelta
from functools import lru_cache

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.attributes import set_committed_value

from core.cache import mark_changed
from core.clock import shop_today, utcnow
from core.errors import ValidationFailed
from core.extensions import db
from core.models import User
from core.sql import insert_loaded, inserted, run

from .access import check_center_access
from .errors import InsufficientStock
from .ledger import record_movement
from .models import Fulfillment, FulfillmentLine, Lot, LotAllocation, MovementKind, Stock

MAX_RECEIVE = 100_000

_orders = sa.table("orders", sa.column("id"), sa.column("public_id"), sa.column("number"),
                   sa.column("user_id"), sa.column("status"), sa.column("created_at"))


_products = sa.table("products", sa.column("id"), sa.column("sku"), sa.column("name_zh"))


def product_for_sku(sku: str) -> tuple[int, str] | None:
    """``(product id, name)`` of a SKU (products belong to the storefront: read by table)."""
    row = db.session.execute(sa.select(_products.c.id, _products.c.name_zh)
                             .where(_products.c.sku == (sku or "").strip())).first()
    return (row[0], row[1]) if row else None


def product_names(ids) -> dict[int, tuple[str, str]]:
    """``{product id: (sku, name)}`` in one query."""
    ids = list(set(ids))
    if not ids:
        return {}
    return {pid: (sku, name) for pid, sku, name in db.session.execute(
        sa.select(_products.c.id, _products.c.sku, _products.c.name_zh)
        .where(_products.c.id.in_(ids)))}


def active_products() -> list:
    """Products on sale (id, sku, names), in catalog order: the storefront's table, by name."""
    products = db.metadata.tables["products"]
    return list(db.session.execute(
        sa.select(products.c.id, products.c.sku, products.c.name_zh, products.c.name_en)
        .where(products.c.active.is_(True)).order_by(products.c.position, products.c.id)))


def sell_by_cutoff(today: date | None = None) -> date:
    """Lots expiring before this day are no longer sold."""
    today = today or shop_today()
    return today + timedelta(days=current_app.config.get("LOT_SELL_BY_MARGIN_DAYS", 30))


def receive_lot(center_id: int, product_id: int, *, batch: str, expires_on: date,
                quantity: int, actor: User, produced_on: date | None = None,
                reason: str | None = None) -> Lot:
    """Units of one batch arrive at a center: a lot, more on hand, a ``received`` movement."""
    check_center_access(actor, center_id)
    errors = {}
    batch = (batch or "").strip()
    if not batch or len(batch) > 40:
        errors["batch"] = [str(_l("Enter the batch number (up to 40 characters)."))]
    if not isinstance(quantity, int) or isinstance(quantity, bool) \
            or not 1 <= quantity <= MAX_RECEIVE:
        errors["quantity"] = [str(_l("Enter a whole number from 1 to %(max)d.",
                                     max=MAX_RECEIVE))]
    if not isinstance(expires_on, date):
        errors["expires_on"] = [str(_l("Enter the expiry date."))]
    elif produced_on is not None and produced_on > expires_on:
        errors["expires_on"] = [str(_l("The expiry date must be after the production date."))]
    if errors:
        raise ValidationFailed(errors=errors)
    updated = db.session.execute(
        sa.update(Stock).where(Stock.center_id == center_id, Stock.product_id == product_id)
        .values(on_hand=Stock.on_hand + quantity, updated_at=utcnow())
        .execution_options(synchronize_session=False))
    if updated.rowcount == 0:
        db.session.add(Stock(center_id=center_id, product_id=product_id, on_hand=quantity,
                             reserved=0))
    lot = Lot(center_id=center_id, product_id=product_id, batch=batch, produced_on=produced_on,
              expires_on=expires_on, received_quantity=quantity, on_hand=quantity, reserved=0,
              received_by_id=actor.id)
    db.session.add(lot)
    db.session.flush()
    record_movement(center_id, product_id, MovementKind.RECEIVED, on_hand=quantity,
                    actor_id=actor.id, lot_id=lot.id, reason=reason or f"lot {batch}")
    mark_changed(db.session, "stock")
    return lot


def plan_lots(center_id: int, line: FulfillmentLine, *,
              today: date | None = None) -> list[tuple[int, int]] | None:
    """The lots the line's units would come from, read before any row is locked:
    ``[(lot id, units free)]`` expiring first (not past the sell-by margin), or None when
    the center does not keep this product in lots. ``allocate_lots`` takes from them."""
    return plan_lines(center_id, [line], today=today)[line.product_id]


def plan_lines(center_id: int, lines: list[FulfillmentLine], *,
               today: date | None = None) -> dict[int, list[tuple[int, int]] | None]:
    """``plan_lots`` of every line at once, by one read: ``{product id: plan}``."""
    products = sorted({line.product_id for line in lines})
    values = {"center": center_id, "cutoff": sell_by_cutoff(today)}
    values.update((f"product_{i}", product_id) for i, product_id in enumerate(products))
    plans: dict[int, list[tuple[int, int]] | None] = {p: [] for p in products}
    for product_id, lot_id, available in run(_lots_plan(len(products)), values).rows:
        if lot_id is None:
            plans[product_id] = None
        else:
            plans[product_id].append((lot_id, available))
    return plans


@lru_cache(maxsize=16)
def _lots_plan(products: int) -> sa.Select:
    """The sellable lots of ``products`` products at a center, each product's expiring
    first, in one round trip; a row of NULLs for a product says the center keeps no lot of
    it at all (built once per number of products: every checkout runs it)."""
    keys = [sa.bindparam(f"product_{i}", type_=sa.Integer()) for i in range(products)]
    center = Lot.center_id == sa.bindparam("center")
    sellable = (sa.select(Lot.product_id.label("product"), Lot.id.label("id"),
                          (Lot.on_hand - Lot.reserved).label("free"),
                          Lot.expires_on.label("expires_on"))
                .where(center, Lot.product_id.in_(keys),
                       Lot.expires_on >= sa.bindparam("cutoff", type_=sa.Date()),
                       Lot.on_hand > Lot.reserved))
    untracked = [sa.select(key, sa.null(), sa.null(), sa.null())
                 .where(~sa.exists().where(center, Lot.product_id == key)) for key in keys]
    every = sa.union_all(sellable, *untracked).subquery()
    return (sa.select(every.c.product, every.c.id, every.c.free)
            .order_by(every.c.product, every.c.expires_on, every.c.id))


def allocate_lots(center_id: int, line: FulfillmentLine, *, today: date | None = None,
                  plan: list[tuple[int, int]] | None | bool = False) -> None:
    """Take the line's units from the lots expiring first (not past the sell-by margin).

    Called after the stock row was reserved (which holds its lock), so the lots of this
    product at this center are not changing under us; each lot is still updated with a
    condition. ``plan`` is what ``plan_lots`` read before the lock: tried first, and where
    another order took those units meanwhile the lots are read again. Raises
    ``InsufficientStock`` when the sellable lots cannot cover the line. A product the
    center does not keep in lots is left alone.

    The allocations are written by one INSERT returning their rows (no unit-of-work flush:
    a checkout's hot path, with the stock row locked).
    """
    if plan is False:
        plan = plan_lots(center_id, line, today=today)
    if plan is None:
        return
    taken: dict[int, int] = {}
    # a new line's allocations are written with their take, on PostgreSQL: one statement
    # a lot instead of two, with the stock row locked (a line that gave its allocations up,
    # taken up again, goes the other way: those go first)
    made = ([] if db.session.get_bind().dialect.name == "postgresql" and not line.lots
            and not sa.inspect(line).attrs.lots.history.has_changes() else None)
    left = _take_from(plan, line.quantity, taken, line, made)
    if left:
        left = _take_from(plan_lots(center_id, line, today=today) or [], left, taken, line,
                          made)
    if left:
        raise InsufficientStock(extra={"lines": [{
            "product_id": line.product_id, "requested": line.quantity,
            "available": line.quantity - left}]})
    _record_allocations(line, taken, made or [])


def _take_from(lots: list[tuple[int, int]], left: int, taken: dict[int, int],
               line: FulfillmentLine, made: list[LotAllocation] | None) -> int:
    """Reserve up to ``left`` units from ``lots`` in turn, adding them to ``taken`` (``{lot
    id: units}``); the units still to find. Stops at the first lot that no longer holds
    what was read (the caller reads the lots again), so a lot expiring sooner is never
    skipped for a later one. With ``made``, a lot the line holds nothing of yet is taken
    and allocated to the line by one statement, the allocation added to ``made`` (not to
    ``taken``)."""
    for lot_id, available in lots:
        if left == 0:
            break
        take = min(left, available)
        if made is not None and lot_id not in taken and all(a.lot_id != lot_id for a in made):
            allocated = inserted(_take_into_line(), {
                "lot": lot_id, "units": take, "line": line.id}, LotAllocation)
            made.extend(allocated)
            if not allocated:
                break
        else:
            if run(_take_lot(), {"lot": lot_id, "units": take}).rowcount != 1:
                break
            taken[lot_id] = taken.get(lot_id, 0) + take
        left -= take
    return left


@lru_cache(maxsize=1)
def _take_lot() -> sa.Update:
    """``... SET reserved = reserved + units WHERE on_hand - reserved >= units`` on one lot
    (on the table: no ORM bulk-update step on the hot path)."""
    lots, units = Lot.__table__.c, sa.bindparam("units", type_=sa.Integer())
    return (sa.update(Lot.__table__)
            .where(lots.id == sa.bindparam("lot"), lots.on_hand - lots.reserved >= units)
            .values(reserved=lots.reserved + units))


@lru_cache(maxsize=1)
def _take_into_line() -> sa.Insert:
    """``WITH took AS (UPDATE lots ... WHERE on_hand - reserved >= units RETURNING id)
    INSERT INTO lot_allocations ... SELECT`` from it, returning the allocation: no row when
    the lot no longer holds the units (PostgreSQL; built once)."""
    lots, units = Lot.__table__.c, sa.bindparam("units", type_=sa.Integer())
    took = (sa.update(Lot.__table__)
            .where(lots.id == sa.bindparam("lot"), lots.on_hand - lots.reserved >= units)
            .values(reserved=lots.reserved + units).returning(lots.id).cte("took"))
    allocations = LotAllocation.__table__
    return (sa.insert(allocations)
            .from_select(["line_id", "lot_id", "quantity", "collected"],
                         sa.select(sa.bindparam("line", type_=sa.Integer()), took.c.id, units,
                                   sa.literal(0)))
            .returning(*allocations.c))


def _record_allocations(line: FulfillmentLine, taken: dict[int, int],
                        made: list[LotAllocation]) -> None:
    """The line holds ``taken`` (``{lot id: units}``) more: more of a lot it already holds
    (or was just allocated, ``made``), or new allocations, written at once and known as the
    line's lots without a query."""
    if sa.inspect(line).attrs.lots.history.has_changes():
        # allocations it gave up (an order taken up again) go first: one per line and lot
        db.session.flush()
    held = {a.lot_id: a for a in [*line.lots, *made]}
    new = []
    for lot_id, units in taken.items():
        if lot_id in held:
            held[lot_id].quantity += units
        else:
            new.append(LotAllocation(line_id=line.id, lot_id=lot_id, quantity=units))
    insert_loaded(new)
    set_committed_value(line, "lots", [*line.lots, *made, *new])


def release_lots(f: Fulfillment) -> None:
    """A cancelled order's lot units not yet handed over are free again."""
    for line in f.lines:
        for a in line.lots:
            free = a.quantity - a.collected
            if free:
                db.session.execute(sa.update(Lot).where(Lot.id == a.lot_id)
                                   .values(reserved=Lot.reserved - free)
                                   .execution_options(synchronize_session=False))


def consume_line_lots(line: FulfillmentLine, quantity: int) -> None:
    """``quantity`` units of the line leave the center: taken from its lots in order."""
    left = quantity
    for a in line.lots:
        take = min(left, a.quantity - a.collected)
        if take <= 0:
            continue
        db.session.execute(sa.update(Lot).where(Lot.id == a.lot_id)
                           .values(on_hand=Lot.on_hand - take, reserved=Lot.reserved - take)
                           .execution_options(synchronize_session=False))
        a.collected += take
        left -= take
        if left == 0:
            break


def consume_lots(f: Fulfillment) -> None:
    """Handed over or delivered: every unit still reserved leaves the center."""
    for line in f.lines:
        consume_line_lots(line, line.remaining)


def lots_at(center_id: int | None = None, *, batch: str | None = None,
            limit: int = 200) -> list[Lot]:
    """Lots, soonest expiry first; optionally one center's, or those of a batch number."""
    query = sa.select(Lot).order_by(Lot.expires_on, Lot.id).limit(limit)
    if center_id is not None:
        query = query.where(Lot.center_id == center_id)
    if batch:
        query = query.where(Lot.batch.ilike(f"%{batch.strip()}%"))
    return list(db.session.execute(query).scalars())


def recall_lot(lot: Lot) -> list[dict]:
    """Every order and customer that received (or holds a reservation of) units of ``lot``.

    One row per order line: the order's public id and number, the customer (user id,
    name, phone, e-mail), the units from this lot, and where the order stands. The CRM
    turns this list into follow-ups.
    """
    rows = db.session.execute(
        sa.select(_orders.c.public_id, _orders.c.number, _orders.c.status, User.id, User.name,
                  User.phone, User.email, LotAllocation.quantity, Fulfillment.status,
                  Fulfillment.completed_at, FulfillmentLine.sku)
        .join(FulfillmentLine, FulfillmentLine.id == LotAllocation.line_id)
        .join(Fulfillment, Fulfillment.id == FulfillmentLine.fulfillment_id)
        .join(_orders, _orders.c.id == Fulfillment.order_id)
        # an anonymous sale at a store's counter has no customer yet: listed all the same
        .outerjoin(User, User.id == _orders.c.user_id)
        .where(LotAllocation.lot_id == lot.id)
        .order_by(_orders.c.created_at)
    ).all()
    return [{"order_id": public_id, "number": number, "order_status": status,
             "user_id": user_id, "name": name, "phone": phone, "email": email,
             "quantity": quantity, "fulfillment_status": f_status, "completed_at": completed,
             "sku": sku}
            for public_id, number, status, user_id, name, phone, email, quantity, f_status,
            completed, sku in rows]
