"""Payment tables: payments (online and collected at the desk), the timeline, Stripe's
events (each stored once), refunds and the lines they give back."""

from enum import StrEnum, nonmember

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from core.clock import utcnow
from core.extensions import db
from core.models import UTCDateTime, one_of


class PaymentStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"
    ALL = nonmember((PENDING, PROCESSING, SUCCEEDED, FAILED, CANCELED))


class Collection(StrEnum):
    """How money reached the shop: online through Stripe, or at hand-over."""

    STRIPE = "stripe"
    CASH = "cash"
    CARD_TERMINAL = "card_terminal"
    WECHAT_SCAN = "wechat_scan"
    ALIPAY_SCAN = "alipay_scan"
    OFFLINE = nonmember((CASH, CARD_TERMINAL, WECHAT_SCAN, ALIPAY_SCAN))
    ALL = nonmember((STRIPE, CASH, CARD_TERMINAL, WECHAT_SCAN, ALIPAY_SCAN))


class Payment(db.Model):
    """One attempt to take an order's money: a Stripe PaymentIntent, or what the desk took."""

    __tablename__ = "payments"
    __table_args__ = (
        sa.CheckConstraint("amount >= 0", name="amount_nonnegative"),
        one_of("status", PaymentStatus, name="status_known"),
        one_of("method", Collection, name="method_known"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    order_id = sa.Column(sa.Integer, sa.ForeignKey("orders.id"), nullable=False, index=True)
    method = sa.Column(sa.String(20), nullable=False)
    status = sa.Column(sa.String(12), nullable=False, default=PaymentStatus.PENDING)
    #: minor units (fen)
    amount = sa.Column(sa.Integer, nullable=False)
    currency = sa.Column(sa.String(3), nullable=False, default="CNY")
    #: Stripe's PaymentIntent id (pi_...); None for money taken at the desk
    stripe_payment_intent_id = sa.Column(sa.String(255), unique=True)
    #: card, alipay or wechat_pay, as Stripe reported it
    stripe_method_type = sa.Column(sa.String(30))
    #: why the last attempt failed, in Stripe's words
    failure_message = sa.Column(sa.String(500))
    #: cash the customer handed over at the counter (the change is this less ``amount``)
    tendered_amount = sa.Column(sa.Integer)
    #: the clerk who took an offline payment
    collected_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    succeeded_at = sa.Column(UTCDateTime)


class PaymentEvent(db.Model):
    """A line of an order's payment timeline: created, intent, succeeded, failed, refunded..."""

    __tablename__ = "payment_events"
    __table_args__ = (sa.Index("ix_payment_events_order_at", "order_id", "at"),)

    id = sa.Column(sa.Integer, primary_key=True)
    order_id = sa.Column(sa.Integer, sa.ForeignKey("orders.id"), nullable=False)
    #: created, intent, processing, succeeded, failed, canceled, expired, revived, refund,
    #: refund_failed, collected, disputed
    kind = sa.Column(sa.String(20), nullable=False)
    amount = sa.Column(sa.Integer)
    #: a short detail (a failure reason, a refund reason, a method)
    detail = sa.Column(sa.String(500))
    at = sa.Column(UTCDateTime, nullable=False, default=utcnow)


class StripeEvent(db.Model):
    """Every verified webhook event, stored by Stripe's id so it is applied once."""

    __tablename__ = "stripe_events"

    id = sa.Column(sa.Integer, primary_key=True)
    event_id = sa.Column(sa.String(255), nullable=False, unique=True)
    type = sa.Column(sa.String(100), nullable=False)
    payment_intent_id = sa.Column(sa.String(255), index=True)
    #: what applying it did: applied, ignored, unknown_intent
    outcome = sa.Column(sa.String(40))
    payload = sa.Column(sa.JSON, nullable=False)
    received_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)


class RefundStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ALL = nonmember((PENDING, SUCCEEDED, FAILED))


class Refund(db.Model):
    """Money given back. Stripe refunds are written ``pending`` before Stripe is called."""

    __tablename__ = "refunds"
    __table_args__ = (
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        one_of("status", RefundStatus, name="status_known"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    order_id = sa.Column(sa.Integer, sa.ForeignKey("orders.id"), nullable=False, index=True)
    payment_id = sa.Column(sa.Integer, sa.ForeignKey("payments.id"), nullable=False)
    amount = sa.Column(sa.Integer, nullable=False)
    currency = sa.Column(sa.String(3), nullable=False, default="CNY")
    #: the way the money goes back, that of its payment (``Collection``): stripe (through
    #: Stripe), or at the desk: cash, card_terminal, wechat_scan, alipay_scan
    method = sa.Column(sa.String(20), nullable=False)
    status = sa.Column(sa.String(10), nullable=False, default=RefundStatus.PENDING)
    #: why: the staff's words, or a code such as late_payment, cancelled, stripe
    reason = sa.Column(sa.String(500), nullable=False)
    #: the whole remaining amount, rather than some lines or part of it
    full = sa.Column(sa.Boolean, nullable=False, default=False)
    stripe_refund_id = sa.Column(sa.String(255), unique=True)
    failure_message = sa.Column(sa.String(500))
    actor_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    completed_at = sa.Column(UTCDateTime)

    lines = relationship("RefundLine", back_populates="refund", cascade="all, delete-orphan",
                         order_by="RefundLine.id")
    payment = relationship(Payment)


class RefundLine(db.Model):
    """Which order line a partial refund gives back, and how many units."""

    __tablename__ = "refund_lines"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("amount >= 0", name="amount_nonnegative"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    refund_id = sa.Column(sa.Integer, sa.ForeignKey("refunds.id", ondelete="CASCADE"),
                          nullable=False, index=True)
    order_line_id = sa.Column(sa.Integer, sa.ForeignKey("order_lines.id"), nullable=False)
    quantity = sa.Column(sa.Integer, nullable=False)
    amount = sa.Column(sa.Integer, nullable=False)

    refund = relationship(Refund, back_populates="lines")


class RefundRequest(db.Model):
    """Someone who may not refund asked for ``amount`` of an order back (e.g. a complaint's
    remedy chosen by an agent); it stays open on the order's page until a refund is made."""

    __tablename__ = "refund_requests"
    __table_args__ = (sa.CheckConstraint("amount > 0", name="amount_positive"),)

    id = sa.Column(sa.Integer, primary_key=True)
    order_id = sa.Column(sa.Integer, sa.ForeignKey("orders.id"), nullable=False, index=True)
    amount = sa.Column(sa.Integer, nullable=False)
    currency = sa.Column(sa.String(3), nullable=False, default="CNY")
    #: where it came from, "<kind>:<id>" (e.g. "complaint:12");
    #: see ``refund_requests.describe_source``
    source = sa.Column(sa.String(40), nullable=False)
    reason = sa.Column(sa.String(500), nullable=False)
    requested_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    #: closed by a refund of the order (None: still open)
    closed_at = sa.Column(UTCDateTime, index=True)
    refund_id = sa.Column(sa.Integer, sa.ForeignKey("refunds.id"))
