"""The monthly snapshot of every customer (segment, complete profile, favourite center),
and what it tells: how complete profiles are, and who moved between RFM segments.

``take_snapshot`` is a job: each run replaces the current month's rows with one
INSERT ... SELECT over the customers, so the month's last run stands for the month.
"""

import sqlalchemy as sa

from core.clock import shop_date
from core.extensions import db
from core.models import UTCDateTime

from . import figures
from .models import Child, Customer, SegmentSnapshot
from .profiles import REQUIRED_FIELDS

#: the goal for complete required profiles (the dealer's 90 %)
PROFILE_GOAL = 0.9
#: a customer without a segment (a prospect, no orders in the year) in the movement matrix
NO_SEGMENT = "none"


def month_of(now) -> str:
    return shop_date(now).strftime("%Y-%m")


def previous_month(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:])
    year, mon = (year - 1, 12) if mon == 1 else (year, mon - 1)
    return f"{year:04d}-{mon:02d}"


def _missing(field: str) -> sa.ColumnElement:
    """The required ``field`` is missing (``profiles.completeness`` in SQL)."""
    if field == "family":
        return ~sa.exists().where(Child.customer_id == Customer.id)
    column = getattr(Customer, field)
    if isinstance(column.type, sa.String | sa.Text):
        return sa.func.coalesce(column, "") == ""
    return column.is_(None)


def profile_complete() -> sa.ColumnElement:
    return sa.and_(*[~_missing(f) for f in REQUIRED_FIELDS])


def take_snapshot(now) -> str:
    """Job: this month's snapshot of every customer, replacing any taken earlier this month."""
    month = month_of(now)
    db.session.execute(sa.delete(SegmentSnapshot).where(SegmentSnapshot.month == month))
    rows = sa.select(sa.literal(month), Customer.id, Customer.rfm_segment,
                     sa.case((profile_complete(), True), else_=False),
                     Customer.favourite_center_id, sa.literal(now, UTCDateTime()))
    db.session.execute(sa.insert(SegmentSnapshot).from_select(
        ["month", "customer_id", "segment", "profile_complete", "center_id", "taken_at"],
        rows))
    return f"{_rows(month)} customer(s) in the {month} snapshot"


def _rows(month: str) -> int:
    """The rows of the month's snapshot (counted: drivers do not all report the row count
    of INSERT ... SELECT)."""
    return db.session.execute(sa.select(sa.func.count()).where(
        SegmentSnapshot.month == month)).scalar_one()


def take_snapshot_as_of(month: str, end) -> int:
    """The snapshot ``month`` would have had, taken as it ended (``end``): every customer
    created before ``end``, with the RFM segment and favourite center computed from the
    orders placed before it (``figures.segments_as_of``), and the required profile as it is
    now (the profile keeps no history). Replaces the month's rows; one INSERT ... SELECT
    (for a history the snapshot job did not take, such as the demo's year)."""
    db.session.execute(sa.delete(SegmentSnapshot).where(SegmentSnapshot.month == month))
    then = figures.segments_as_of(end)
    rows = (sa.select(sa.literal(month), Customer.id, then.c.segment,
                      sa.case((profile_complete(), True), else_=False), then.c.center,
                      sa.literal(end, UTCDateTime()))
            .select_from(Customer).outerjoin(then, then.c.user_id == Customer.user_id)
            .where(Customer.created_at < end))
    db.session.execute(sa.insert(SegmentSnapshot).from_select(
        ["month", "customer_id", "segment", "profile_complete", "center_id", "taken_at"],
        rows))
    return _rows(month)


def missing_fields() -> list[tuple[str, int, int]]:
    """``(field, customers missing it, customers)`` now, most often missing first; one
    statement."""
    counts = db.session.execute(sa.select(sa.func.count(Customer.id), *[
        sa.func.sum(sa.case((_missing(f), 1), else_=0)) for f in REQUIRED_FIELDS])).one()
    total = int(counts[0])
    rows = [(f, int(n or 0), total) for f, n in zip(REQUIRED_FIELDS, counts[1:], strict=True)]
    return sorted(rows, key=lambda r: (-r[1], REQUIRED_FIELDS.index(r[0])))


def profile_rate_by_month() -> list[tuple[str, int, int]]:
    """``(month, complete, customers)`` of each snapshot."""
    s = SegmentSnapshot
    return [(m, int(c or 0), int(n)) for m, c, n in db.session.execute(
        sa.select(s.month, sa.func.sum(sa.case((s.profile_complete, 1), else_=0)),
                  sa.func.count()).group_by(s.month).order_by(s.month)).all()]


def latest_months() -> tuple[str | None, str | None]:
    """The last snapshot's month and the one before it that has a snapshot."""
    months = db.session.execute(sa.select(SegmentSnapshot.month).distinct()
                                .order_by(SegmentSnapshot.month.desc()).limit(2)).scalars().all()
    return (months[0] if months else None, months[1] if len(months) > 1 else None)


def _pair(before: str, after: str):
    a, b = sa.orm.aliased(SegmentSnapshot), sa.orm.aliased(SegmentSnapshot)
    frm = sa.func.coalesce(a.segment, NO_SEGMENT)
    to = sa.func.coalesce(b.segment, NO_SEGMENT)
    base = (sa.select(b.customer_id).select_from(b)
            .outerjoin(a, sa.and_(a.customer_id == b.customer_id, a.month == before))
            .where(b.month == after))
    return base, frm, to


def movement(before: str, after: str) -> dict[tuple[str, str], int]:
    """``{(segment before, segment after): customers}`` between two snapshots (customers
    new since ``before`` come from NO_SEGMENT); one GROUP BY."""
    base, frm, to = _pair(before, after)
    return {(f, t): int(n) for f, t, n in db.session.execute(
        base.with_only_columns(frm, to, sa.func.count()).group_by(frm, to)).all()}


def moved_customers(before: str, after: str, frm: str, to: str, limit: int = 500):
    """The customers of one cell of the movement matrix (id order, at most ``limit``)."""
    base, f, t = _pair(before, after)
    ids = base.where(f == frm, t == to)
    return db.session.execute(sa.select(Customer).where(Customer.id.in_(ids))
                              .order_by(Customer.id).limit(limit)).scalars().all()
