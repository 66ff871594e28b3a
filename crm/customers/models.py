"""Customers and prospects, their children and tags, saved segments and tag rules, and
who looked at whom."""

from enum import StrEnum, nonmember

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from core.clock import utcnow
from core.extensions import db
from core.models import UTCDateTime, one_of


class Stage(StrEnum):
    PROSPECT = "prospect"
    FIRST_TIME = "first_time"
    REPEAT = "repeat"
    VIP = "vip"
    DORMANT = "dormant"
    LOST = "lost"
    ALL = nonmember((PROSPECT, FIRST_TIME, REPEAT, VIP, DORMANT, LOST))


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
    #: champions, loyal, promising, new, at_risk, hibernating, lost, ... (crm.customers.figures);
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
        one_of("source", ("manual", "rule"), name="source_known"),
        sa.Index("ix_customer_tags_tag", "tag"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    customer_id = sa.Column(sa.Integer, sa.ForeignKey("customers.id"), nullable=False)
    tag = sa.Column(sa.String(40), nullable=False)
    source = sa.Column(sa.String(8), nullable=False, default="manual")
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)


class CustomerAccess(db.Model):
    """Every opening of a customer 360 by staff, for the admin to read."""

    __tablename__ = "customer_access_log"

    id = sa.Column(sa.Integer, primary_key=True)
    customer_id = sa.Column(sa.Integer, sa.ForeignKey("customers.id"), nullable=False, index=True)
    staff_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=False)
    channel = sa.Column(sa.String(8), nullable=False, default="web")
    at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)


class TagRule(db.Model):
    """A needs tag derived from data, readable and editable by the customer center.

    ``kind`` names the test and ``params`` its settings (``tagging.KINDS``); several
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
    #:  "marketing_consent": bool, "min_monetary": fen, ...}; see crm.customers.segments.FILTERS
    filters = sa.Column(sa.JSON, nullable=False, default=dict)
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)


class CustomerMerge(db.Model):
    """One profile merged into another: what moved, who did it (an agent, or the account
    proving a contact), and when. The absorbed profile is gone; its id stays here."""

    __tablename__ = "customer_merges"
    __table_args__ = (
        one_of("reason", ("agent", "verified_email", "verified_phone"), name="reason_known"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    #: the profile that stayed
    customer_id = sa.Column(sa.Integer, sa.ForeignKey("customers.id"), nullable=False, index=True)
    #: the profile that was merged in and removed (no key: the row no longer exists)
    absorbed_id = sa.Column(sa.Integer, nullable=False)
    #: the shop account that came with the absorbed profile, if it had one
    absorbed_user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    #: agent: by hand from the 360; verified_email, verified_phone: the account proved it
    reason = sa.Column(sa.String(16), nullable=False)
    #: ``{table: rows moved}``
    moved = sa.Column(sa.JSON, nullable=False, default=dict)
    #: ``{table: rows}`` the kept profile already had the like of: tags dropped, open calls
    #: of the same recall or campaign cancelled
    duplicates = sa.Column(sa.JSON, nullable=False, default=dict)
    actor_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    at = sa.Column(UTCDateTime, nullable=False, default=utcnow)


class ImportPreview(db.Model):
    """A customer sheet uploaded for an import, waiting for the agent to confirm it. It is
    kept in the database, so the confirmation may reach any app node; the
    ``import_previews`` job removes sheets older than ``IMPORT_PREVIEW_MINUTES``."""

    __tablename__ = "import_previews"

    id = sa.Column(sa.Integer, primary_key=True)
    token = sa.Column(sa.String(32), nullable=False, unique=True)
    data = sa.Column(sa.LargeBinary, nullable=False)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)


class SegmentSnapshot(db.Model):
    """A customer as the month's snapshot job found them (``snapshots.take_snapshot``): the
    RFM segment, whether the required profile was complete, the favourite center. The last
    run in a month stands for the month."""

    __tablename__ = "segment_snapshots"

    #: 'YYYY-MM' in the shop's zone
    month = sa.Column(sa.String(7), primary_key=True)
    customer_id = sa.Column(sa.Integer, sa.ForeignKey("customers.id"), primary_key=True,
                            index=True)
    segment = sa.Column(sa.String(20))
    profile_complete = sa.Column(sa.Boolean, nullable=False, default=False)
    center_id = sa.Column(sa.Integer, sa.ForeignKey("centers.id"))
    taken_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)


class FiguresDue(db.Model):
    """A customer whose figures an order changed and who waits for their refresh
    (``refresh.refresh_due``): written in the order's transaction, cleared once the figures
    are recomputed after the commit, by the request that placed it or by the job."""

    __tablename__ = "crm_figures_due"

    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                        primary_key=True)
    since = sa.Column(UTCDateTime, nullable=False, default=utcnow)
