"""Figures of every customer at once, in set-based SQL: recency, frequency and spend,
lifetime value, average basket, favourite center and category, stage, RFM scores and
named segments.

The job never loops over customers in Python: each step is one UPDATE over the whole
table, so 100,000 customers and a million orders take seconds on PostgreSQL.
"""

from datetime import timedelta

import sqlalchemy as sa

from core.extensions import db
from storefront.models import Membership, Order, OrderLine, OrderStatus, Product

from .models import Customer, Stage

#: orders that count toward a customer's figures
COUNTED = (OrderStatus.PAID, OrderStatus.CONFIRMED, OrderStatus.FULFILLED)
YEAR = timedelta(days=365)
DORMANT_AFTER = timedelta(days=180)
LOST_AFTER = timedelta(days=365)


class Segment:
    CHAMPIONS = "champions"
    LOYAL = "loyal"
    NEW = "new"
    PROMISING = "promising"
    NEED_ATTENTION = "need_attention"
    AT_RISK = "at_risk"
    HIBERNATING = "hibernating"
    LOST = "lost"
    ALL = (CHAMPIONS, LOYAL, NEW, PROMISING, NEED_ATTENTION, AT_RISK, HIBERNATING, LOST)


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


def _quintile(column):
    """1-5 by percent rank, ascending; ties share a score (so do all one-order customers)."""
    rank = sa.func.percent_rank().over(order_by=column)
    return sa.case((rank < 0.2, 1), (rank < 0.4, 2), (rank < 0.6, 3), (rank < 0.8, 4), else_=5)


def _favourite(key, weight, base):
    """Per user, the ``key`` with the most ``weight`` (latest order breaks ties)."""
    grouped = base.add_columns(
        key.label("key"),
        sa.func.row_number().over(
            partition_by=Order.user_id,
            order_by=(sa.func.sum(weight).desc(), sa.func.max(Order.created_at).desc(), key),
        ).label("rn"),
    ).group_by(Order.user_id, key).subquery()
    return sa.select(grouped.c.user_id, grouped.c.key).where(grouped.c.rn == 1).subquery()


def recompute_figures(now) -> str:
    """Job: every customer's figures, stage, RFM scores and segment as of ``now``."""
    c = Customer.__table__
    counted = Order.status.in_(COUNTED)
    year_ago = now - YEAR
    in_year = Order.created_at >= year_ago
    per_user = (sa.select(
        Order.user_id,
        sa.func.count(Order.id).label("n"),
        sa.func.sum(Order.total_amount).label("lifetime"),
        sa.func.min(Order.created_at).label("first"),
        sa.func.max(Order.created_at).label("last"),
        sa.func.sum(sa.case((in_year, 1), else_=0)).label("freq"),
        sa.func.sum(sa.case((in_year, Order.total_amount), else_=0)).label("mon"),
    ).where(counted).group_by(Order.user_id).subquery())
    center = _favourite(Order.center_id, 1, sa.select(Order.user_id).where(counted))
    category = _favourite(
        Product.category_id, OrderLine.line_total_amount,
        sa.select(Order.user_id).select_from(Order).join(OrderLine, OrderLine.order_id == Order.id)
        .join(Product, Product.id == OrderLine.product_id).where(counted))

    # 1. Those who bought: one UPDATE ... FROM the aggregates.
    updated = db.session.execute(
        sa.update(c).where(c.c.user_id == per_user.c.user_id,
                           c.c.user_id == center.c.user_id,
                           c.c.user_id == category.c.user_id)
        .values(orders_count=per_user.c.n, lifetime_amount=per_user.c.lifetime,
                first_order_at=per_user.c.first, last_order_at=per_user.c.last,
                frequency=per_user.c.freq, monetary_amount=per_user.c.mon,
                avg_basket_amount=per_user.c.lifetime // per_user.c.n,
                favourite_center_id=center.c.key, favourite_category_id=category.c.key,
                figures_at=now)
        .execution_options(synchronize_session=False)).rowcount
    # 2. Those whose orders no longer count (all cancelled or refunded): back to zero.
    has_counted = sa.exists().where(Order.user_id == c.c.user_id, counted)
    db.session.execute(
        sa.update(c).where(c.c.orders_count > 0, ~has_counted)
        .values(orders_count=0, lifetime_amount=0, first_order_at=None, last_order_at=None,
                frequency=0, monetary_amount=0, avg_basket_amount=0, favourite_center_id=None,
                favourite_category_id=None, figures_at=now)
        .execution_options(synchronize_session=False))
    # 3. The stage, derived as ``customers.derive_stage`` does.
    is_member = sa.exists().where(Membership.user_id == c.c.user_id)
    stage = sa.case(
        (sa.and_(c.c.orders_count > 0, c.c.last_order_at < now - LOST_AFTER), Stage.LOST),
        (sa.and_(c.c.orders_count > 0, c.c.last_order_at < now - DORMANT_AFTER), Stage.DORMANT),
        (is_member, Stage.VIP),
        (c.c.orders_count > 1, Stage.REPEAT),
        (c.c.orders_count == 1, Stage.FIRST_TIME),
        else_=Stage.PROSPECT)
    db.session.execute(sa.update(c).where(c.c.stage != stage).values(stage=stage)
                       .execution_options(synchronize_session=False))
    # 4. RFM over the active base (an order in the last 12 months), then the segments.
    active = sa.and_(c.c.orders_count > 0, c.c.last_order_at >= year_ago)
    ranked = sa.select(c.c.id, _quintile(c.c.last_order_at).label("r"),
                       _quintile(c.c.frequency).label("f"),
                       _quintile(c.c.monetary_amount).label("m")).where(active).subquery()
    scored = db.session.execute(
        sa.update(c).where(c.c.id == ranked.c.id)
        .values(r_score=ranked.c.r, f_score=ranked.c.f, m_score=ranked.c.m,
                rfm_segment=_segment_case(ranked.c.r, ranked.c.f, ranked.c.m, c.c.orders_count))
        .execution_options(synchronize_session=False)).rowcount
    db.session.execute(
        sa.update(c).where(~active, sa.or_(c.c.r_score.is_not(None),
                                           c.c.rfm_segment.is_distinct_from(sa.case(
                                               (c.c.orders_count > 0, Segment.LOST),
                                               else_=None))))
        .values(r_score=None, f_score=None, m_score=None,
                rfm_segment=sa.case((c.c.orders_count > 0, Segment.LOST), else_=None))
        .execution_options(synchronize_session=False))
    db.session.expire_all()
    return f"{updated} customer(s) with orders, {scored} scored"


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
