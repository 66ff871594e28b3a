"""Club events: registration with attendees, a waitlist, check-in by card, reminders, figures.

Seats are taken and given back only by conditional UPDATEs on ``events.seats_taken``
(``... WHERE seats_taken + n <= capacity``): two members racing for the last seats cannot
both get them, on SQLite and on PostgreSQL.
"""

import io
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import spreadsheet
from core.clock import shop_zone, utcnow
from core.errors import Conflict, IllegalTransition, NotFound, ValidationFailed
from core.extensions import db
from core.i18n import in_locale, localized
from core.models import User
from core.privacy import mask_phone
from crm.outreach import outbox
from fulfillment.models import Center
from storefront.loyalty.models import Membership
from storefront.models import Order, OrderStatus

from .audience import apply_audience, audience_of, check_audience, fits
from .cards import get_membership_by_card
from .models import Event, EventRegistration
from .models import RegistrationStatus as RS

MAX_ATTENDEES = 10
#: orders by attendees within this many days of the event count towards its figures
ORDERS_WINDOW = timedelta(days=30)


class EventFull(Conflict):
    code = "event_full"
    message = _l("This event is full.")


class AlreadyRegistered(Conflict):
    code = "already_registered"
    message = _l("You are already registered for this event.")


class NotRegistered(Conflict):
    code = "not_registered"
    message = _l("This member is not registered for this event.")


def get_event(public_id: str) -> Event:
    event = db.session.execute(
        sa.select(Event).where(Event.public_id == public_id)).scalar_one_or_none()
    if event is None:
        raise NotFound()
    return event


def get_published_event(public_id: str) -> Event:
    """A published event; an unpublished one is ``NotFound`` for members, as if it did not
    exist (staff see it on their pages)."""
    event = get_event(public_id)
    if not event.published:
        raise NotFound()
    return event


def upcoming_for(membership: Membership | None, *, now=None, limit: int = 20) -> list[Event]:
    """Published events ahead that fit this member, soonest first."""
    now = now or utcnow()
    audience = audience_of(membership)
    rows = db.session.execute(sa.select(Event).where(
        Event.published.is_(True), Event.starts_at > now).order_by(Event.starts_at)).scalars()
    return [e for e in rows if fits(e, audience)][:limit]


def registration_of(event: Event, membership: Membership) -> EventRegistration | None:
    return db.session.execute(sa.select(EventRegistration).where(
        EventRegistration.event_id == event.id,
        EventRegistration.membership_id == membership.id)).scalar_one_or_none()


def _take_seats(event_id: int, n: int) -> bool:
    t = Event.__table__.c
    result = db.session.execute(
        sa.update(Event.__table__).where(t.id == event_id, t.seats_taken + n <= t.capacity)
        .values(seats_taken=t.seats_taken + n))
    return result.rowcount == 1


def _give_back_seats(event_id: int, n: int) -> None:
    t = Event.__table__.c
    db.session.execute(sa.update(Event.__table__).where(t.id == event_id, t.seats_taken >= n)
                       .values(seats_taken=t.seats_taken - n))


def register(event: Event, membership: Membership, *, attendees: int = 1,
             waitlist: bool = False, now=None) -> EventRegistration:
    """Register the member with ``attendees`` people; full: the waitlist if asked, else
    ``EventFull``. ``AlreadyRegistered`` when they hold a place or a waitlist entry."""
    now = now or utcnow()
    if not isinstance(attendees, int) or not 1 <= attendees <= MAX_ATTENDEES:
        raise ValidationFailed(errors={"attendees": [str(_l(
            "From 1 to %(n)d people.", n=MAX_ATTENDEES))]})
    if not event.published or event.starts_at <= now:
        raise IllegalTransition(_l("Registration for this event is closed."))
    if not fits(event, audience_of(membership)):
        raise NotFound()
    reg = registration_of(event, membership)
    if reg is not None and reg.status != RS.CANCELLED:
        raise AlreadyRegistered()
    if _take_seats(event.id, attendees):
        status = RS.REGISTERED
    elif waitlist:
        status = RS.WAITLISTED
    else:
        raise EventFull(extra={"seats_left": max(event.capacity - event.seats_taken, 0)})
    if reg is None:
        reg = EventRegistration(event_id=event.id, membership_id=membership.id)
        db.session.add(reg)
    reg.attendees, reg.status, reg.created_at, reg.changed_at = attendees, status, now, None
    reg.checked_in_at = reg.reminded_at = None
    db.session.flush()
    db.session.refresh(event, ["seats_taken"])
    return reg


def cancel_registration(reg: EventRegistration, now=None) -> EventRegistration:
    """Cancel a place (or a waitlist entry); freed seats go to the waitlist, first come first."""
    now = now or utcnow()
    if reg.status == RS.CANCELLED:
        raise IllegalTransition(_l("This registration is already cancelled."))
    had_seats = reg.status == RS.REGISTERED
    reg.status, reg.changed_at = RS.CANCELLED, now
    db.session.flush()
    if had_seats:
        _give_back_seats(reg.event_id, reg.attendees)
        promote_waitlist(reg.event, now)
    return reg


def promote_waitlist(event: Event, now=None) -> int:
    """Move waitlisted registrations up, oldest first, while their party fits."""
    moved = 0
    waiting = db.session.execute(sa.select(EventRegistration).where(
        EventRegistration.event_id == event.id, EventRegistration.status == RS.WAITLISTED)
        .order_by(EventRegistration.created_at, EventRegistration.id)).scalars().all()
    for reg in waiting:
        if _take_seats(event.id, reg.attendees):
            reg.status, reg.changed_at = RS.REGISTERED, now or utcnow()
            outbox.enqueue(**seat_message(reg))
            moved += 1
    db.session.flush()
    db.session.refresh(event, ["seats_taken"])
    return moved


def check_in(event: Event, card_number: str, actor: User, now=None) -> EventRegistration:
    """The desk scans the member's card QR: their registration is checked in (once)."""
    membership = get_membership_by_card(card_number, actor)
    reg = registration_of(event, membership)
    if reg is None or reg.status != RS.REGISTERED:
        raise NotRegistered()
    if reg.checked_in_at is not None:
        raise IllegalTransition(_l("Already checked in."))
    reg.checked_in_at, reg.checked_in_by_id = now or utcnow(), actor.id
    db.session.flush()
    return reg


def venue_of(event: Event) -> dict:
    """Where the event takes place, in the reader's language: ``{"name", "address"}``, the
    store's name and address for an event at a center (an address given wins), else the
    address alone."""
    center = db.session.get(Center, event.center_id) if event.center_id else None
    return {"name": localized(center, "name") if center else None,
            "address": event.address or (localized(center, "address") if center else None)}


def venue_text(event: Event) -> str:
    """The venue in one line: city, store name and address."""
    venue = venue_of(event)
    return " · ".join(p for p in (event.city, venue["name"], venue["address"]) if p)


def member_locale(user_id: int) -> str:
    """The language the member chose on the site (the switch keeps it), else the shop's."""
    locale = db.session.execute(sa.select(User.locale).where(User.id == user_id)).scalar()
    if locale in current_app.config["SHOP_LOCALES"]:
        return locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _member_message(reg: EventRegistration, kind: str, write, **extra) -> dict:
    """A message about one registration for the outbox (``crm.outreach.outbox.enqueue``), written by
    ``write(values) -> (subject, body)`` in the member's language; ``values`` holds
    ``name``, ``title``, ``when``, ``venue`` and ``n`` (attendees)."""
    event, membership = reg.event, reg.membership
    values = {"name": membership.name, "title": event.title,
              "when": event.starts_at.astimezone(shop_zone()).strftime("%m-%d %H:%M"),
              "venue": venue_text(event), "n": reg.attendees}
    with in_locale(member_locale(membership.user_id)):
        subject, body = write(values)
    return {"channel": _channel(membership), "to": membership.phone, "kind": kind,
            "user_id": membership.user_id, "subject": subject, "body": body, **extra}


def _channel(membership: Membership) -> str:
    """The first of the member's channels the outbox delivers (SMS when none is)."""
    return next((c for c in membership.channels or [] if c in outbox.CHANNELS), "sms")


def reminder_message(reg: EventRegistration) -> dict:
    """The reminder the day before, in the member's language, ready for the outbox."""
    return _member_message(reg, "event_reminder", lambda v: (
        _("Event reminder: %(title)s", title=v["title"]),
        _("[Member event reminder] %(name)s, “%(title)s”, which you registered for, "
          "takes place on %(when)s at %(venue)s (attendees: %(n)d). If you cannot come, "
          "please cancel your registration in the member area.", **v)))


def seat_message(reg: EventRegistration) -> dict:
    """A waitlisted member got their seat: the notice in their language, for the outbox."""
    return _member_message(reg, "event_seat", lambda v: (
        _("You have a seat: %(title)s", title=v["title"]),
        _("[Member event] %(name)s, a seat opened for “%(title)s” on %(when)s at "
          "%(venue)s: you are registered (attendees: %(n)d). If you cannot come, "
          "please cancel your registration in the member area.", **v)), purpose="service")


def send_due_reminders(now) -> str:
    """Job: registrations for events starting within a day are reminded, once each.

    Each message is built by ``reminder_message`` and queued on the outbox, which
    delivers it after the commit with the member's consent.
    """
    due = db.session.execute(
        sa.select(EventRegistration).join(Event, Event.id == EventRegistration.event_id)
        .where(EventRegistration.status == RS.REGISTERED,
               EventRegistration.reminded_at.is_(None),
               Event.starts_at > now, Event.starts_at <= now + timedelta(days=1))
    ).scalars().all()
    for reg in due:
        outbox.enqueue(**reminder_message(reg), dedupe_key=f"event-reminder:{reg.id}")
        reg.reminded_at = now
    db.session.flush()
    return f"{len(due)} event reminder(s) due"


def save_event(event: Event | None, data: dict, actor: User) -> Event:
    """Create or change an event; capacity cannot drop below the seats already taken."""
    errors = {}
    for name in ("title", "city"):
        if not (data.get(name) or "").strip():
            errors[name] = [str(_l("Please fill this in."))]
    if data.get("starts_at") is None:
        errors["starts_at"] = [str(_l("Please fill this in."))]
    if not data.get("center_id") and not (data.get("address") or "").strip():
        errors["address"] = [str(_l("Choose a store or enter an address."))]
    capacity = data.get("capacity")
    if not isinstance(capacity, int) or not 1 <= capacity <= 10_000:
        errors["capacity"] = [str(_l("From 1 to 10000 people."))]
    elif event is not None and capacity < event.seats_taken:
        errors["capacity"] = [str(_l("%(n)d seats are already taken.", n=event.seats_taken))]
    check_audience(data, errors)
    if errors:
        raise ValidationFailed(errors=errors)
    if event is None:
        event = Event(created_by_id=actor.id, seats_taken=0)
        db.session.add(event)
    event.title = data["title"].strip()[:200]
    event.description = data.get("description") or ""
    event.starts_at, event.ends_at = data["starts_at"], data.get("ends_at")
    event.center_id = data.get("center_id") or None
    event.address = (data.get("address") or "").strip()[:300] or None
    event.city = data["city"].strip()[:40]
    event.capacity = capacity
    event.published = bool(data.get("published", True))
    apply_audience(event, data)
    db.session.flush()
    if event.id is not None:
        promote_waitlist(event)
    return event


def registrations(event: Event) -> list[EventRegistration]:
    return list(db.session.execute(sa.select(EventRegistration).where(
        EventRegistration.event_id == event.id)
        .order_by(EventRegistration.status, EventRegistration.created_at)).scalars())


def attendees_csv(event: Event) -> str:
    """The attendee list for the desk or a partner, as CSV; phones masked
    (``core.privacy.mask_phone``): the list is for the door, a call goes through the 360."""
    out = io.StringIO()
    writer = spreadsheet.writer(out)
    writer.writerow(["card_number", "name", "phone", "attendees", "status", "registered_at",
                     "checked_in_at"])
    for reg in registrations(event):
        m = reg.membership
        writer.writerow([m.card_number, m.name, mask_phone(m.phone), reg.attendees, reg.status,
                         reg.created_at.isoformat(),
                         reg.checked_in_at.isoformat() if reg.checked_in_at else ""])
    return out.getvalue()


def event_figures(event: Event) -> dict:
    """Registrations, people, check-ins, attendance rate, and orders by attendees within
    30 days of the event."""
    regs = registrations(event)
    booked = [r for r in regs if r.status == RS.REGISTERED]
    came = [r for r in booked if r.checked_in_at is not None]
    users = [r.membership.user_id for r in came]
    orders = 0
    if users:
        orders = db.session.execute(sa.select(sa.func.count(Order.id)).where(
            Order.user_id.in_(users), Order.status != OrderStatus.CANCELLED,
            Order.created_at >= event.starts_at,
            Order.created_at < event.starts_at + ORDERS_WINDOW)).scalar_one()
    return {
        "registrations": len(booked), "people": sum(r.attendees for r in booked),
        "waitlisted": sum(1 for r in regs if r.status == RS.WAITLISTED),
        "checked_in": len(came),
        "attendance_rate": round(100 * len(came) / len(booked)) if booked else None,
        "orders_30d": orders,
    }


def all_events(center_id: int | None = None) -> list[Event]:
    """Every event, latest first; with ``center_id``, only that store's."""
    query = sa.select(Event).order_by(Event.starts_at.desc())
    if center_id is not None:
        query = query.where(Event.center_id == center_id)
    return list(db.session.execute(query).scalars())
