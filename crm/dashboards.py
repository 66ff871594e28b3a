"""The figures behind the dashboards, each one GROUP BY in SQL: sales, follow-ups,
complaints, member growth. Days and months are the shop's (Asia/Shanghai by default)."""

from datetime import timedelta

import sqlalchemy as sa

from core.extensions import db
from core.i18n import shop_zone
from core.models import utcnow
from fulfillment.models import Center
from storefront.models import Membership, Order

from .complaints import overdue_filter
from .figures import COUNTED
from .models import Complaint, ComplaintStatus, FollowUp, FollowUpStatus


def _local_day(column):
    """The shop-zone date of a UTC timestamp, as 'YYYY-MM-DD' text."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone(shop_zone().key, column), "YYYY-MM-DD")
    offset = utcnow().astimezone(shop_zone()).utcoffset()
    hours = int(offset.total_seconds() // 3600)
    return sa.func.strftime("%Y-%m-%d", column, f"{hours:+d} hours")


def _days(now, days: int) -> list[str]:
    today = now.astimezone(shop_zone()).date()
    return [(today - timedelta(days=n)).isoformat() for n in range(days - 1, -1, -1)]


def sales_by_day(now=None, days: int = 30) -> list[tuple[str, int, int]]:
    """``(day, orders, amount in fen)`` for each of the last ``days`` days."""
    now = now or utcnow()
    day = _local_day(Order.created_at)
    rows = dict((d, (n, a)) for d, n, a in db.session.execute(
        sa.select(day, sa.func.count(Order.id), sa.func.sum(Order.total_amount))
        .where(Order.status.in_(COUNTED), Order.created_at >= now - timedelta(days=days + 1))
        .group_by(day)).all())
    return [(d, *(int(x or 0) for x in rows.get(d, (0, 0)))) for d in _days(now, days)]


def sales_by_center_and_method(now=None, days: int = 30) -> list[tuple[str, str, int, int]]:
    """``(center name, method, orders, amount)`` over the last ``days`` days."""
    now = now or utcnow()
    rows = db.session.execute(
        sa.select(Center.name_zh, Center.name_en, Order.fulfillment_method,
                  sa.func.count(Order.id), sa.func.sum(Order.total_amount))
        .join(Center, Center.id == Order.center_id)
        .where(Order.status.in_(COUNTED), Order.created_at >= now - timedelta(days=days))
        .group_by(Center.id, Center.name_zh, Center.name_en, Order.fulfillment_method)
        .order_by(Center.name_zh, Order.fulfillment_method)).all()
    return [(zh, en, method, int(n), int(a or 0)) for zh, en, method, n, a in rows]


def followups_done_vs_due(now=None, days: int = 14) -> list[tuple[str, int, int]]:
    """``(day, due, done)``: follow-ups falling due each day, and those completed."""
    now = now or utcnow()
    since = now - timedelta(days=days + 1)
    due_day, done_day = _local_day(FollowUp.due_at), _local_day(FollowUp.completed_at)
    due = dict(db.session.execute(sa.select(due_day, sa.func.count()).where(
        FollowUp.due_at >= since, FollowUp.due_at <= now,
        FollowUp.status != FollowUpStatus.CANCELLED).group_by(due_day)).all())
    done = dict(db.session.execute(sa.select(done_day, sa.func.count()).where(
        FollowUp.completed_at >= since).group_by(done_day)).all())
    return [(d, int(due.get(d, 0)), int(done.get(d, 0))) for d in _days(now, days)]


def complaint_figures(now=None) -> dict:
    """Open complaints, SLA breaches, and hours to first response and to resolution by
    category."""
    now = now or utcnow()
    open_count = db.session.execute(sa.select(sa.func.count(Complaint.id)).where(
        Complaint.status.in_(ComplaintStatus.UNRESOLVED))).scalar_one()
    breaches = db.session.execute(sa.select(sa.func.count(Complaint.id)).where(
        overdue_filter(now))).scalar_one()
    rows = db.session.execute(sa.select(
        Complaint.category, Complaint.created_at, Complaint.first_response_at,
        Complaint.resolved_at).where(Complaint.created_at >= now - timedelta(days=90))).all()
    by_category: dict[str, list] = {}
    for category, created, answered, resolved in rows:
        stats = by_category.setdefault(category, [0, [], []])
        stats[0] += 1
        if answered:
            stats[1].append((answered - created).total_seconds() / 3600)
        if resolved:
            stats[2].append((resolved - created).total_seconds() / 3600)
    table = [(category, n, _mean(first), _mean(resolve))
             for category, (n, first, resolve) in sorted(by_category.items())]
    return {"open": open_count, "breaches": breaches, "by_category": table}


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def member_growth(now=None, months: int = 12) -> list[tuple[str, int, int]]:
    """``(month, joined that month, members at its end)`` for the last ``months`` months."""
    now = now or utcnow()
    month = sa.func.substr(_local_day(Membership.joined_at), 1, 7)
    joined = dict(db.session.execute(sa.select(month, sa.func.count(Membership.id))
                                     .group_by(month)).all())
    today = now.astimezone(shop_zone()).date()
    labels = []
    year, mon = today.year, today.month
    for _ in range(months):
        labels.append(f"{year:04d}-{mon:02d}")
        year, mon = (year - 1, 12) if mon == 1 else (year, mon - 1)
    labels.reverse()
    before = sum(n for m, n in joined.items() if m < labels[0])
    result, total = [], before
    for label in labels:
        total += int(joined.get(label, 0))
        result.append((label, int(joined.get(label, 0)), total))
    return result
