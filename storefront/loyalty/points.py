"""VIP points: a ledger with the balance kept in step on the membership.

Every change of ``Membership.points`` is one conditional UPDATE (``points >= n`` when it
takes points away), so the balance never goes below zero and two checkouts spending the
same points cannot both succeed: the second finds the row count 0 (on PostgreSQL it waits
for the first's row lock, then re-checks the condition). A ledger line is written with the
balance after it. Lines that add points are lots; spending, expiry and reversals consume
the oldest open lots first.
"""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from core.clock import shop_zone, utcnow
from core.errors import Conflict, ValidationFailed
from core.extensions import db

from ..models import Order
from .models import Membership, PointsEntry, PointsKind
from .tiers import rule_for


class InsufficientPoints(Conflict):
    code = "insufficient_points"
    message = _l("You do not have that many points.")


class PointsNotAccepted(ValidationFailed):
    """Points this order cannot take (none, a shopper who is not a member, more than the
    share points may pay): an invalid ``points`` field, code ``validation_error``."""


#: what a checkout refuses because of the points asked for, shown on the points field
POINTS_REFUSALS = (InsufficientPoints, PointsNotAccepted)


def points_per_yuan() -> int:
    """Points worth one yuan at checkout (config ``POINTS_PER_YUAN``, 100 by default)."""
    return int(current_app.config.get("POINTS_PER_YUAN", 100))


def max_share_percent() -> int:
    """The largest share of an order's subtotal points may pay (``POINTS_MAX_SHARE_PERCENT``)."""
    return int(current_app.config.get("POINTS_MAX_SHARE_PERCENT", 50))


def valid_days() -> int:
    """Days earned points last (``POINTS_VALID_DAYS``)."""
    return int(current_app.config.get("POINTS_VALID_DAYS", 730))


def discount_for(points: int) -> int:
    """The discount (fen) ``points`` buy."""
    return points * 100 // points_per_yuan()


def redeemable(membership: Membership | None, subtotal: int) -> int:
    """The most points this member may spend on an order of ``subtotal`` fen."""
    if membership is None:
        return 0
    cap = subtotal * max_share_percent() // 100 * points_per_yuan() // 100
    return max(0, min(membership.points, cap))


def _apply(membership: Membership, delta: int, *, partial: bool = False) -> int:
    """Move the balance by ``delta`` with one conditional UPDATE; returns the change made.

    Taking points away needs the balance to hold them (``InsufficientPoints`` otherwise),
    or with ``partial`` takes what is there.
    """
    member = Membership.__table__.c
    if delta < 0 and partial:
        current = db.session.execute(
            sa.select(member.points).where(member.id == membership.id).with_for_update()
        ).scalar_one()
        delta = -min(-delta, current)
    if delta == 0:
        return 0
    stmt = sa.update(Membership.__table__).where(member.id == membership.id)
    if delta < 0:
        stmt = stmt.where(member.points >= -delta)
    result = db.session.execute(stmt.values(points=member.points + delta))
    if result.rowcount != 1:
        raise InsufficientPoints(extra={"points": membership.points})
    db.session.refresh(membership, ["points"])
    return delta


def _consume_lots(membership: Membership, amount: int, *, order_id: int | None = None) -> None:
    """Take ``amount`` from the open lots, the order's own first, then the oldest."""
    ordering = [PointsEntry.expires_at.nulls_last(), PointsEntry.id]
    if order_id is not None:
        ordering.insert(0, sa.case((PointsEntry.order_id == order_id, 0), else_=1))
    lots = db.session.execute(
        sa.select(PointsEntry).where(PointsEntry.membership_id == membership.id,
                                     PointsEntry.open_amount > 0).order_by(*ordering)
    ).scalars().all()
    for lot in lots:
        if amount <= 0:
            break
        take = min(lot.open_amount, amount)
        lot.open_amount -= take
        amount -= take


def _entry(membership: Membership, kind: str, delta: int, reason: str, *, order=None,
           lot: bool = False, now=None) -> PointsEntry:
    now = now or utcnow()
    entry = PointsEntry(
        membership_id=membership.id, kind=kind, delta=delta, balance_after=membership.points,
        order_id=order.id if order is not None else None, reason=reason,
        open_amount=delta if lot and delta > 0 else 0,
        expires_at=now + timedelta(days=valid_days()) if lot and delta > 0 else None,
        created_at=now)
    db.session.add(entry)
    db.session.flush()
    return entry


#: the ledger's reason for an order's points doubled in the member's birthday month
BIRTHDAY_DOUBLE_REASON = "order_fulfilled_birthday_double"


def _month_start(local) -> datetime:
    """The first moment of the shop's month that ``local`` (a shop time) falls in."""
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _set_before(membership: Membership, moment) -> bool:
    """The birthday was set before ``moment`` (unknown for memberships older than the
    record: counted as before)."""
    return membership.birthday_set_at is None or membership.birthday_set_at < moment


def birthday_double_active(membership: Membership, now=None) -> bool:
    """It is the member's birthday month, the birthday job gave this month's perk, and the
    birthday was set before the month began: moving it into the month does not double."""
    local = (now or utcnow()).astimezone(shop_zone())
    return (membership.birthday is not None and membership.birthday.month == local.month
            and membership.birthday_perk_year == local.year
            and membership.birthday_perk_month == local.month
            and _set_before(membership, _month_start(local)))


def earned_for(order: Order, membership: Membership, now=None) -> int:
    """Points an order earns: the tier's rate per 100 yuan paid, doubled in a birthday month
    whose perk the birthday job gave."""
    rule = rule_for(membership.tier)
    rate = rule.points_per_100_yuan if rule is not None else 100
    points = order.total_amount * rate // 10_000
    if birthday_double_active(membership, now):
        points *= 2
    return points


def award_order_points(order: Order, membership: Membership, now=None) -> PointsEntry | None:
    """Credit the points a fulfilled order earns (once per order)."""
    if db.session.execute(sa.select(PointsEntry.id).where(
            PointsEntry.order_id == order.id, PointsEntry.kind == PointsKind.EARNED)).first():
        return None
    points = earned_for(order, membership, now)
    if points <= 0:
        return None
    _apply(membership, points)
    reason = BIRTHDAY_DOUBLE_REASON if birthday_double_active(membership, now) \
        else "order_fulfilled"
    return _entry(membership, PointsKind.EARNED, points, reason, order=order, lot=True, now=now)


def redeem_points(membership: Membership, order: Order, points: int) -> PointsEntry:
    """Spend ``points`` on ``order`` (its discount is set by the caller); all or nothing."""
    if points <= 0:
        raise PointsNotAccepted(
            errors={"points": [str(_l("Enter a number of points above 0."))]})
    _apply(membership, -points)
    _consume_lots(membership, points)
    return _entry(membership, PointsKind.REDEEMED, -points, "checkout", order=order)


def _order_sum(order: Order, membership: Membership, kind: str,
               reason: str | None = None) -> int:
    """The order's points of ``kind`` in this membership's ledger (not a closed one's)."""
    where = [PointsEntry.order_id == order.id, PointsEntry.membership_id == membership.id,
             PointsEntry.kind == kind]
    if reason is not None:
        where.append(PointsEntry.reason == reason)
    return db.session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(PointsEntry.delta), 0)).where(*where)).scalar_one()


def restore_redeemed(order: Order, membership: Membership) -> PointsEntry | None:
    """A cancelled order gives back the points spent on it (once)."""
    spent = -_order_sum(order, membership, PointsKind.REDEEMED)
    back = _order_sum(order, membership, PointsKind.REVERSED, "order_cancelled")
    if spent - back <= 0:
        return None
    _apply(membership, spent - back)
    return _entry(membership, PointsKind.REVERSED, spent - back, "order_cancelled",
                  order=order, lot=True)


def reverse_for_refund(order: Order, membership: Membership, *, amount: int, full: bool,
                       reason: str | None = None) -> PointsEntry | None:
    """A refund takes back the points its share of the order earned, never below zero."""
    earned = _order_sum(order, membership, PointsKind.EARNED)
    taken = -_order_sum(order, membership, PointsKind.REVERSED, "order_refunded")
    if earned <= 0 or taken >= earned:
        return None
    if full or order.total_amount <= 0:
        due = earned - taken
    else:
        due = min(earned * min(amount, order.total_amount) // order.total_amount, earned - taken)
    if due <= 0:
        return None
    change = _apply(membership, -due, partial=True)
    if change == 0:
        return None
    _consume_lots(membership, -change, order_id=order.id)
    return _entry(membership, PointsKind.REVERSED, change, "order_refunded", order=order)


def adjust_points(membership: Membership, delta: int, reason: str) -> PointsEntry:
    """A correction by the customer center; never takes the balance below zero."""
    if delta == 0 or not reason.strip():
        raise ValidationFailed(errors={"delta": [str(_l("Enter a change and a reason."))]})
    _apply(membership, delta)
    if delta < 0:
        _consume_lots(membership, -delta)
    return _entry(membership, PointsKind.ADJUSTED, delta, reason.strip()[:80], lot=delta > 0)


def expire_points(now) -> str:
    """Job: lots past their expiry lose what is left of them (idempotent)."""
    lots = db.session.execute(
        sa.select(PointsEntry).where(PointsEntry.open_amount > 0, PointsEntry.expires_at <= now)
        .order_by(PointsEntry.membership_id, PointsEntry.id)
    ).scalars().all()
    total = 0
    for lot in lots:
        membership = db.session.get(Membership, lot.membership_id)
        amount, lot.open_amount = lot.open_amount, 0
        change = _apply(membership, -amount, partial=True)
        if change:
            total -= change
            _entry(membership, PointsKind.EXPIRED, change, "expired", now=now)
    db.session.flush()
    return f"{total} point(s) expired from {len(lots)} lot(s)"


def ledger(membership: Membership, *, page: int = 1, per_page: int = 50) -> list[PointsEntry]:
    """The member's ledger, newest first."""
    return list(db.session.execute(
        sa.select(PointsEntry).where(PointsEntry.membership_id == membership.id)
        .order_by(PointsEntry.created_at.desc(), PointsEntry.id.desc())
        .limit(per_page).offset((page - 1) * per_page)).scalars())


def grant_birthday_perks(now) -> str:
    """Job: members whose birthday month it is get double points for the month, once a year.

    The perk is marked with the year and the month (``birthday_perk_year``,
    ``birthday_perk_month``); ``earned_for`` doubles the points of orders fulfilled in that
    month. A birthday set during its own month gets no perk that month (nor uses up the
    year's).
    """
    local = now.astimezone(shop_zone())
    month_start = _month_start(local)
    due = db.session.execute(
        sa.select(Membership).where(
            Membership.closed_at.is_(None), Membership.birthday.is_not(None),
            sa.or_(Membership.birthday_perk_year.is_(None),
                   Membership.birthday_perk_year < local.year))
    ).scalars().all()
    given = 0
    for membership in due:
        if membership.birthday.month == local.month and _set_before(membership, month_start):
            membership.birthday_perk_year = local.year
            membership.birthday_perk_month = local.month
            given += 1
    db.session.flush()
    return f"{given} birthday perk(s) given"
