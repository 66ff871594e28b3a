"""A member's card: the number as typed or scanned, and the membership that holds it."""

import re

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from core.errors import NotFound, TooManyAttempts
from core.extensions import db
from core.models import User
from core.ratelimit import attempts
from storefront.loyalty.models import Membership


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
