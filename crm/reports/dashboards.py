"""The figures behind the dashboards, each one GROUP BY in SQL: sales, follow-ups,
complaints, member growth. Days and months are the shop's (Asia/Shanghai by default)."""

from datetime import timedelta

import sqlalchemy as sa

from core.cache import watch_tables
from core.clock import shop_date, shop_zone, utcnow
from core.extensions import db
from crm.care.complaints import overdue_filter
from crm.care.models import Complaint, ComplaintStatus
from crm.customers.figures import COUNTED
from crm.customers.models import Customer
from crm.followups.models import FollowUp, FollowUpStatus
from fulfillment.models import Center
from storefront.loyalty.models import Membership
from storefront.models import Order, Product

#: what the dashboard's figures are kept by (``core.cache``): the orders it sums, the
#: complaints, the customers' RFM scores, the stored measures, the names of centers and
#: products
DASHBOARD_NAMESPACES = ("sales", "complaints", "rfm", "measures", "catalog")
watch_tables("sales", Order.__tablename__, columns=(
    "status", "total_amount", "center_id", "fulfillment_method", "channel", "created_at"))
watch_tables("complaints", Complaint.__tablename__)
watch_tables("rfm", Customer.__tablename__, columns=("r_score", "f_score", "rfm_segment"))


def _local_day(column):
    """The shop-zone date of a UTC timestamp, as 'YYYY-MM-DD' text."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone(shop_zone().key, column), "YYYY-MM-DD")
    offset = utcnow().astimezone(shop_zone()).utcoffset()
    hours = int(offset.total_seconds() // 3600)
    return sa.func.strftime("%Y-%m-%d", column, f"{hours:+d} hours")


def _days(now, days: int) -> list[str]:
    today = shop_date(now)
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


def sales_by_channel_and_store(now=None, days: int = 30) -> list[tuple[str, str, str, int, int]]:
    """``(center name zh, en, channel, orders, amount)`` over the last ``days`` days: what
    the web shop and each store's counter sold (web orders by the center that fulfils)."""
    now = now or utcnow()
    rows = db.session.execute(
        sa.select(Center.name_zh, Center.name_en, Order.channel,
                  sa.func.count(Order.id), sa.func.sum(Order.total_amount))
        .join(Center, Center.id == Order.center_id)
        .where(Order.status.in_(COUNTED), Order.created_at >= now - timedelta(days=days))
        .group_by(Center.id, Center.name_zh, Center.name_en, Order.channel)
        .order_by(Center.name_zh, Order.channel)).all()
    return [(zh, en, channel, int(n), int(a or 0)) for zh, en, channel, n, a in rows]


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
    """Open complaints, SLA breaches, and hours to first response and to resolution over the
    last 90 days by category, by center (the order's) and by product; open complaints and
    breaches also by center. A complaint without an order or product counts under None."""
    now = now or utcnow()
    open_count = db.session.execute(sa.select(sa.func.count(Complaint.id)).where(
        Complaint.status.in_(ComplaintStatus.UNRESOLVED))).scalar_one()
    breaches = db.session.execute(sa.select(sa.func.count(Complaint.id)).where(
        overdue_filter(now))).scalar_one()
    rows = db.session.execute(
        sa.select(Complaint.category, Order.center_id, Complaint.product_id,
                  Complaint.created_at, Complaint.first_response_at, Complaint.resolved_at)
        .outerjoin(Order, Order.id == Complaint.order_id)
        .where(Complaint.created_at >= now - timedelta(days=90))).all()
    tables = {"by_category": {}, "by_center": {}, "by_product": {}}
    for category, center_id, product_id, created, answered, resolved in rows:
        for table, key in (("by_category", category), ("by_center", center_id),
                           ("by_product", product_id)):
            stats = tables[table].setdefault(key, [0, [], []])
            stats[0] += 1
            if answered:
                stats[1].append((answered - created).total_seconds() / 3600)
            if resolved:
                stats[2].append((resolved - created).total_seconds() / 3600)
    still_open = {center_id: (int(n), int(late or 0)) for center_id, n, late in db.session.execute(
        sa.select(Order.center_id, sa.func.count(Complaint.id),
                  sa.func.sum(sa.case((overdue_filter(now), 1), else_=0)))
        .outerjoin(Order, Order.id == Complaint.order_id)
        .where(Complaint.status.in_(ComplaintStatus.UNRESOLVED))
        .group_by(Order.center_id)).all()}
    centers = _names(Center, set(tables["by_center"]) | set(still_open))
    products = _names(Product, tables["by_product"])

    by_center = []
    for key in set(tables["by_center"]) | set(still_open):
        n, first, resolve = _stats(tables["by_center"].get(key, [0, [], []]))
        unresolved, late = still_open.get(key, (0, 0))
        by_center.append((centers.get(key), n, unresolved, late, first, resolve))
    by_center.sort(key=lambda r: (-r[2], -r[1], str(r[0])))
    by_product = sorted(((products.get(key), *_stats(stats))
                         for key, stats in tables["by_product"].items()),
                        key=lambda r: (-r[1], str(r[0])))
    by_category = [(key, *_stats(stats)) for key, stats in sorted(tables["by_category"].items())]
    return {"open": open_count, "breaches": breaches, "by_category": by_category,
            "by_center": by_center, "by_product": by_product}


def _stats(stats: list) -> tuple[int, float | None, float | None]:
    return stats[0], _mean(stats[1]), _mean(stats[2])


def _names(model, ids) -> dict[int, tuple[str, str | None]]:
    """``{id: (name_zh, name_en)}`` of centers or products."""
    ids = [i for i in ids if i is not None]
    if not ids:
        return {}
    return {i: (zh, en) for i, zh, en in db.session.execute(
        sa.select(model.id, model.name_zh, model.name_en).where(model.id.in_(ids))).all()}


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def member_growth(now=None, months: int = 12) -> list[tuple[str, int, int]]:
    """``(month, joined that month, members at its end)`` for the last ``months`` months."""
    now = now or utcnow()
    month = sa.func.substr(_local_day(Membership.joined_at), 1, 7)
    joined = dict(db.session.execute(sa.select(month, sa.func.count(Membership.id))
                                     .group_by(month)).all())
    today = shop_date(now)
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
