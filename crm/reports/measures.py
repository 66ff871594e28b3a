"""The customer center's outcome measures by month, by center (satisfaction also by product
and by agent), stored in ``measure_months`` so the dashboard reads a few hundred rows
instead of scanning orders, calls and complaints.

The ``measure_months`` job (``store_months``) computes them set-based: one INSERT ... SELECT
per measure and breakdown over the months that can still change, whatever the number of
customers. A month can change while it is the current one (calls, complaints, the
snapshot), and its return rate until RETURN_DAYS after its end; so each run recomputes
every month from the first that is not final (and any month of the year not stored yet),
and the latest snapshot's missing fields and segment moves. The dashboard says when the
figures were computed.

Satisfaction is attributed to the products of the called order once each: a call about an
order of three products counts once for each of the three (and once for a product on two of
its lines), so the calls by product add up to more than the calls made.
"""

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from core.cache import mark_changed
from core.clock import shop_date, shop_zone
from core.extensions import db
from core.sql import at, plus_days, text
from crm.care.models import Complaint
from crm.customers import snapshots
from crm.customers.figures import COUNTED
from crm.customers.models import SegmentSnapshot
from crm.followups.models import FollowUp
from storefront.models import Order, OrderLine

from .dashboards import _local_day
from .models import MeasureMonth

#: a customer who buys again within this many days of a purchase has returned
RETURN_DAYS = 90
#: the months the dashboard shows
MONTHS = 12
#: the measures stored by month (and the latest snapshot's, kept for its month only)
BY_MONTH = ("satisfaction", "return", "sla", "profile")
LATEST_ONLY = ("missing", "moves")
#: the cache namespace of what is computed from the stored measures (``core.cache``)
MEASURES_NAMESPACE = "measures"
_COLUMNS = ["measure", "month", "breakdown", "item", "base", "part", "second_part",
            "computed_at"]


def _month(column):
    return sa.func.substr(_local_day(column), 1, 7)


def months_back(now, months: int = MONTHS) -> list[str]:
    """The last ``months`` months, 'YYYY-MM', oldest first, this month last."""
    today = shop_date(now)
    year, mon, out = today.year, today.month, []
    for _ in range(months):
        out.append(f"{year:04d}-{mon:02d}")
        year, mon = (year - 1, 12) if mon == 1 else (year, mon - 1)
    return out[::-1]


def _first_day(month: str) -> date:
    return date(int(month[:4]), int(month[5:]), 1)


def month_start(month: str) -> datetime:
    """The moment the month began in the shop's zone, in UTC."""
    return datetime.combine(_first_day(month), datetime.min.time(),
                            tzinfo=shop_zone()).astimezone(UTC)


def is_final(month: str, now) -> bool:
    """Every purchase of the month has had its RETURN_DAYS: its figures no longer change."""
    first = _first_day(month)
    end = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return end + timedelta(days=RETURN_DAYS) <= shop_date(now)


# --- what each measure's rows are --------------------------------------------------------------


def _code(value: str):
    return sa.literal_column(f"'{value}'", sa.String)


def _no_item():
    return sa.cast(sa.null(), sa.String)


def _row(measure, month, breakdown, item, base, part, second=None, *, now):
    return (_code(measure), month, _code(breakdown), item, base,
            sa.func.coalesce(part, 0), sa.func.coalesce(second, 0) if second is not None
            else sa.literal_column("0", sa.Integer), at(now))


def _satisfaction(start, now) -> list[sa.Select]:
    """Calls scored and the sum of their scores, by month: over all, by center (the
    order's), by agent, by product (each product of the order once)."""
    f = FollowUp
    scored = sa.and_(f.satisfaction.is_not(None), f.completed_at >= start)
    month = _month(f.completed_at)
    total = sa.func.sum(f.satisfaction)
    pairs = (sa.select(f.id, f.completed_at, f.satisfaction, OrderLine.product_id)
             .join(OrderLine, OrderLine.order_id == f.order_id).where(scored)
             .distinct().subquery("pairs"))
    pm = _month(pairs.c.completed_at)
    return [
        sa.select(*_row("satisfaction", month, "all", _no_item(), sa.func.count(), total,
                        now=now)).where(scored).group_by(month),
        sa.select(*_row("satisfaction", month, "center", text(Order.center_id),
                        sa.func.count(), total, now=now))
        .select_from(f).outerjoin(Order, Order.id == f.order_id).where(scored)
        .group_by(month, Order.center_id),
        sa.select(*_row("satisfaction", month, "agent", text(f.completed_by_id),
                        sa.func.count(), total, now=now))
        .where(scored).group_by(month, f.completed_by_id),
        sa.select(*_row("satisfaction", pm, "product", text(pairs.c.product_id),
                        sa.func.count(), sa.func.sum(pairs.c.satisfaction), now=now))
        .group_by(pm, pairs.c.product_id),
    ]


def _returns(start, now) -> list[sa.Select]:
    """Buyers of each month, and those of them who bought again within RETURN_DAYS of such
    a purchase: over all, and by the center of the purchase (a customer who bought at two
    centers in the month counts at each, once over all)."""
    # each purchase with the buyer's next one (LEAD over one sort of the window's orders:
    # the next purchase of one in the window is in it too)
    nxt = sa.func.lead(Order.created_at).over(partition_by=Order.user_id,
                                              order_by=(Order.created_at, Order.id))
    o = (sa.select(Order.user_id, Order.center_id, Order.created_at,
                   _month(Order.created_at).label("month"), nxt.label("next_at"))
         .where(Order.status.in_(COUNTED), Order.created_at >= start)
         .subquery("o"))
    came_back = sa.and_(o.c.next_at > o.c.created_at,
                        o.c.next_at <= plus_days(o.c.created_at, RETURN_DAYS))
    returned = sa.func.count(sa.distinct(sa.case((came_back, o.c.user_id))))
    buyers = sa.func.count(sa.distinct(o.c.user_id))
    return [
        sa.select(*_row("return", o.c.month, "all", _no_item(), buyers, returned, now=now))
        .group_by(o.c.month),
        sa.select(*_row("return", o.c.month, "center", text(o.c.center_id), buyers, returned,
                        now=now)).group_by(o.c.month, o.c.center_id),
    ]


def _sla(start, now) -> list[sa.Select]:
    """Complaints of each month, those answered by ``first_response_due_at`` and those
    resolved by ``due_at`` (one still waiting is not in time): over all, by center."""
    c = Complaint
    answered = sa.func.sum(sa.case((c.first_response_at <= c.first_response_due_at, 1), else_=0))
    resolved = sa.func.sum(sa.case((c.resolved_at <= c.due_at, 1), else_=0))
    month = _month(c.created_at)
    since = c.created_at >= start
    return [
        sa.select(*_row("sla", month, "all", _no_item(), sa.func.count(c.id), answered,
                        resolved, now=now)).where(since).group_by(month),
        sa.select(*_row("sla", month, "center", text(Order.center_id), sa.func.count(c.id),
                        answered, resolved, now=now))
        .select_from(c).outerjoin(Order, Order.id == c.order_id).where(since)
        .group_by(month, Order.center_id),
    ]


def _profile(first_month: str, now) -> list[sa.Select]:
    """Customers of each monthly snapshot and those with a complete required profile: over
    all, by favourite center."""
    s = SegmentSnapshot
    complete = sa.func.sum(sa.case((s.profile_complete, 1), else_=0))
    since = s.month >= first_month
    return [
        sa.select(*_row("profile", s.month, "all", _no_item(), sa.func.count(), complete,
                        now=now)).where(since).group_by(s.month),
        sa.select(*_row("profile", s.month, "center", text(s.center_id), sa.func.count(),
                        complete, now=now)).where(since).group_by(s.month, s.center_id),
    ]


# --- the job -----------------------------------------------------------------------------------


def _first_to_compute(now, labels: list[str]) -> str:
    """The first month that can still change, or an earlier one of ``labels`` whose
    figures were never stored."""
    stored = set(db.session.execute(
        sa.select(MeasureMonth.month).distinct()
        .where(MeasureMonth.measure == "return", MeasureMonth.breakdown == "all",
               MeasureMonth.month >= labels[0])).scalars())
    return next(m for m in labels if m not in stored or not is_final(m, now))


def store_months(now) -> str:
    """Job: the outcome measures of every month that can still change (and of any month of
    the year not stored yet), replacing what was stored for them; the latest snapshot's
    missing fields and segment moves. Set-based: a fixed number of statements."""
    labels = months_back(now)
    if db.session.get_bind().dialect.name == "postgresql":
        # two runs at once (cron and a worker) would each delete, then both insert: the
        # second waits here for the first to commit (readers are not blocked; SQLite's
        # writers queue anyway)
        db.session.execute(sa.text("LOCK TABLE measure_months IN SHARE ROW EXCLUSIVE MODE"))
    first = _first_to_compute(now, labels)
    start = month_start(first)
    m = MeasureMonth
    db.session.execute(sa.delete(m).where(
        sa.or_(sa.and_(m.measure.in_(BY_MONTH), m.month >= first), m.measure.in_(LATEST_ONLY))))
    for select in (*_satisfaction(start, now), *_returns(start, now), *_sla(start, now),
                   *_profile(first, now)):
        db.session.execute(sa.insert(m).from_select(_COLUMNS, select))
    # every month computed has its 'all' row of each measure, zeros when nothing happened
    # (so a quiet month is not taken for one never computed)
    months = [x for x in labels if x >= first]
    have = set(map(tuple, db.session.execute(sa.select(m.measure, m.month).where(
        m.breakdown == "all", m.month >= first)).all()))
    zeros = [{"measure": name, "month": x, "breakdown": "all", "item": None, "base": 0, "part": 0,
              "second_part": 0, "computed_at": now}
             for name in BY_MONTH for x in months if (name, x) not in have]
    latest, before = snapshots.latest_months()
    rows = zeros
    if latest:
        rows += [{"measure": "missing", "month": latest, "breakdown": "field", "item": field,
                  "base": customers, "part": missing, "second_part": 0, "computed_at": now}
                 for field, missing, customers in snapshots.missing_fields()]
    if before:
        rows += [{"measure": "moves", "month": latest, "breakdown": "segments",
                  "item": f"{a}>{b}",
                  "base": n, "part": n, "second_part": 0, "computed_at": now}
                 for (a, b), n in snapshots.movement(before, latest).items()]
    if rows:
        db.session.execute(sa.insert(m), rows)
    mark_changed(db.session, MEASURES_NAMESPACE)  # the dashboard's cached sections
    return f"months {first} to {labels[-1]} stored"


# --- what the dashboard reads ------------------------------------------------------------------


def stored(measures: tuple[str, ...], now) -> list[sa.Row]:
    """The stored rows of ``measures`` for the months shown (``measure, month, breakdown,
    item, base, part, second_part, computed_at``); one statement."""
    m = MeasureMonth
    return db.session.execute(
        sa.select(m.measure, m.month, m.breakdown, m.item, m.base, m.part, m.second_part,
                  m.computed_at)
        .where(m.measure.in_(measures),
               sa.or_(m.month >= months_back(now)[0], m.measure.in_(LATEST_ONLY)))
        .order_by(m.month, m.measure, m.breakdown, m.item)).all()
