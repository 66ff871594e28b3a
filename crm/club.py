"""The member's own side of the club: who they are (for targeting), their profile and
consents, their data as JSON, and closing the membership."""

import re
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from core.clock import shop_today, utcnow
from core.errors import IllegalTransition, NotFound, TooManyAttempts, ValidationFailed
from core.extensions import db
from core.models import User
from core.ratelimit import attempts
from core.signals import member_closed
from storefront.club_models import PointsEntry
from storefront.models import Membership, Order

from .club_models import EventRegistration
from .erasure import ANONYMIZED_NAME

#: how the member may want to hear from us
CHANNELS = ("sms", "email", "phone", "wechat")
MAX_CHILDREN = 4


def today_local() -> date:
    return shop_today()


def months_between(born: date, today: date) -> int:
    """Whole months from ``born`` to ``today``."""
    months = (today.year - born.year) * 12 + today.month - born.month
    return months - (1 if today.day < born.day else 0)


@dataclass
class Audience:
    """What targeting knows of a member: tier, children's ages, pregnancy, interests, city."""

    tier: str | None = None
    ages_months: list[int] = field(default_factory=list)
    expecting: bool = False
    interests: set[str] = field(default_factory=set)
    city: str | None = None


def child_dates(membership: Membership) -> list[date]:
    """Birth (or due) dates the member gave: the children list, else the signup date."""
    dates = []
    for child in membership.children or []:
        try:
            dates.append(date.fromisoformat(child.get("birth_date", "")))
        except (TypeError, ValueError, AttributeError):
            continue
    if not dates and membership.baby_birthday is not None:
        dates.append(membership.baby_birthday)
    return dates


def audience_of(membership: Membership | None, today: date | None = None) -> Audience:
    if membership is None:
        return Audience()
    today = today or today_local()
    dates = child_dates(membership)
    return Audience(
        tier=membership.tier,
        ages_months=[months_between(d, today) for d in dates if d <= today],
        expecting=any(d > today for d in dates),
        interests=set(membership.interests or []), city=membership.city)


def normalize_city(city: str | None) -> str:
    """A city as targeting compares it: "上海市" and "上海" are one city."""
    city = (city or "").strip()
    return city[:-1] if len(city) > 1 and city.endswith("市") else city


def fits(item, audience: Audience) -> bool:
    """Whether an article or event (``AudienceMixin``) is for this member."""
    if item.tiers and audience.tier not in item.tiers:
        return False
    if item.interests and not audience.interests & set(item.interests):
        return False
    if item.cities and normalize_city(audience.city) not in {normalize_city(c)
                                                             for c in item.cities}:
        return False
    staged = item.age_min_months is not None or item.age_max_months is not None
    if not staged and not item.for_pregnancy:
        return True
    if item.for_pregnancy and audience.expecting:
        return True
    if staged:
        low = item.age_min_months if item.age_min_months is not None else 0
        high = item.age_max_months if item.age_max_months is not None else 10_000
        return any(low <= age <= high for age in audience.ages_months)
    return False


def normalize_card(code: str | None) -> str:
    """A card number as typed or scanned: spaces out, upper case."""
    return re.sub(r"\s+", "", code or "").upper()


def get_membership_by_card(card_number: str, actor: User | None = None, *,
                           closed_too: bool = False) -> Membership:
    """The open membership holding this card (``closed_too``: or a closed one);
    ``NotFound`` when there is none.

    With ``actor`` (a member of staff typing or scanning cards), cards that hold no
    membership are counted per person: past ``DESK_CARD_LOOKUP_LIMIT`` the look-up answers
    ``TooManyAttempts``, so card numbers cannot be tried one after another on any page
    that looks a member up (the desk, an event's check-in, an article's preview)."""
    key = f"desk-card:user:{actor.id}" if actor is not None else None
    limit = current_app.config["DESK_CARD_LOOKUP_LIMIT"]
    if key and attempts.blocked(key, limit):
        raise TooManyAttempts()
    query = sa.select(Membership).where(Membership.card_number == normalize_card(card_number)[:20])
    if not closed_too:
        query = query.where(Membership.closed_at.is_(None))
    membership = db.session.execute(query).scalar_one_or_none()
    if membership is None:
        if key:
            attempts.fail(key, limit)
        raise NotFound(_l("No member holds this card."))
    return membership


def update_profile(membership: Membership, data: dict) -> Membership:
    """The member edits their profile, children, interests, channels and consent."""
    errors = {}
    name, phone = (data.get("name") or "").strip(), (data.get("phone") or "").strip()
    if not name:
        errors["name"] = [str(_l("Please fill this in."))]
    if not phone:
        errors["phone"] = [str(_l("Please fill this in."))]
    channels = list(data.get("channels") or [])
    if any(c not in CHANNELS for c in channels):
        errors["channels"] = [str(_l("Unknown channel."))]
    children = [c for c in (data.get("children") or []) if c.get("birth_date")]
    if len(children) > MAX_CHILDREN:
        errors["children"] = [str(_l("At most %(n)d children.", n=MAX_CHILDREN))]
    if errors:
        raise ValidationFailed(errors=errors)
    membership.name, membership.phone = name[:100], phone[:32]
    membership.birthday = data.get("birthday")
    membership.city = (data.get("city") or "").strip()[:40] or None
    membership.interests = list(data.get("interests") or [])
    membership.channels = channels
    membership.marketing_consent = bool(data.get("marketing_consent"))
    membership.children = [
        {"name": (c.get("name") or "").strip()[:40],
         "birth_date": c["birth_date"].isoformat() if isinstance(c["birth_date"], date)
         else str(c["birth_date"])}
        for c in children]
    dates = child_dates(membership)
    membership.baby_birthday = min(dates) if dates else None
    db.session.flush()
    return membership


def export_member_data(membership: Membership) -> dict:
    """Everything the club holds about the member, as plain JSON."""
    user = db.session.get(User, membership.user_id)
    entries = db.session.execute(sa.select(PointsEntry).where(
        PointsEntry.membership_id == membership.id).order_by(PointsEntry.id)).scalars()
    registrations = db.session.execute(sa.select(EventRegistration).where(
        EventRegistration.membership_id == membership.id)).scalars()
    orders = db.session.execute(sa.select(Order).where(Order.user_id == membership.user_id)
                                .order_by(Order.id)).scalars()

    def iso(value):
        return value.isoformat() if value is not None else None

    return {
        "account": {"email": user.email, "name": user.name, "phone": user.phone},
        "membership": {
            "card_number": membership.card_number, "tier": membership.tier,
            "points": membership.points, "name": membership.name, "phone": membership.phone,
            "birthday": iso(membership.birthday), "baby_birthday": iso(membership.baby_birthday),
            "children": membership.children, "city": membership.city,
            "interests": membership.interests, "channels": membership.channels,
            "marketing_consent": membership.marketing_consent,
            "joined_at": iso(membership.joined_at)},
        "points": [{"kind": e.kind, "delta": e.delta, "balance_after": e.balance_after,
                    "reason": e.reason, "at": iso(e.created_at)} for e in entries],
        "events": [{"event": r.event.title, "starts_at": iso(r.event.starts_at),
                    "attendees": r.attendees, "status": r.status,
                    "checked_in_at": iso(r.checked_in_at)} for r in registrations],
        "orders": [{"number": o.number, "status": o.status, "total": o.total_amount,
                    "currency": o.currency, "created_at": iso(o.created_at)} for o in orders],
    }


def close_membership(membership: Membership) -> Membership:
    """The member leaves the club: the profile is anonymized, orders and the ledger's
    figures stay for the books; open event registrations are cancelled. ``member_closed``
    tells the customer center, which scrubs the person everywhere else."""
    from .events import cancel_registration

    if membership.closed_at is not None:
        raise IllegalTransition(_l("This membership is already closed."))
    for reg in db.session.execute(sa.select(EventRegistration).where(
            EventRegistration.membership_id == membership.id,
            EventRegistration.status != "cancelled")).scalars().all():
        cancel_registration(reg)
    membership.name, membership.phone = ANONYMIZED_NAME, ""
    membership.birthday = membership.baby_birthday = None
    membership.children, membership.interests, membership.channels = [], [], []
    membership.city, membership.marketing_consent = None, False
    membership.closed_at = utcnow()
    db.session.flush()
    member_closed.send(membership)
    return membership
