"""The desk's queue by slot: the open work of a tab grouped by its pickup or delivery window.

Groups come in slot order (the earliest window first); orders without a slot form a group
of their own after them. Within a group, what still needs preparing comes first.
"""

from dataclasses import dataclass, field
from datetime import date

from .models import Fulfillment, FulfillmentStatus, Slot

#: the order of work inside a slot: prepare, then wait for the customer or the courier
_STAGE = {FulfillmentStatus.RESERVED: 0, FulfillmentStatus.READY: 1,
          FulfillmentStatus.DISPATCHED: 1}


@dataclass
class SlotGroup:
    """One window's orders (``slot`` None: no window chosen)."""

    slot: Slot | None
    #: the window is on the day the desk works (its heading then shows the times only)
    today: bool
    items: list[Fulfillment] = field(default_factory=list)


def group_by_slot(items: list[Fulfillment], *, today: date, zone) -> list[SlotGroup]:
    """Open fulfillments grouped by slot, in slot order; those without one last.

    Reads each fulfillment's ``slot`` (load it with the list: no query per row).
    """
    groups: dict[int | None, SlotGroup] = {}
    for f in items:
        if not f.is_open:
            continue
        key = f.slot_id
        if key not in groups:
            slot = f.slot if key is not None else None
            on_day = slot is not None and slot.starts_at.astimezone(zone).date() == today
            groups[key] = SlotGroup(slot=slot, today=on_day)
        groups[key].items.append(f)
    for group in groups.values():
        group.items.sort(key=lambda f: (_STAGE.get(f.status, 2), f.created_at, f.id))
    # (False, start, id) for slots; (True,) for the group without one: it sorts last and
    # is never compared further.
    return sorted(groups.values(), key=lambda g: (False, g.slot.starts_at, g.slot.id)
                  if g.slot is not None else (True,))
