"""Coupons: an amount off one order, owned by one shopper, used once."""

from enum import StrEnum, nonmember

import sqlalchemy as sa

from core.clock import utcnow
from core.extensions import db
from core.models import UTCDateTime, one_of


class CouponState(StrEnum):
    ISSUED = "issued"
    USED = "used"
    EXPIRED = "expired"
    VOID = "void"
    ALL = nonmember((ISSUED, USED, EXPIRED, VOID))


class CouponSource(StrEnum):
    COMPLAINT = "complaint"
    BIRTHDAY = "birthday"
    MANUAL = "manual"
    ALL = nonmember((COMPLAINT, BIRTHDAY, MANUAL))


class Coupon(db.Model):
    """An amount off the goods of one order of at least ``minimum_order_amount``.

    ``state`` moves issued -> used with one conditional UPDATE (see ``coupons.redeem``), so
    two checkouts cannot both use it; the order names it (``Order.coupon_id``), and a
    cancelled order puts it back to issued.
    """

    __tablename__ = "coupons"
    __table_args__ = (
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.CheckConstraint("minimum_order_amount >= 0", name="minimum_nonnegative"),
        one_of("state", CouponState, name="state_known"),
        one_of("source", CouponSource, name="source_known"),
        sa.Index("ix_coupons_user_state", "user_id", "state"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    #: what the shopper types: HY-XXXX-XXXX (no 0/O or 1/I)
    code = sa.Column(sa.String(16), nullable=False, unique=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=False)
    #: minor units (fen) off the order's goods
    amount = sa.Column(sa.Integer, nullable=False)
    currency = sa.Column(sa.String(3), nullable=False, default="CNY")
    #: the goods' subtotal an order needs for the coupon to apply (fen)
    minimum_order_amount = sa.Column(sa.Integer, nullable=False, default=0)
    valid_from = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    valid_until = sa.Column(UTCDateTime, nullable=False)
    source = sa.Column(sa.String(10), nullable=False)
    #: what the source names, e.g. the complaint's id
    source_ref = sa.Column(sa.String(40))
    state = sa.Column(sa.String(8), nullable=False, default=CouponState.ISSUED)
    used_at = sa.Column(UTCDateTime)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    #: why it was given, for a coupon given by hand
    note = sa.Column(sa.String(200))
    #: who took an unused coupon back, and when (state ``void``)
    voided_at = sa.Column(UTCDateTime)
    voided_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
