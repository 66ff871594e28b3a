"""The outbox (messages to customers, delivered after the commit) and campaigns over saved
segments."""

from enum import StrEnum, nonmember

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from core.clock import utcnow
from core.extensions import db
from core.models import UTCDateTime, filled_index, one_of
from crm.customers.models import SavedSegment


class Channel(StrEnum):
    """How a message or a call reaches a customer (the outbox sends e-mail and SMS)."""

    EMAIL = "email"
    SMS = "sms"
    PHONE = "phone"


class Purpose(StrEnum):
    """Why a message is sent: a service notice goes to everyone, marketing needs consent."""

    SERVICE = "service"
    MARKETING = "marketing"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"
    ALL = nonmember((PENDING, SENDING, SENT, SKIPPED, FAILED))


class OutboxMessage(db.Model):
    """A message to a customer, written inside the transaction that called for it and
    delivered by the ``deliver_outbox`` job after the commit."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        one_of("channel", (Channel.EMAIL, Channel.SMS), name="channel_known"),
        one_of("purpose", Purpose, name="purpose_known"),
        one_of("status", OutboxStatus, name="status_known"),
        sa.CheckConstraint("attempts >= 0", name="attempts_nonnegative"),
        sa.Index("ix_outbox_messages_status_send_after", "status", "send_after"),
        # also the look-up by customer alone (its first column)
        sa.Index("ix_outbox_messages_customer_sent", "customer_id", "sent_at"),
        filled_index("outbox_messages", "claim_token"),
        filled_index("outbox_messages", "campaign_id"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    channel = sa.Column(sa.String(8), nullable=False)
    #: what it is about: ready_for_pickup, birthday, reorder, ...
    kind = sa.Column(sa.String(30), nullable=False)
    #: service notices need the service consent and skip the weekly cap; marketing needs
    #: the marketing consent and counts toward the cap
    purpose = sa.Column(sa.String(10), nullable=False)
    customer_id = sa.Column(sa.Integer, sa.ForeignKey("customers.id"))
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
    claim_token = sa.Column(sa.String(32))
    claimed_at = sa.Column(UTCDateTime)
    last_error = sa.Column(sa.String(500))
    #: why it was not sent: no_consent, no_address
    skip_reason = sa.Column(sa.String(20))
    #: the provider's id for an SMS, the Message-ID for an e-mail
    provider_ref = sa.Column(sa.String(200))
    #: the campaign that sent it (crm.outreach.campaigns)
    campaign_id = sa.Column(sa.Integer, sa.ForeignKey("campaigns.id"))
    sent_at = sa.Column(UTCDateTime)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)


class Campaign(db.Model):
    """A message or call script for a saved segment; its messages and calls carry its id."""

    __tablename__ = "campaigns"
    __table_args__ = (
        one_of("channel", (Channel.SMS, Channel.EMAIL, Channel.PHONE), name="channel_known"),
        one_of("purpose", Purpose, name="purpose_known"),
        sa.CheckConstraint("skipped_count >= 0", name="skipped_nonnegative"),
        sa.CheckConstraint("holdout_percent BETWEEN 0 AND 50", name="holdout_percent_range"),
        sa.CheckConstraint("attribution_days BETWEEN 1 AND 365", name="attribution_days_range"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(80), nullable=False)
    segment_id = sa.Column(sa.Integer, sa.ForeignKey("saved_segments.id"), nullable=False)
    channel = sa.Column(sa.String(8), nullable=False)
    #: marketing needs the marketing consent and counts toward the weekly cap
    purpose = sa.Column(sa.String(10), nullable=False, default="marketing")
    #: the e-mail's subject
    subject = sa.Column(sa.String(200))
    #: the message or call script, with {name}, {baby_age}, {shop} (and {agent} for calls)
    script = sa.Column(sa.Text, nullable=False)
    #: customers of the segment left out for want of consent at the last sending (those with
    #: a message or call of it are counted by its outcome instead: each customer once)
    skipped_count = sa.Column(sa.Integer, nullable=False, default=0, server_default="0")
    #: the share of each sending's audience held out at random as the control group (their
    #: customers get nothing); chosen at the first sending and kept
    holdout_percent = sa.Column(sa.SmallInteger, nullable=False, default=0, server_default="0")
    #: orders within this many days of a customer's sending are the campaign's outcome
    attribution_days = sa.Column(sa.SmallInteger, nullable=False, default=30,
                                 server_default="30")
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    sent_at = sa.Column(UTCDateTime)
    sent_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))

    segment = relationship(SavedSegment)


class CampaignHoldout(db.Model):
    """A customer of a campaign's audience held out at random (the control group): no
    message, no call; ``created_at`` is the sending that held them out."""

    __tablename__ = "campaign_holdouts"

    campaign_id = sa.Column(sa.Integer, sa.ForeignKey("campaigns.id"), primary_key=True)
    customer_id = sa.Column(sa.Integer, sa.ForeignKey("customers.id"), primary_key=True,
                            index=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
