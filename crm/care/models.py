"""Complaints with their steps, and the recalls of product lots."""

from enum import StrEnum, nonmember

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from core.clock import utcnow
from core.extensions import db
from core.models import UTCDateTime, one_of, random_token
from crm.customers.models import Customer
from fulfillment.models import Lot


class Category(StrEnum):
    """What a complaint is about."""

    QUALITY = "quality"
    DELIVERY = "delivery"
    SERVICE = "service"
    PRICE = "price"
    OTHER = "other"


class Severity(StrEnum):
    """How bad it is: sets the complaint's deadlines (``COMPLAINT_SLA_HOURS``)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class ComplaintChannel(StrEnum):
    """How the complaint reached us."""

    HOTLINE = "hotline"
    STORE = "store"
    ONLINE = "online"
    FOLLOWUP = "followup"


class Remedy(StrEnum):
    """How a complaint is put right."""

    REFUND = "refund"
    REPLACEMENT = "replacement"
    COUPON = "coupon"
    APOLOGY = "apology"


class ComplaintStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    INVESTIGATING = "investigating"
    RESOLVED = "resolved"
    CLOSED = "closed"
    ALL = nonmember((OPEN, ACKNOWLEDGED, INVESTIGATING, RESOLVED, CLOSED))
    #: not yet put right
    UNRESOLVED = nonmember((OPEN, ACKNOWLEDGED, INVESTIGATING))


class Complaint(db.Model):
    """A complaint: logged by the customer center or filed by the customer, worked through
    open -> acknowledged -> investigating -> resolved -> closed (with reopen)."""

    __tablename__ = "complaints"
    __table_args__ = (
        one_of("severity", Severity, name="severity_known"),
        one_of("status", ComplaintStatus, name="status_known"),
        sa.CheckConstraint("remedy_amount IS NULL OR remedy_amount >= 0",
                           name="remedy_amount_nonnegative"),
        sa.Index("ix_complaints_status_due", "status", "due_at"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    #: the id the customer sees
    public_id = sa.Column(sa.String(24), unique=True, default=random_token)
    customer_id = sa.Column(sa.Integer, sa.ForeignKey("customers.id"), nullable=False, index=True)
    order_id = sa.Column(sa.Integer, sa.ForeignKey("orders.id"), index=True)
    product_id = sa.Column(sa.Integer, sa.ForeignKey("products.id"), index=True)
    #: hotline, store, online, followup
    channel = sa.Column(sa.String(10), nullable=False, default="hotline", server_default="hotline")
    #: quality, delivery, service, price, other
    category = sa.Column(sa.String(30), nullable=False)
    description = sa.Column(sa.Text, nullable=False)
    severity = sa.Column(sa.String(10), nullable=False, default="medium")
    status = sa.Column(sa.String(14), nullable=False, default=ComplaintStatus.OPEN)
    owner_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    #: the SLA: first response by, resolution by (``due_at``)
    first_response_due_at = sa.Column(UTCDateTime)
    due_at = sa.Column(UTCDateTime)
    first_response_at = sa.Column(UTCDateTime)
    resolved_at = sa.Column(UTCDateTime)
    closed_at = sa.Column(UTCDateTime)
    #: when the admins were told it broke its SLA
    escalated_at = sa.Column(UTCDateTime)
    #: refund, replacement, coupon, apology
    remedy = sa.Column(sa.String(12))
    remedy_amount = sa.Column(sa.Integer)
    remedy_note = sa.Column(sa.String(500))
    #: the coupon a "coupon" remedy issued, the order a "replacement" remedy placed
    coupon_id = sa.Column(sa.Integer, sa.ForeignKey("coupons.id"))
    replacement_order_id = sa.Column(sa.Integer, sa.ForeignKey("orders.id"))
    root_cause = sa.Column(sa.Text)
    prevention = sa.Column(sa.Text)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))

    customer = relationship(Customer)
    coupon = relationship("Coupon")
    replacement_order = relationship("Order", foreign_keys=[replacement_order_id])
    events = relationship("ComplaintEvent", order_by="ComplaintEvent.id",
                          cascade="all, delete-orphan")


class ComplaintEvent(db.Model):
    """One step of a complaint: who moved it from which state to which, when, and why."""

    __tablename__ = "complaint_events"

    id = sa.Column(sa.Integer, primary_key=True)
    complaint_id = sa.Column(sa.Integer, sa.ForeignKey("complaints.id"), nullable=False,
                             index=True)
    from_status = sa.Column(sa.String(14))
    to_status = sa.Column(sa.String(14), nullable=False)
    actor_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    note = sa.Column(sa.Text)
    at = sa.Column(UTCDateTime, nullable=False, default=utcnow)


class RecallCampaign(db.Model):
    """A recall of one lot: its follow-ups (``FollowUp.recall_id``) and what to tell people."""

    __tablename__ = "recall_campaigns"

    id = sa.Column(sa.Integer, primary_key=True)
    lot_id = sa.Column(sa.Integer, sa.ForeignKey("lots.id"), nullable=False, unique=True)
    product_id = sa.Column(sa.Integer, sa.ForeignKey("products.id"), nullable=False)
    batch = sa.Column(sa.String(40), nullable=False)
    #: what the customer should do; the default advice when empty
    advice = sa.Column(sa.String(500))
    opened_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    opened_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    lot = relationship(Lot)
