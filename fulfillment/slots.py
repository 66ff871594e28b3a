"""Pickup and delivery time slots: opening them from weekly windows, offering, holding places.

A slot's ``taken`` rises with one conditional UPDATE (``WHERE taken < capacity``), in the
order's transaction, exactly like stock: two checkouts racing for the last place cannot
both win, on SQLite and on PostgreSQL.
"""

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from core.clock import shop_date, shop_today, shop_zone, utcnow
from core.errors import ValidationFailed
from core.extensions import db

from .errors import SlotUnavailable
from .models import Center, Method, Slot, SlotWindow


def _lead(now: datetime) -> datetime:
    """The earliest start still offered: a slot must leave the center time to prepare."""
    return now + timedelta(minutes=current_app.config.get("SLOT_LEAD_MINUTES", 60))


def offered_slots(center_id: int, kind: str, *, now: datetime, limit: int = 40) -> list[Slot]:
    """The center's slots of ``kind`` that start late enough and still have room."""
    return list(db.session.execute(
        sa.select(Slot).where(Slot.center_id == center_id, Slot.kind == kind,
                              Slot.starts_at >= _lead(now), Slot.taken < Slot.capacity)
        .order_by(Slot.starts_at).limit(limit)
    ).scalars())


def slots_by_center(center_ids: list[int], kind: str, *, now: datetime,
                    per_center: int = 12) -> dict[int, list[Slot]]:
    """``{center_id: [slots on offer]}`` for a list of centers, in one query."""
    if not center_ids:
        return {}
    rows = db.session.execute(
        sa.select(Slot).where(Slot.center_id.in_(center_ids), Slot.kind == kind,
                              Slot.starts_at >= _lead(now), Slot.taken < Slot.capacity)
        .order_by(Slot.center_id, Slot.starts_at)
    ).scalars()
    result: dict[int, list[Slot]] = {cid: [] for cid in center_ids}
    for slot in rows:
        if len(result[slot.center_id]) < per_center:
            result[slot.center_id].append(slot)
    return result


def upcoming_slots(center_id: int, *, now: datetime, days: int,
                   kind: str | None = None) -> list[Slot]:
    """The center's slots not yet over that start within ``days`` of ``now``, in time order."""
    query = (sa.select(Slot).where(Slot.center_id == center_id, Slot.ends_at >= now,
                                   Slot.starts_at < now + timedelta(days=days))
             .order_by(Slot.starts_at, Slot.kind, Slot.id))
    if kind:
        query = query.where(Slot.kind == kind)
    return list(db.session.execute(query).scalars())


def has_slots(center_id: int, kind: str, *, now: datetime) -> bool:
    """Whether the center works with slots of this kind at all (any slot from now on)."""
    return db.session.execute(
        sa.select(Slot.id).where(Slot.center_id == center_id, Slot.kind == kind,
                                 Slot.ends_at >= now).limit(1)
    ).first() is not None


def reserve_slot(slot_id: int, *, center_id: int, kind: str, now: datetime) -> Slot:
    """Hold one place in the slot for an order, or raise ``SlotUnavailable``.

    One conditional UPDATE: the slot must be this center's, of this kind, far enough ahead
    and not full; a row count of 0 means it is not (another checkout took the last place).
    """
    result = db.session.execute(
        sa.update(Slot)
        .where(Slot.id == slot_id, Slot.center_id == center_id, Slot.kind == kind,
               Slot.starts_at >= _lead(now), Slot.taken < Slot.capacity)
        .values(taken=Slot.taken + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise SlotUnavailable(extra={"slot_id": slot_id})
    slot = db.session.get(Slot, slot_id)
    db.session.refresh(slot)
    return slot


def release_slot(slot_id: int | None) -> None:
    """Give an order's place in its slot back (cancelled, expired, rescheduled)."""
    if slot_id is None:
        return
    db.session.execute(
        sa.update(Slot).where(Slot.id == slot_id, Slot.taken > 0)
        .values(taken=Slot.taken - 1).execution_options(synchronize_session=False)
    )


def _at(day: date, hhmm: str) -> datetime:
    hours, minutes = (int(x) for x in hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hours, minutes, tzinfo=shop_zone())


def open_slots(center: Center, *, today: date, days: int) -> int:
    """Create the dated slots of the next ``days`` local days from the center's windows.

    Skips days the center is closed (weekly hours, holidays) and windows outside the
    day's opening hours; slots already there are left as they are. Returns how many it made.
    """
    windows = list(db.session.execute(
        sa.select(SlotWindow).where(SlotWindow.center_id == center.id)).scalars())
    if not windows:
        return 0
    existing = set(db.session.execute(
        sa.select(Slot.kind, Slot.starts_at).where(
            Slot.center_id == center.id, Slot.starts_at >= _at(today, "00:00"))).all())
    existing = {(kind, start.astimezone(shop_zone())) for kind, start in existing}
    now = utcnow()
    made = 0
    for offset in range(days):
        day = today + timedelta(days=offset)
        hours = center.hours_on(day)
        if hours is None:
            continue
        for w in windows:
            if w.weekday is not None and w.weekday != day.weekday():
                continue
            if w.kind == Method.PICKUP and not (hours[0] <= w.starts and w.ends <= hours[1]):
                continue  # a pickup needs the store open
            starts = _at(day, w.starts)
            if (w.kind, starts) in existing or _at(day, w.ends) <= now:
                continue
            db.session.add(Slot(center_id=center.id, window_id=w.id, kind=w.kind,
                                starts_at=starts, ends_at=_at(day, w.ends),
                                capacity=w.capacity, taken=0))
            existing.add((w.kind, starts))
            made += 1
    db.session.flush()
    return made


def open_slots_job(now: datetime) -> str:
    """Job: keep every active center's slots open for the configured days ahead."""
    days = current_app.config.get("SLOT_DAYS_AHEAD", 7)
    today = shop_date(now)
    centers = db.session.execute(sa.select(Center).where(Center.active.is_(True))).scalars()
    made = sum(open_slots(c, today=today, days=days) for c in centers)
    return f"{made} slot(s) opened"


WEEKDAYS = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
            _l("Saturday"), _l("Sunday"))


def add_window(center: Center, *, kind: str, weekday: int | None, starts: str, ends: str,
               capacity: int) -> SlotWindow:
    """A new weekly window, and its slots for the days ahead."""
    errors = {}
    if kind not in Method.SLOT_KINDS:
        errors["kind"] = [str(_l("Choose pickup or delivery."))]
    if weekday is not None and not 0 <= weekday <= 6:
        errors["weekday"] = [str(_l("Choose a day of the week."))]
    if not (isinstance(starts, str) and isinstance(ends, str) and starts < ends):
        errors["ends"] = [str(_l("The window must end after it starts."))]
    if not isinstance(capacity, int) or not 1 <= capacity <= 1000:
        errors["capacity"] = [str(_l("Enter a whole number from 1 to 1000."))]
    if errors:
        raise ValidationFailed(errors=errors)
    window = SlotWindow(center_id=center.id, kind=kind, weekday=weekday, starts=starts,
                        ends=ends, capacity=capacity)
    db.session.add(window)
    db.session.flush()
    open_slots(center, today=shop_today(),
               days=current_app.config.get("SLOT_DAYS_AHEAD", 7))
    return window


def remove_window(window: SlotWindow, *, now: datetime) -> None:
    """Stop a window: its future slots nobody holds go; slots with orders stay."""
    db.session.execute(
        sa.delete(Slot).where(Slot.window_id == window.id, Slot.ends_at > now,
                              Slot.taken == 0).execution_options(synchronize_session=False))
    db.session.delete(window)
    db.session.flush()


def slot_label(slot: Slot) -> str:
    """"Sat 11-29 10:00-12:00" in the shop's zone (the page formats it for its locale)."""
    start, end = slot.starts_at.astimezone(shop_zone()), slot.ends_at.astimezone(shop_zone())
    return f"{start:%m-%d} {start:%H:%M}-{end:%H:%M}"
