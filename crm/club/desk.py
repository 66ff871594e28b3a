"""The member at the store desk: find them by the card the clerk scans, their coming events
(today's at this center can be checked in), and their open orders at this center."""

import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.clock import day_end, day_start, shop_date, utcnow
from core.errors import IllegalTransition
from core.extensions import db
from core.models import User
from storefront.loyalty.membership import CARD_PREFIX
from storefront.loyalty.models import Membership
from storefront.models import Order, OrderStatus

from . import events
from .cards import normalize_card
from .models import Event, EventRegistration
from .models import RegistrationStatus as RS

#: what a VIP card number looks like (``storefront.membership.new_card_number``)
CARD_PATTERN = re.compile(rf"{CARD_PREFIX}\d{{10}}")


def looks_like_card(code: str | None) -> bool:
    """Whether a code typed or scanned at the desk is a VIP card number."""
    return CARD_PATTERN.fullmatch(normalize_card(code)) is not None


def _day_bounds(now: datetime) -> tuple[datetime, datetime]:
    """The shop's day that ``now`` falls on, as UTC times [start, end)."""
    day = shop_date(now)
    return day_start(day), day_end(day)


@dataclass
class DeskRegistration:
    registration: EventRegistration
    event: Event
    #: today's event at this center, a place held and not yet checked in
    can_check_in: bool


def coming_registrations(membership: Membership, center_id: int | None,
                         now=None) -> list[DeskRegistration]:
    """The member's places and waitlist entries for events from today on, soonest first."""
    now = now or utcnow()
    start, end = _day_bounds(now)
    rows = db.session.execute(
        sa.select(EventRegistration, Event).join(Event, Event.id == EventRegistration.event_id)
        .where(EventRegistration.membership_id == membership.id,
               EventRegistration.status != RS.CANCELLED, Event.starts_at >= start)
        .order_by(Event.starts_at)).all()
    return [DeskRegistration(
        reg, event,
        can_check_in=(reg.status == RS.REGISTERED and reg.checked_in_at is None
                      and center_id is not None and event.center_id == center_id
                      and start <= event.starts_at < end))
        for reg, event in rows]


def open_orders_at(membership: Membership, center_id: int) -> list[Order]:
    """The member's orders at this center that are not yet fulfilled, cancelled or refunded."""
    return list(db.session.execute(sa.select(Order).where(
        Order.user_id == membership.user_id, Order.center_id == center_id,
        Order.status.in_(OrderStatus.OPEN)).order_by(Order.created_at)).scalars())


def check_in_at_desk(event: Event, membership: Membership, center_id: int, actor: User,
                     now=None) -> EventRegistration:
    """Check the member in at this desk: only today's events of this center."""
    now = now or utcnow()
    start, end = _day_bounds(now)
    if event.center_id != center_id or not start <= event.starts_at < end:
        raise IllegalTransition(_l("Only today's events at this store check in here."))
    return events.check_in(event, membership.card_number, actor, now=now)
