"""Customers and prospects, follow-up visits, complaints, and who looked at whom."""

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from core.clock import utcnow
from core.extensions import db
from core.models import UTCDateTime, random_token


class Stage:
    PROSPECT = "prospect"
    FIRST_TIME = "first_time"
    REPEAT = "repeat"
    VIP = "vip"
    DORMANT = "dormant"
    LOST = "lost"
    ALL = (PROSPECT, FIRST_TIME, REPEAT, VIP, DORMANT, LOST)


class Customer(db.Model):
    """One profile per person: a shopper with an account, or a prospect without one.

    The figures are kept current from order signals; ``stage`` is derived from them.
    """

    __tablename__ = "customers"
    __table_args__ = (
        sa.CheckConstraint("frequency >= 0", name="frequency_nonnegative"),
        sa.CheckConstraint("monetary_amount >= 0", name="monetary_nonnegative"),
        sa.CheckConstraint("r_score IS NULL OR r_score BETWEEN 1 AND 5", name="r_score_range"),
        sa.CheckConstraint("f_score IS NULL OR f_score BETWEEN 1 AND 5", name="f_score_range"),
        sa.CheckConstraint("m_score IS NULL OR m_score BETWEEN 1 AND 5", name="m_score_range"),
        sa.Index("ix_customers_phone", "phone"),
        sa.Index("ix_customers_name", "name"),
        # Room on each page for updated rows, so the figure job's rewrite of every customer
        # is a HOT update (no index touched: none of the figure columns is indexed).
        {"postgresql_with": {"fillfactor": 70}},
    )

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), unique=True)
    name = sa.Column(sa.String(100), nullable=False)
    phone = sa.Column(sa.String(32))
    email = sa.Column(sa.String(254))
    gender = sa.Column(sa.String(8))
    birthday = sa.Column(sa.Date)
    city = sa.Column(sa.String(40))
    district = sa.Column(sa.String(40))
    address = sa.Column(sa.String(200))
    occupation = sa.Column(sa.String(60))
    interests = sa.Column(sa.String(300))
    #: how we met: web, store, event, hotline, referral, import, agent
    source = sa.Column(sa.String(20), nullable=False, default="web")
    #: phone, sms, email, wechat
    preferred_channel = sa.Column(sa.String(8))
    #: morning, afternoon, evening, weekend
    preferred_time = sa.Column(sa.String(10))
    stage = sa.Column(sa.String(12), nullable=False, default=Stage.PROSPECT)
    card_number = sa.Column(sa.String(20), index=True)
    marketing_consent = sa.Column(sa.Boolean, nullable=False, default=False)
    #: notices about their own orders (ready for pickup, complaint updates); opt-out
    service_consent = sa.Column(sa.Boolean, nullable=False, default=True,
                                server_default=sa.true())
    first_order_at = sa.Column(UTCDateTime)
    last_order_at = sa.Column(UTCDateTime)
    #: orders in the last 12 months
    frequency = sa.Column(sa.Integer, nullable=False, default=0)
    #: spend in the last 12 months, minor units
    monetary_amount = sa.Column(sa.Integer, nullable=False, default=0)
    #: spend since the first order, minor units
    lifetime_amount = sa.Column(sa.Integer, nullable=False, default=0)
    orders_count = sa.Column(sa.Integer, nullable=False, default=0)
    #: lifetime spend / counted orders, minor units
    avg_basket_amount = sa.Column(sa.Integer, nullable=False, default=0, server_default="0")
    favourite_center_id = sa.Column(sa.Integer, sa.ForeignKey("centers.id"))
    favourite_category_id = sa.Column(sa.Integer, sa.ForeignKey("categories.id"))
    #: RFM scores 1-5 by quintile over customers with an order in the last 12 months
    r_score = sa.Column(sa.SmallInteger)
    f_score = sa.Column(sa.SmallInteger)
    m_score = sa.Column(sa.SmallInteger)
    #: champions, loyal, promising, new, at_risk, hibernating, lost, ... (crm.segments);
    #: not indexed: a handful of values, and an index would make every figure update touch
    #: every index of the table
    rfm_segment = sa.Column(sa.String(20))
    #: when the bulk job last recomputed the figures
    figures_at = sa.Column(UTCDateTime)
    #: the agent who entered a prospect by hand
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    notes = sa.Column(sa.Text)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    children = relationship("Child", order_by="Child.id", cascade="all, delete-orphan")
    tags = relationship("CustomerTag", order_by="CustomerTag.tag", cascade="all, delete-orphan")


class Child(db.Model):
    """A customer's child, born or expected: baby stage, birthday cards, formula stages."""

    __tablename__ = "customer_children"
    __table_args__ = (
        sa.CheckConstraint("birth_date IS NOT NULL OR due_date IS NOT NULL",
                           name="born_or_expected"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    customer_id = sa.Column(sa.Integer, sa.ForeignKey("customers.id"), nullable=False, index=True)
    name = sa.Column(sa.String(60))
    gender = sa.Column(sa.String(8))
    birth_date = sa.Column(sa.Date)
    #: the expected date, while the baby is on the way
    due_date = sa.Column(sa.Date)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)


class CustomerTag(db.Model):
    """A tag on a customer: set by an agent, or derived by a tag rule."""

    __tablename__ = "customer_tags"
    __table_args__ = (
        sa.UniqueConstraint("customer_id", "tag", name="one_tag_per_customer"),
        sa.CheckConstraint("source IN ('manual', 'rule')", name="source_known"),
        sa.Index("ix_customer_tags_tag", "tag"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    customer_id = sa.Column(sa.Integer, sa.ForeignKey("customers.id"), nullable=False)
    tag = sa.Column(sa.String(40), nullable=False)
    source = sa.Column(sa.String(8), nullable=False, default="manual")
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)


class FollowUpStatus:
    OPEN = "open"
    DONE = "done"
    UNREACHED = "unreached"
    CANCELLED = "cancelled"
    ALL = (OPEN, DONE, UNREACHED, CANCELLED)


class FollowUpKind:
    SATISFACTION = "satisfaction"
    REORDER = "reorder"
    WELCOME = "welcome"
    BIRTHDAY = "birthday"
    WINBACK = "winback"
    COMPLAINT = "complaint"
    BABY_BIRTHDAY = "baby_birthday"
    #: an apology call after an order was refunded because its payment came too late
    APOLOGY = "apology"
    #: a pickup nobody collected: ask why
    NO_SHOW = "no_show"
    #: the next action an agent planned on a call
    NEXT_ACTION = "next_action"
    #: a product lot is recalled (crm.recalls)
    RECALL = "recall"
    #: a call of a campaign over a saved segment (crm.campaigns)
    CAMPAIGN = "campaign"
    ALL = (SATISFACTION, REORDER, WELCOME, BIRTHDAY, WINBACK, COMPLAINT, BABY_BIRTHDAY, APOLOGY,
           NO_SHOW, NEXT_ACTION, RECALL, CAMPAIGN)


class FollowUp(db.Model):
    """A planned contact with a customer (回访). ``reason`` makes each one happen once."""

    __tablename__ = "followups"
    __table_args__ = (
        sa.CheckConstraint("satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5",
                           name="satisfaction_range"),
        sa.Index("ix_followups_status_due", "status", "due_at"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    customer_id = sa.Column(sa.Integer, sa.ForeignKey("customers.id"), nullable=False, index=True)
    order_id = sa.Column(sa.Integer, sa.ForeignKey("orders.id"), index=True)
    kind = sa.Column(sa.String(16), nullable=False)
    #: e.g. "satisfaction:order:42"; unique, so a rule never schedules the same visit twice
    reason = sa.Column(sa.String(80), nullable=False, unique=True)
    channel = sa.Column(sa.String(10), nullable=False, default="phone")
    due_at = sa.Column(UTCDateTime, nullable=False)
    status = sa.Column(sa.String(10), nullable=False, default=FollowUpStatus.OPEN)
    attempts = sa.Column(sa.Integer, nullable=False, default=0)
    outcome = sa.Column(sa.String(20))
    notes = sa.Column(sa.Text)
    satisfaction = sa.Column(sa.Integer)
    #: what the agent agreed to do next, and when (a new follow-up is planned for it)
    next_action = sa.Column(sa.String(200))
    next_action_at = sa.Column(UTCDateTime)
    #: e.g. the welcome pack's contents, chosen from the customer's needs tags
    task = sa.Column(sa.Text)
    #: the recall campaign this call belongs to
    recall_id = sa.Column(sa.Integer, sa.ForeignKey("recall_campaigns.id"), index=True)
    #: the campaign this call belongs to (crm.campaigns)
    campaign_id = sa.Column(sa.Integer, sa.ForeignKey("campaigns.id"), index=True)
    completed_at = sa.Column(UTCDateTime)
    completed_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    customer = relationship(Customer)


class ComplaintStatus:
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    INVESTIGATING = "investigating"
    RESOLVED = "resolved"
    CLOSED = "closed"
    ALL = (OPEN, ACKNOWLEDGED, INVESTIGATING, RESOLVED, CLOSED)
    #: not yet put right
    UNRESOLVED = (OPEN, ACKNOWLEDGED, INVESTIGATING)


class Complaint(db.Model):
    """A complaint: logged by the customer center or filed by the customer, worked through
    open -> acknowledged -> investigating -> resolved -> closed (with reopen)."""

    __tablename__ = "complaints"
    __table_args__ = (
        sa.CheckConstraint("severity IN ('low', 'medium', 'high')", name="severity_known"),
        sa.CheckConstraint(
            "status IN ('open', 'acknowledged', 'investigating', 'resolved', 'closed')",
            name="status_known"),
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


class CustomerAccess(db.Model):
    """Every opening of a customer 360 by staff, for the admin to read."""

    __tablename__ = "customer_access_log"

    id = sa.Column(sa.Integer, primary_key=True)
    customer_id = sa.Column(sa.Integer, sa.ForeignKey("customers.id"), nullable=False, index=True)
    staff_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=False)
    channel = sa.Column(sa.String(8), nullable=False, default="web")
    at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)


class OutboxStatus:
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"
    ALL = (PENDING, SENDING, SENT, SKIPPED, FAILED)


class OutboxMessage(db.Model):
    """A message to a customer, written inside the transaction that called for it and
    delivered by the ``deliver_outbox`` job after the commit."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        sa.CheckConstraint("channel IN ('email', 'sms')", name="channel_known"),
        sa.CheckConstraint("purpose IN ('service', 'marketing')", name="purpose_known"),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'skipped', 'failed')", name="status_known"),
        sa.CheckConstraint("attempts >= 0", name="attempts_nonnegative"),
        sa.Index("ix_outbox_messages_status_send_after", "status", "send_after"),
        sa.Index("ix_outbox_messages_customer_sent", "customer_id", "sent_at"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    channel = sa.Column(sa.String(8), nullable=False)
    #: what it is about: ready_for_pickup, birthday, reorder, ...
    kind = sa.Column(sa.String(30), nullable=False)
    #: service notices need the service consent and skip the weekly cap; marketing needs
    #: the marketing consent and counts toward the cap
    purpose = sa.Column(sa.String(10), nullable=False)
    customer_id = sa.Column(sa.Integer, sa.ForeignKey("customers.id"), index=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    #: e-mail address or phone number
    to = sa.Column(sa.String(254))
    subject = sa.Column(sa.String(200), nullable=False, default="")
    body = sa.Column(sa.Text, nullable=False)
    #: the same key never makes a second message (e.g. "ready:17:sms")
    dedupe_key = sa.Column(sa.String(120), unique=True)
    status = sa.Column(sa.String(10), nullable=False, default=OutboxStatus.PENDING)
    #: not before this time (a retry's backoff, the weekly cap, a planned greeting)
    send_after = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    attempts = sa.Column(sa.Integer, nullable=False, default=0)
    #: the delivery run that holds it while sending; stale claims are taken back
    claim_token = sa.Column(sa.String(32), index=True)
    claimed_at = sa.Column(UTCDateTime)
    last_error = sa.Column(sa.String(500))
    #: why it was not sent: no_consent, no_address
    skip_reason = sa.Column(sa.String(20))
    #: the provider's id for an SMS, the Message-ID for an e-mail
    provider_ref = sa.Column(sa.String(200))
    #: the campaign that sent it (crm.campaigns)
    campaign_id = sa.Column(sa.Integer, sa.ForeignKey("campaigns.id"), index=True)
    sent_at = sa.Column(UTCDateTime)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)


class TagRule(db.Model):
    """A needs tag derived from data, readable and editable by the customer center.

    ``kind`` names the test and ``params`` its settings (``crm.tagging.KINDS``); several
    rules may give the same tag (any one suffices).
    """

    __tablename__ = "tag_rules"

    id = sa.Column(sa.Integer, primary_key=True)
    tag = sa.Column(sa.String(40), nullable=False)
    #: baby_age, expecting, bought_category, delivery_addresses, delivery_only
    kind = sa.Column(sa.String(20), nullable=False)
    params = sa.Column(sa.JSON, nullable=False, default=dict)
    active = sa.Column(sa.Boolean, nullable=False, default=True)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    updated_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))


class SavedSegment(db.Model):
    """A named filter over customers, used by campaigns and follow-up rules."""

    __tablename__ = "saved_segments"

    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(80), nullable=False, unique=True)
    #: {"stages": [...], "segments": [...], "tags": [...], "city": ..., "center_id": ...,
    #:  "marketing_consent": bool, "min_monetary": fen, ...}; see crm.segments.FILTERS
    filters = sa.Column(sa.JSON, nullable=False, default=dict)
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)


class FollowUpRule(db.Model):
    """When a kind of follow-up is planned, editable by an admin: on/off, the delay, the
    channel (a call for an agent, or an SMS / e-mail through the outbox), the script,
    and optionally a saved segment the customer must be in."""

    __tablename__ = "followup_rules"
    __table_args__ = (
        sa.CheckConstraint("channel IN ('phone', 'sms', 'email')", name="channel_known"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    kind = sa.Column(sa.String(16), nullable=False, unique=True)
    active = sa.Column(sa.Boolean, nullable=False, default=True)
    #: days after the event (hand-over, first VIP purchase, ...); for a reorder reminder,
    #: the days before the supply runs out
    delay_days = sa.Column(sa.Integer, nullable=False, default=0)
    channel = sa.Column(sa.String(8), nullable=False, default="phone")
    #: the script, with {name}, {products}, {baby_age}, {shop}, {agent}; empty: the default
    script = sa.Column(sa.Text)
    segment_id = sa.Column(sa.Integer, sa.ForeignKey("saved_segments.id"))
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    updated_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
