"""The club's content and events: articles for members, events with registrations."""

from enum import StrEnum, nonmember

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from core.clock import utcnow
from core.extensions import db
from core.models import UTCDateTime, one_of, random_token


class AudienceMixin:
    """Who a piece of content or an event is for; an empty criterion matches everyone."""

    #: tier codes; [] for every tier
    tiers = sa.Column(sa.JSON, nullable=False, default=list)
    #: the baby's age range in months (either end open); None on both for every stage
    age_min_months = sa.Column(sa.Integer)
    age_max_months = sa.Column(sa.Integer)
    #: for expecting parents (a due date ahead)
    for_pregnancy = sa.Column(sa.Boolean, nullable=False, default=False)
    #: interest codes; [] for every member
    interests = sa.Column(sa.JSON, nullable=False, default=list)
    #: city names; [] for every city
    cities = sa.Column(sa.JSON, nullable=False, default=list)


class Article(AudienceMixin, db.Model):
    """A piece of member content written by the customer center (Markdown, sanitized)."""

    __tablename__ = "articles"
    __table_args__ = (
        sa.CheckConstraint("views_count >= 0", name="views_nonnegative"),
        sa.Index("ix_articles_published", "publish_from", "publish_until"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    public_id = sa.Column(sa.String(24), nullable=False, unique=True, default=random_token)
    title = sa.Column(sa.String(200), nullable=False)
    summary = sa.Column(sa.String(500), nullable=False, default="")
    #: path under static/ ("static/...") or a file name in the upload folder
    cover_image = sa.Column(sa.String(200))
    body_md = sa.Column(sa.Text, nullable=False, default="")
    #: None: a draft
    publish_from = sa.Column(UTCDateTime)
    publish_until = sa.Column(UTCDateTime)
    views_count = sa.Column(sa.Integer, nullable=False, default=0)
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)


class Event(AudienceMixin, db.Model):
    """A club event: a lecture, a parent-child activity, a tasting at a store."""

    __tablename__ = "events"
    __table_args__ = (
        sa.CheckConstraint("capacity > 0", name="capacity_positive"),
        sa.CheckConstraint("seats_taken >= 0 AND seats_taken <= capacity",
                           name="seats_within_capacity"),
        sa.CheckConstraint("center_id IS NOT NULL OR address IS NOT NULL", name="has_venue"),
        sa.Index("ix_events_starts_at", "starts_at"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    public_id = sa.Column(sa.String(24), nullable=False, unique=True, default=random_token)
    title = sa.Column(sa.String(200), nullable=False)
    description = sa.Column(sa.Text, nullable=False, default="")
    starts_at = sa.Column(UTCDateTime, nullable=False)
    ends_at = sa.Column(UTCDateTime)
    #: the venue: one of our centers, or an address
    center_id = sa.Column(sa.Integer, sa.ForeignKey("centers.id"))
    address = sa.Column(sa.String(300))
    city = sa.Column(sa.String(40), nullable=False)
    #: people (attendees) the venue holds
    capacity = sa.Column(sa.Integer, nullable=False)
    #: attendees of confirmed registrations; moved only by conditional updates
    seats_taken = sa.Column(sa.Integer, nullable=False, default=0)
    published = sa.Column(sa.Boolean, nullable=False, default=True)
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    registrations = relationship("EventRegistration", back_populates="event",
                                 order_by="EventRegistration.id")


class RegistrationStatus(StrEnum):
    REGISTERED = "registered"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    ALL = nonmember((REGISTERED, WAITLISTED, CANCELLED))


class EventRegistration(db.Model):
    """A member's place at an event (or on its waitlist), for one or more attendees."""

    __tablename__ = "event_registrations"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "membership_id", name="uq_event_registrations_member"),
        sa.CheckConstraint("attendees BETWEEN 1 AND 10", name="attendees_range"),
        one_of("status", RegistrationStatus, name="status_known"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    event_id = sa.Column(sa.Integer, sa.ForeignKey("events.id"), nullable=False, index=True)
    membership_id = sa.Column(sa.Integer, sa.ForeignKey("memberships.id"), nullable=False,
                              index=True)
    attendees = sa.Column(sa.Integer, nullable=False, default=1)
    status = sa.Column(sa.String(12), nullable=False)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    #: when the waitlist entry got its seat, or the registration was cancelled
    changed_at = sa.Column(UTCDateTime)
    checked_in_at = sa.Column(UTCDateTime)
    checked_in_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    reminded_at = sa.Column(UTCDateTime)

    event = relationship(Event, back_populates="registrations")
    membership = relationship("Membership")
