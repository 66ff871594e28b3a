"""VIP membership: applying online, the card number, the tier, the birthday."""

import secrets
from datetime import timedelta
from functools import lru_cache

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from core.clock import shop_date, utcnow
from core.errors import ValidationFailed
from core.extensions import db
from core.models import User
from core.signals import member_joined
from core.sql import columns_of, load

from ..errors import AlreadyMember
from .models import Membership, Tier

CARD_PREFIX = "VIP"
#: a member sets or changes their own birthday at most once in this long
BIRTHDAY_CHANGE_EVERY = timedelta(days=365)


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
        name=name.strip(), phone=phone.strip(), birthday=birthday,
        birthday_set_at=utcnow() if birthday is not None else None, baby_birthday=baby_birthday,
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
    found = load(_open_membership(), {"user": user.id}, Membership)
    return found[0][0] if found else None


def is_open_membership_of(user) -> sa.ColumnElement[bool]:
    """The condition on ``Membership`` of ``user``'s open membership (at most one: a unique
    index), ``user`` an id or an expression (a bound parameter)."""
    return sa.and_(Membership.user_id == user, Membership.closed_at.is_(None))


@lru_cache(maxsize=1)
def _open_membership() -> sa.Select:
    """Built once, run on the driver: every checkout and member page asks."""
    return sa.select(*columns_of(Membership)).where(
        is_open_membership_of(sa.bindparam("user")))


def change_birthday(membership: Membership, birthday, *, by_member: bool = True,
                    now=None) -> None:
    """Set, change or clear the member's birthday (the same date again changes nothing).

    The birthday doubles a month's points (``points.birthday_double_active``), so the
    member sets or changes it at most once a year (``BIRTHDAY_CHANGE_EVERY`` since it was
    last set, at joining or on their profile): sooner is refused on ``birthday``, and the
    customer center corrects it instead (``by_member=False``). Either way
    ``birthday_set_at`` records when, and a birthday set in its own month doubles no points
    that month.
    """
    if birthday == membership.birthday:
        return
    now = now or utcnow()
    last = membership.birthday_set_at
    if by_member and last is not None and now - last < BIRTHDAY_CHANGE_EVERY:
        raise ValidationFailed(errors={"birthday": [str(_l(
            "You can change your birthday once a year: next from %(date)s. To correct it "
            "sooner, please ask our customer center.",
            date=format_date(shop_date(last + BIRTHDAY_CHANGE_EVERY), "long")))]})
    membership.birthday, membership.birthday_set_at = birthday, now
    db.session.flush()
