"""The VIP club in the storefront: memberships and their tiers, tier rules, member prices
per tier, the points ledger. (crm/club holds the club's content, events and member area.)"""

from enum import StrEnum, nonmember

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from core.clock import utcnow
from core.extensions import db
from core.models import UTCDateTime, one_of


class Tier(StrEnum):
    CLASSIC = "classic"
    SILVER = "silver"
    GOLD = "gold"
    DIAMOND = "diamond"
    ALL = nonmember((CLASSIC, SILVER, GOLD, DIAMOND))


class Membership(db.Model):
    """A VIP club membership: the card, the tier, the points, and what the member told us."""

    __tablename__ = "memberships"
    __table_args__ = (
        sa.CheckConstraint("points >= 0", name="points_nonnegative"),
        one_of("tier", Tier, name="tier_known"),
        # one open membership per user; closed ones stay for the books and free the user
        sa.Index("uq_memberships_open_user_id", "user_id", unique=True,
                 sqlite_where=sa.text("closed_at IS NULL"),
                 postgresql_where=sa.text("closed_at IS NULL")),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True)
    card_number = sa.Column(sa.String(20), nullable=False, unique=True)
    tier = sa.Column(sa.String(10), nullable=False, default=Tier.CLASSIC)
    points = sa.Column(sa.Integer, nullable=False, default=0)
    name = sa.Column(sa.String(100), nullable=False)
    phone = sa.Column(sa.String(32), nullable=False)
    birthday = sa.Column(sa.Date)
    #: when the birthday was last set or changed (at joining, by the member once a year, or
    #: by the customer center); double points need it set before the month began
    birthday_set_at = sa.Column(UTCDateTime)
    #: the baby's birth date, or the due date when it lies ahead
    baby_birthday = sa.Column(sa.Date)
    city = sa.Column(sa.String(40))
    interests = sa.Column(sa.JSON, nullable=False, default=list)
    #: consent to offers and news, asked apart from the service messages
    marketing_consent = sa.Column(sa.Boolean, nullable=False, default=False)
    joined_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    #: [{"name", "birth_date"}]: children, or a due date for one on the way
    children = sa.Column(sa.JSON, nullable=False, default=list, server_default="[]")
    #: how the member wants to hear from us: "sms", "email", "phone", "wechat"
    channels = sa.Column(sa.JSON, nullable=False, default=list, server_default="[]")
    #: the last yearly tier review (None: none yet; the first falls a year after joining)
    tier_reviewed_at = sa.Column(UTCDateTime)
    #: the year and the month whose birthday perk was given (once a year)
    birthday_perk_year = sa.Column(sa.Integer)
    birthday_perk_month = sa.Column(sa.Integer)
    #: the member closed the membership; the profile is anonymized, orders kept
    closed_at = sa.Column(UTCDateTime)


class TierRule(db.Model):
    """One tier of the club, as the admin sets it: its threshold and its points rate.

    The four codes are fixed (``Tier.ALL``); names, thresholds and rates are edited in the
    back office. The rows are written by the migration.
    """

    __tablename__ = "tiers"
    __table_args__ = (
        one_of("code", Tier, name="code_known"),
        sa.CheckConstraint("threshold_amount >= 0", name="threshold_nonnegative"),
        sa.CheckConstraint("points_per_100_yuan >= 0", name="rate_nonnegative"),
        sa.CheckConstraint("price_rounding IN (1, 10, 100, 1000)", name="rounding_known"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    code = sa.Column(sa.String(10), nullable=False, unique=True)
    name_zh = sa.Column(sa.String(40), nullable=False)
    name_en = sa.Column(sa.String(40))
    position = sa.Column(sa.Integer, nullable=False, default=0)
    #: spend over a rolling 12 months (fen) that reaches this tier
    threshold_amount = sa.Column(sa.Integer, nullable=False, default=0)
    #: points earned per 100 yuan of a fulfilled order
    points_per_100_yuan = sa.Column(sa.Integer, nullable=False, default=100)
    #: the tier's member prices are rounded down to a multiple of this (fen): 1 none,
    #: 10 to the jiao, 100 to the yuan, 1000 to ten yuan (``tiers.ROUNDING``)
    price_rounding = sa.Column(sa.Integer, nullable=False, default=1, server_default="1")


class MemberPrice(db.Model):
    """What members of one tier pay for one product (over ``Product.member_price_amount``)."""

    __tablename__ = "member_prices"
    __table_args__ = (
        sa.UniqueConstraint("product_id", "tier", name="uq_member_prices_product_tier"),
        sa.CheckConstraint("price_amount >= 0", name="price_nonnegative"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    product_id = sa.Column(sa.Integer, sa.ForeignKey("products.id", ondelete="CASCADE"),
                           nullable=False, index=True)
    tier = sa.Column(sa.String(10), sa.ForeignKey("tiers.code"), nullable=False)
    #: minor units (fen), in the product's currency
    price_amount = sa.Column(sa.Integer, nullable=False)


class PointsKind(StrEnum):
    EARNED = "earned"
    REDEEMED = "redeemed"
    EXPIRED = "expired"
    REVERSED = "reversed"
    ADJUSTED = "adjusted"
    ALL = nonmember((EARNED, REDEEMED, EXPIRED, REVERSED, ADJUSTED))


class PointsEntry(db.Model):
    """One line of a member's points ledger; ``Membership.points`` is their running sum.

    Lines that add points are lots (``open_amount`` still unspent, ``expires_at``);
    spending and expiry consume the oldest lots first.
    """

    __tablename__ = "points_entries"
    __table_args__ = (
        one_of("kind", PointsKind, name="kind_known"),
        sa.CheckConstraint("balance_after >= 0", name="balance_nonnegative"),
        sa.CheckConstraint("open_amount >= 0", name="open_nonnegative"),
        sa.Index("ix_points_entries_membership_created", "membership_id", "created_at"),
        sa.Index("ix_points_entries_open_expiry", "open_amount", "expires_at"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    membership_id = sa.Column(sa.Integer, sa.ForeignKey("memberships.id"), nullable=False)
    kind = sa.Column(sa.String(10), nullable=False)
    #: signed change of the balance
    delta = sa.Column(sa.Integer, nullable=False)
    balance_after = sa.Column(sa.Integer, nullable=False)
    order_id = sa.Column(sa.Integer, sa.ForeignKey("orders.id"), index=True)
    #: why, in a stable word: "order_fulfilled", "order_fulfilled_birthday_double" (doubled
    #: in the birthday month), "order_refunded", "order_cancelled", ...
    reason = sa.Column(sa.String(80), nullable=False)
    #: points of this line not yet spent, expired or reversed (lines that add points)
    open_amount = sa.Column(sa.Integer, nullable=False, default=0)
    expires_at = sa.Column(UTCDateTime)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    membership = relationship("Membership")
