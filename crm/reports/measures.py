"""The customer center's outcome measures, each by month and by center, each one GROUP BY
in SQL (the statement count does not grow with the customers): satisfaction from
follow-up calls, the return rate, complaints against their SLA. Profile completeness and
segment movement come from the monthly snapshots (``crm.customers.snapshots``)."""

from datetime import timedelta

import sqlalchemy as sa

from core.clock import shop_date, utcnow
from core.extensions import db
from core.models import User
from core.sql import plus_days
from crm.care.models import Complaint
from crm.customers.figures import COUNTED
from crm.followups.models import FollowUp
from storefront.models import Order, OrderLine

from .dashboards import _local_day

#: a customer who buys again within this many days of a purchase has returned
RETURN_DAYS = 90


def _month(column):
    return sa.func.substr(_local_day(column), 1, 7)


def months_back(now, months: int = 12) -> list[str]:
    today = shop_date(now)
    year, mon, out = today.year, today.month, []
    for _ in range(months):
        out.append(f"{year:04d}-{mon:02d}")
        year, mon = (year - 1, 12) if mon == 1 else (year, mon - 1)
    return out[::-1]


def _since(now, months: int):
    return now - timedelta(days=31 * months + 1)


# --- satisfaction from follow-up calls ---------------------------------------------------------


def _scored(now, months):
    return sa.and_(FollowUp.satisfaction.is_not(None), FollowUp.completed_at >= _since(now, months))


def satisfaction(now=None, months: int = 12) -> dict[str, list[tuple]]:
    """Scores 1-5 given in follow-up calls: ``(key, calls, mean)`` by month, by center (the
    order's), by product (each product of the order) and by agent; four GROUP BYs."""
    now = now or utcnow()
    score = sa.cast(FollowUp.satisfaction, sa.Float)
    month = _month(FollowUp.completed_at)
    out = {"by_month": db.session.execute(
        sa.select(month, sa.func.count(), sa.func.avg(score)).where(_scored(now, months))
        .group_by(month).order_by(month)).all()}
    out["by_center"] = db.session.execute(
        sa.select(Order.center_id, sa.func.count(), sa.func.avg(score))
        .select_from(FollowUp).outerjoin(Order, Order.id == FollowUp.order_id)
        .where(_scored(now, months)).group_by(Order.center_id)).all()
    out["by_product"] = db.session.execute(
        sa.select(OrderLine.product_id, sa.func.count(), sa.func.avg(score))
        .select_from(FollowUp).join(OrderLine, OrderLine.order_id == FollowUp.order_id)
        .where(_scored(now, months)).group_by(OrderLine.product_id)).all()
    out["by_agent"] = db.session.execute(
        sa.select(User.name, sa.func.count(), sa.func.avg(score))
        .select_from(FollowUp).outerjoin(User, User.id == FollowUp.completed_by_id)
        .where(_scored(now, months)).group_by(User.id, User.name)).all()
    return {k: [(key, int(n), round(float(avg), 2)) for key, n, avg in rows]
            for k, rows in out.items()}


# --- the return rate ---------------------------------------------------------------------------


def return_rate(now=None, months: int = 12) -> dict[str, list[tuple]]:
    """Customers who bought in a month, and those of them who bought again within
    RETURN_DAYS of such a purchase: ``(month, buyers, returned, final)`` (final: every
    purchase of the month has had its RETURN_DAYS) and ``(center id, buyers, returned)``
    over the months shown (the center of the first purchase)."""
    now = now or utcnow()
    labels = months_back(now, months)
    # each purchase with the buyer's next one (LEAD over one sort of the window's orders:
    # the next purchase of one in the window is in it too)
    nxt = sa.func.lead(Order.created_at).over(partition_by=Order.user_id,
                                              order_by=(Order.created_at, Order.id))
    o = (sa.select(Order.user_id, Order.center_id, Order.created_at,
                   _month(Order.created_at).label("month"), nxt.label("next_at"))
         .where(Order.status.in_(COUNTED), Order.created_at >= _since(now, months))
         .subquery("o"))
    came_back = sa.and_(o.c.next_at > o.c.created_at,
                        o.c.next_at <= plus_days(o.c.created_at, RETURN_DAYS))
    returned = sa.func.count(sa.distinct(sa.case((came_back, o.c.user_id))))
    buyers = sa.func.count(sa.distinct(o.c.user_id))
    shown = o.c.month >= labels[0]
    by_month = dict((m, (int(b), int(r))) for m, b, r in db.session.execute(
        sa.select(o.c.month, buyers, returned).where(shown).group_by(o.c.month)).all())
    by_center = [(c, int(b), int(r)) for c, b, r in db.session.execute(
        sa.select(o.c.center_id, buyers, returned).where(shown)
        .group_by(o.c.center_id)).all()]
    today = shop_date(now)
    rows = []
    for m in labels:
        year, mon = int(m[:4]), int(m[5:])
        end = shop_date(now).replace(year=year + mon // 12, month=mon % 12 + 1, day=1)
        buyers, back = by_month.get(m, (0, 0))
        rows.append((m, buyers, back, end + timedelta(days=RETURN_DAYS) <= today))
    return {"by_month": rows, "by_center": by_center}


# --- complaints against their SLA --------------------------------------------------------------


def complaint_sla(now=None, months: int = 12) -> dict[str, list[tuple]]:
    """``(key, complaints, answered in time, resolved in time)`` by month (of the complaint)
    and by center (the order's). In time: the first response by ``first_response_due_at``,
    the resolution by ``due_at``; one still waiting is not in time."""
    now = now or utcnow()
    c = Complaint
    answered = sa.func.sum(sa.case((c.first_response_at <= c.first_response_due_at, 1), else_=0))
    resolved = sa.func.sum(sa.case((c.resolved_at <= c.due_at, 1), else_=0))
    since = c.created_at >= _since(now, months)
    month = _month(c.created_at)
    by_month = db.session.execute(sa.select(month, sa.func.count(), answered, resolved)
                                  .where(since).group_by(month).order_by(month)).all()
    by_center = db.session.execute(
        sa.select(Order.center_id, sa.func.count(c.id), answered, resolved)
        .select_from(c).outerjoin(Order, Order.id == c.order_id)
        .where(since).group_by(Order.center_id)).all()
    return {k: [(key, int(n), int(a or 0), int(r or 0)) for key, n, a, r in rows]
            for k, rows in (("by_month", by_month), ("by_center", by_center))}
