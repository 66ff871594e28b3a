"""Follow-up visits (回访) and the rules that plan them."""

from enum import StrEnum, nonmember

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from core.clock import utcnow
from core.extensions import db
from core.models import UTCDateTime, one_of
from crm.customers.models import Customer
from crm.outreach.models import Channel


class FollowUpStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    UNREACHED = "unreached"
    CANCELLED = "cancelled"
    ALL = nonmember((OPEN, DONE, UNREACHED, CANCELLED))


class FollowUpKind(StrEnum):
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
    #: a product lot is recalled (crm.care.recalls)
    RECALL = "recall"
    #: a call of a campaign over a saved segment (crm.outreach.campaigns)
    CAMPAIGN = "campaign"
    ALL = nonmember((SATISFACTION, REORDER, WELCOME, BIRTHDAY, WINBACK, COMPLAINT, BABY_BIRTHDAY,
                     APOLOGY, NO_SHOW, NEXT_ACTION, RECALL, CAMPAIGN))


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
    #: the campaign this call belongs to (crm.outreach.campaigns)
    campaign_id = sa.Column(sa.Integer, sa.ForeignKey("campaigns.id"), index=True)
    completed_at = sa.Column(UTCDateTime)
    completed_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    customer = relationship(Customer)


class FollowUpRule(db.Model):
    """When a kind of follow-up is planned, editable by an admin: on/off, the delay, the
    channel (a call for an agent, or an SMS / e-mail through the outbox), the script,
    and optionally a saved segment the customer must be in."""

    __tablename__ = "followup_rules"
    __table_args__ = (
        one_of("channel", (Channel.PHONE, Channel.SMS, Channel.EMAIL), name="channel_known"),
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
