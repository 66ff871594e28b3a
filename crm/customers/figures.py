"""Figures of every customer at once, in set-based SQL: recency, frequency and spend,
lifetime value, average basket, favourite center and category, stage, RFM scores and
named segments.

The job never loops over customers in Python: each step is one UPDATE over the whole
table, so 100,000 customers and a million orders take seconds on PostgreSQL.
"""

from datetime import timedelta
from enum import StrEnum, nonmember
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ClauseElement, Executable

from core.database import analyze, tune_for_bulk
from core.extensions import db
from core.models import UTCDateTime
from storefront.loyalty.models import Membership
from storefront.models import Order, OrderLine, OrderStatus, Product

from .models import Customer, Stage

#: orders that count toward a customer's figures
COUNTED = (OrderStatus.PAID, OrderStatus.CONFIRMED, OrderStatus.FULFILLED)
YEAR = timedelta(days=365)
DORMANT_AFTER = timedelta(days=180)
LOST_AFTER = timedelta(days=365)


class Segment(StrEnum):
    CHAMPIONS = "champions"
    LOYAL = "loyal"
    NEW = "new"
    PROMISING = "promising"
    NEED_ATTENTION = "need_attention"
    AT_RISK = "at_risk"
    HIBERNATING = "hibernating"
    LOST = "lost"
    ALL = nonmember((CHAMPIONS, LOYAL, NEW, PROMISING, NEED_ATTENTION, AT_RISK, HIBERNATING, LOST))


def segment_of(r: int | None, f: int | None, m: int | None, orders_count: int) -> str | None:
    """The named segment for RFM scores (the same rule as the SQL in ``_segment_case``)."""
    if r is None:
        return Segment.LOST if orders_count else None
    fm = f + m
    if r >= 4 and fm >= 8:
        return Segment.CHAMPIONS
    if r >= 3 and fm >= 6:
        return Segment.LOYAL
    if r == 5 and orders_count == 1:
        return Segment.NEW
    if r >= 4:
        return Segment.PROMISING
    if r == 3:
        return Segment.NEED_ATTENTION
    if fm >= 6:
        return Segment.AT_RISK
    return Segment.HIBERNATING


def _segment_case(r, f, m, orders_count):
    fm = f + m
    return sa.case(
        (sa.and_(r >= 4, fm >= 8), Segment.CHAMPIONS),
        (sa.and_(r >= 3, fm >= 6), Segment.LOYAL),
        (sa.and_(r == 5, orders_count == 1), Segment.NEW),
        (r >= 4, Segment.PROMISING),
        (r == 3, Segment.NEED_ATTENTION),
        (fm >= 6, Segment.AT_RISK),
        else_=Segment.HIBERNATING)


def _quintile(column, **over):
    """1-5 by percent rank, ascending; ties share a score (so do all one-order customers)."""
    rank = sa.func.percent_rank().over(order_by=column, **over)
    return sa.case((rank < 0.2, 1), (rank < 0.4, 2), (rank < 0.6, 3), (rank < 0.8, 4), else_=5)


#: the per-customer aggregates, materialized once per run (CREATE TEMP TABLE ... AS, which
#: PostgreSQL can compute with parallel workers; an UPDATE cannot)
_TMP = sa.Table(
    "crm_figures_tmp", sa.MetaData(),
    sa.Column("user_id", sa.Integer), sa.Column("n", sa.Integer),
    sa.Column("lifetime", sa.BigInteger), sa.Column("first", Customer.first_order_at.type),
    sa.Column("last", Customer.last_order_at.type), sa.Column("freq", sa.Integer),
    sa.Column("mon", sa.BigInteger), sa.Column("center", sa.Integer),
    sa.Column("category", sa.Integer), sa.Column("r", sa.Integer), sa.Column("f", sa.Integer),
    sa.Column("m", sa.Integer), sa.Column("active", sa.Boolean))


def _aggregates(now, *, until=None, with_category: bool = True) -> sa.Select:
    """One row per buyer: figures, favourite center and category, RFM scores. ``until``:
    only the orders placed before it; without ``with_category`` the favourite category is
    left out (None), which spares a pass over the order lines."""
    # an anonymous sale at a counter belongs to nobody until a member claims it
    counted = sa.and_(Order.status.in_(COUNTED), Order.user_id.is_not(None))
    if until is not None:
        counted = sa.and_(counted, Order.created_at < until)
    in_year = Order.created_at >= now - YEAR
    # By (user, center) in one scan of orders; user totals as window sums over that.
    by_center = (sa.select(
        Order.user_id, Order.center_id,
        sa.func.count(Order.id).label("n"), sa.func.sum(Order.total_amount).label("lifetime"),
        sa.func.min(Order.created_at).label("first"), sa.func.max(Order.created_at).label("last"),
        sa.func.sum(sa.case((in_year, 1), else_=0)).label("freq"),
        sa.func.sum(sa.case((in_year, Order.total_amount), else_=0)).label("mon"),
    ).where(counted).group_by(Order.user_id, Order.center_id).subquery())
    user = sa.over
    part = {"partition_by": by_center.c.user_id}
    per_user = sa.select(
        by_center.c.user_id,
        sa.cast(user(sa.func.sum(by_center.c.n), **part), sa.Integer).label("n"),
        sa.cast(user(sa.func.sum(by_center.c.lifetime), **part), sa.BigInteger).label("lifetime"),
        user(sa.func.min(by_center.c.first), **part).label("first"),
        user(sa.func.max(by_center.c.last), **part).label("last"),
        sa.cast(user(sa.func.sum(by_center.c.freq), **part), sa.Integer).label("freq"),
        sa.cast(user(sa.func.sum(by_center.c.mon), **part), sa.BigInteger).label("mon"),
        by_center.c.center_id.label("center"),
        sa.func.row_number().over(order_by=(by_center.c.n.desc(), by_center.c.last.desc(),
                                            by_center.c.center_id), **part).label("rn"),
    ).subquery()
    by_category = (sa.select(
        Order.user_id, Product.category_id,
        sa.func.row_number().over(
            partition_by=Order.user_id,
            order_by=(sa.func.sum(OrderLine.line_total_amount).desc(),
                      sa.func.max(Order.created_at).desc(), Product.category_id)).label("rn"),
    ).select_from(Order).join(OrderLine, OrderLine.order_id == Order.id)
        .join(Product, Product.id == OrderLine.product_id).where(counted)
        .group_by(Order.user_id, Product.category_id).subquery())
    active = per_user.c.last >= now - YEAR
    ranked = {"partition_by": active}
    select = (sa.select(
        per_user.c.user_id, per_user.c.n, per_user.c.lifetime, per_user.c.first,
        per_user.c.last, per_user.c.freq, per_user.c.mon, per_user.c.center,
        (by_category.c.category_id if with_category
         else sa.cast(sa.null(), sa.Integer)).label("category"),
        _quintile(per_user.c.last, **ranked).label("r"),
        _quintile(per_user.c.freq, **ranked).label("f"),
        _quintile(per_user.c.mon, **ranked).label("m"),
        active.label("active"))
        .where(per_user.c.rn == 1))
    if not with_category:
        return select.select_from(per_user)
    return select.join_from(per_user, by_category,
                            sa.and_(by_category.c.user_id == per_user.c.user_id,
                                    by_category.c.rn == 1))


def segments_as_of(end) -> sa.Subquery:
    """``(user_id, segment, center)``: each buyer's named RFM segment and favourite center
    as ``recompute_figures`` would have found them at ``end``, from the orders placed
    before it (their status as it is now). One query, set-based."""
    t = _aggregates(end, until=end, with_category=False).subquery("as_of")
    segment = sa.case((t.c.active, _segment_case(t.c.r, t.c.f, t.c.m, t.c.n)),
                      else_=Segment.LOST)
    return sa.select(t.c.user_id, segment.label("segment"), t.c.center.label("center")
                     ).subquery("segments_as_of")


class CreateTempTableAs(Executable, ClauseElement):
    """``CREATE TEMPORARY TABLE name AS <select>`` (PostgreSQL and SQLite alike)."""

    inherit_cache = False

    def __init__(self, name: str, select: sa.Select):
        self.name, self.select = name, select


@compiles(CreateTempTableAs)
def _create_temp_table_as(element, compiler, **kw):
    return f"CREATE TEMPORARY TABLE {element.name} AS {compiler.process(element.select, **kw)}"


def _stage(orders_count, last_order_at, is_member, now):
    """The stage in SQL, as ``services.derive_stage`` decides it."""
    return _stage_by(orders_count, last_order_at, is_member, now - LOST_AFTER,
                     now - DORMANT_AFTER)


def _stage_by(orders_count, last_order_at, is_member, lost_before, dormant_before):
    return sa.case(
        (sa.and_(orders_count > 0, last_order_at < lost_before), Stage.LOST),
        (sa.and_(orders_count > 0, last_order_at < dormant_before), Stage.DORMANT),
        (is_member, Stage.VIP),
        (orders_count > 1, Stage.REPEAT),
        (orders_count == 1, Stage.FIRST_TIME),
        else_=Stage.PROSPECT)


def refresh_buyers(user_ids: list[int], now) -> int:
    """The figures of these buyers after their orders changed, in one UPDATE from their
    orders: count, spend, recency, favourite center and category, stage, and the open
    membership's card and marketing consent; how many rows.
    The RFM scores and segment rank a buyer among everyone: ``recompute_figures`` keeps
    those. A buyer with no order counted any more keeps their figures until it runs.
    (The statement is built once and run with new values: it runs after every checkout.)"""
    if not user_ids:
        return 0
    return db.session.execute(_buyers_update(), {
        "users": list(user_ids), "year_ago": now - YEAR, "lost_before": now - LOST_AFTER,
        "dormant_before": now - DORMANT_AFTER}).rowcount


@lru_cache(maxsize=1)
def _buyers_update() -> sa.Update:
    c = Customer.__table__
    when = {name: sa.bindparam(name, type_=UTCDateTime())
            for name in ("year_ago", "lost_before", "dormant_before")}
    counted = sa.and_(Order.status.in_(COUNTED),
                      Order.user_id.in_(sa.bindparam("users", expanding=True)))
    in_year = Order.created_at >= when["year_ago"]
    t = (sa.select(
        Order.user_id.label("user_id"), sa.func.count(Order.id).label("n"),
        sa.func.sum(Order.total_amount).label("lifetime"),
        sa.func.min(Order.created_at).label("first"), sa.func.max(Order.created_at).label("last"),
        sa.func.sum(sa.case((in_year, 1), else_=0)).label("freq"),
        sa.func.sum(sa.case((in_year, Order.total_amount), else_=0)).label("mon"),
    ).where(counted).group_by(Order.user_id).subquery("buyers"))
    own = sa.and_(Order.user_id == c.c.user_id, Order.status.in_(COUNTED))
    center = (sa.select(Order.center_id).where(own).group_by(Order.center_id)
              .order_by(sa.func.count().desc(), sa.func.max(Order.created_at).desc(),
                        Order.center_id).limit(1).scalar_subquery())
    category = (sa.select(Product.category_id).select_from(Order)
                .join(OrderLine, OrderLine.order_id == Order.id)
                .join(Product, Product.id == OrderLine.product_id).where(own)
                .group_by(Product.category_id)
                .order_by(sa.func.sum(OrderLine.line_total_amount).desc(),
                          sa.func.max(Order.created_at).desc(), Product.category_id)
                .limit(1).scalar_subquery())
    open_membership = sa.and_(Membership.user_id == c.c.user_id, Membership.closed_at.is_(None))
    is_member = sa.exists().where(open_membership)

    def of_membership(column):  # the open membership's, else what the profile has
        mine = (sa.select(column).where(open_membership).order_by(Membership.id.desc())
                .limit(1).scalar_subquery())
        return sa.func.coalesce(mine, c.c[column.key])

    n = sa.cast(t.c.n, sa.Integer)
    return (sa.update(c).where(c.c.user_id == t.c.user_id).values(
        orders_count=n, lifetime_amount=t.c.lifetime, first_order_at=t.c.first,
        last_order_at=t.c.last, frequency=t.c.freq, monetary_amount=t.c.mon,
        avg_basket_amount=t.c.lifetime // n, favourite_center_id=center,
        favourite_category_id=category, card_number=of_membership(Membership.card_number),
        marketing_consent=of_membership(Membership.marketing_consent),
        stage=_stage_by(n, t.c.last, is_member, when["lost_before"], when["dormant_before"]))
        .execution_options(synchronize_session=False))


def recompute_figures(now) -> str:
    """Job: every customer's figures, stage, RFM scores and segment as of ``now``.

    The aggregates go to a temporary table; then one UPDATE writes each customer whose
    figures changed (and only those), so a daily run rewrites few rows.
    """
    c = Customer.__table__
    t = _TMP
    connection = db.session.connection()
    tune_for_bulk(connection)
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {t.name}")
    connection.execute(CreateTempTableAs(t.name, _aggregates(now)))
    connection.exec_driver_sql(f"CREATE UNIQUE INDEX {t.name}_user ON {t.name} (user_id)")
    analyze(connection, t.name)
    is_member = sa.exists().where(Membership.user_id == c.c.user_id)
    r = sa.case((t.c.active, t.c.r), else_=None)
    f = sa.case((t.c.active, t.c.f), else_=None)
    m = sa.case((t.c.active, t.c.m), else_=None)
    new = {
        "orders_count": t.c.n, "lifetime_amount": t.c.lifetime, "first_order_at": t.c.first,
        "last_order_at": t.c.last, "frequency": t.c.freq, "monetary_amount": t.c.mon,
        "avg_basket_amount": t.c.lifetime // t.c.n, "favourite_center_id": t.c.center,
        "favourite_category_id": t.c.category, "r_score": r, "f_score": f, "m_score": m,
        "rfm_segment": sa.case((t.c.active, _segment_case(t.c.r, t.c.f, t.c.m, t.c.n)),
                               else_=Segment.LOST),
        "stage": _stage(t.c.n, t.c.last, is_member, now),
    }
    changed = sa.or_(*[c.c[name].is_distinct_from(value) for name, value in new.items()])
    updated = db.session.execute(
        sa.update(c).where(c.c.user_id == t.c.user_id, changed)
        .values(**new, figures_at=now).execution_options(synchronize_session=False)).rowcount
    buyers = db.session.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
    # Those whose orders no longer count (all cancelled or refunded): back to zero. Every
    # buyer is in the temporary table, so it answers without a second pass over the orders.
    has_counted = sa.exists().where(t.c.user_id == c.c.user_id)
    updated += db.session.execute(
        sa.update(c).where(c.c.orders_count > 0, ~has_counted)
        .values(orders_count=0, lifetime_amount=0, first_order_at=None, last_order_at=None,
                frequency=0, monetary_amount=0, avg_basket_amount=0, favourite_center_id=None,
                favourite_category_id=None, r_score=None, f_score=None, m_score=None,
                rfm_segment=None, figures_at=now,
                stage=_stage(sa.literal(0), sa.null(), is_member, now))
        .execution_options(synchronize_session=False)).rowcount
    connection.exec_driver_sql(f"DROP TABLE {t.name}")
    # Everyone else (prospects, members without orders): the stage only.
    stage = _stage(c.c.orders_count, c.c.last_order_at, is_member, now)
    updated += db.session.execute(
        sa.update(c).where(c.c.stage != stage).values(stage=stage)
        .execution_options(synchronize_session=False)).rowcount
    db.session.expire_all()
    return f"{buyers} customer(s) with orders, {updated} row(s) changed"


def rfm_grid() -> dict:
    """Counts by (R, F) score and by named segment, for the dashboard."""
    c = Customer.__table__
    cells = {(r, f): n for r, f, n in db.session.execute(
        sa.select(c.c.r_score, c.c.f_score, sa.func.count()).where(c.c.r_score.is_not(None))
        .group_by(c.c.r_score, c.c.f_score)).all()}
    segments = dict(db.session.execute(
        sa.select(c.c.rfm_segment, sa.func.count()).where(c.c.rfm_segment.is_not(None))
        .group_by(c.c.rfm_segment)).all())
    return {"cells": cells, "segments": {s: segments.get(s, 0) for s in Segment.ALL}}
