"""VIP membership: applying online, the card number, the tier."""

import secrets

import sqlalchemy as sa

from core.extensions import db
from core.models import User
from core.signals import member_joined

from ..errors import AlreadyMember
from .models import Membership, Tier

CARD_PREFIX = "VIP"


def new_card_number() -> str:
    """VIP + 10 digits, unique (retried on the rare clash)."""
    while True:
        number = CARD_PREFIX + "".join(secrets.choice("0123456789") for _ in range(10))
        if not db.session.execute(
                sa.select(Membership.id).where(Membership.card_number == number)).first():
            return number


def sign_up_member(user: User, *, name: str, phone: str, birthday=None, baby_birthday=None,
                   city: str | None = None, interests: list[str] | None = None,
                   marketing_consent: bool = False) -> Membership:
    """Make ``user`` a member at once: card number, entry tier, zero points.

    A user whose membership was closed joins again with a new card; the old points and tier
    stay with the closed membership.
    """
    if membership_of(user) is not None:
        raise AlreadyMember()
    membership = Membership(
        user_id=user.id, card_number=new_card_number(), tier=Tier.CLASSIC, points=0,
        name=name.strip(), phone=phone.strip(), birthday=birthday, baby_birthday=baby_birthday,
        city=(city or "").strip() or None, interests=list(interests or []),
        marketing_consent=bool(marketing_consent),
    )
    db.session.add(membership)
    if not user.phone:
        user.phone = membership.phone
    db.session.flush()
    member_joined.send(membership)
    return membership


def latest_membership(user_id: int) -> Membership | None:
    """The user's open membership, else the last one closed (for the customer's record)."""
    return db.session.execute(
        sa.select(Membership).where(Membership.user_id == user_id)
        .order_by(Membership.closed_at.is_(None).desc(), Membership.id.desc()).limit(1)
    ).scalar_one_or_none()


def membership_of(user: User) -> Membership | None:
    """The user's open membership (a closed one no longer counts)."""
    return db.session.execute(
        sa.select(Membership).where(Membership.user_id == user.id,
                                    Membership.closed_at.is_(None))).scalar_one_or_none()
