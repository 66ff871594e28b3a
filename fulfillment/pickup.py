"""The pickup desk's richer hand-over: part of the order now, someone else collecting, and
the offline payment taken; and the job that returns uncollected pickups to stock.
"""

import re
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from core.errors import ValidationFailed
from core.extensions import db
from core.models import User
from core.signals import fulfillment_no_show, fulfillment_part_collected

from .access import check_center_access, lock_fulfillment, lock_fulfillments, require_state
from .dues import check_collected, require_collected
from .ledger import record_movement
from .lots import consume_line_lots
from .models import Fulfillment, FulfillmentStatus, Method, MovementKind, Stock
from .services import cancel_fulfillment, check_code, complete_pickup, release_reservation

_PHONE = re.compile(r"^\+?[\d\s-]{6,20}$")


def collect(f: Fulfillment, code: str, actor: User, *, lines: dict[int, int] | None = None,
            collector_name: str | None = None, collector_phone: str | None = None,
            collected: dict | None = None) -> Fulfillment:
    """Hand over against the code: all of it, or ``lines`` ``{line id: units}`` now.

    A partial collection turns those units into sold ones and leaves the rest reserved
    (the order stays ready, the code stays valid). Someone collecting for the shopper
    leaves a name and phone. ``collected`` (``{"method", "amount"}``) is the offline
    payment the clerk took: for the part taken (sent with ``fulfillment_part_collected``),
    or for the rest when the last units leave (with ``fulfillment_completed``). Without an
    amount it is ``dues.amount_due`` (nothing is recorded when that is 0); another amount
    than that is refused (``dues.check_collected``), nothing changed. The last units never
    leave an order that still owes money without it: no way of paying is assumed.

    Locked and read again first (``lock_fulfillment``): the no-show job releasing the same
    pickup at that moment either got there first (the hand-over is refused) or waits.
    """
    check_center_access(actor, f.center_id)
    lock_fulfillment(f)
    require_state(f, method=Method.PICKUP, states=(FulfillmentStatus.READY,))
    name, phone = (collector_name or "").strip(), (collector_phone or "").strip()
    if name or phone:
        errors = {}
        if not name or len(name) > 100:
            errors["collector_name"] = [str(_l("Write the name of the person collecting."))]
        if not _PHONE.match(phone):
            errors["collector_phone"] = [str(_l("Write their phone number."))]
        if errors:
            raise ValidationFailed(errors=errors)
    by_id = {line.id: line for line in f.lines}
    taking = {}
    for line_id, units in (lines or {}).items():
        line = by_id.get(line_id)
        if line is None or not isinstance(units, int) or not 0 <= units <= line.remaining:
            raise ValidationFailed(errors={"lines": [str(_l(
                "Choose at most what is still waiting of each line."))]})
        if units:
            taking[line_id] = units
    if lines is not None and not taking:
        raise ValidationFailed(errors={"lines": [str(_l("Choose what the customer takes."))]})
    everything = lines is None or all(taking.get(ln.id, 0) == ln.remaining
                                      for ln in f.lines if ln.remaining)
    collected = check_collected(f, collected, lines)
    check_code(f, code)
    if everything:  # the last units never leave while money is owed without how it was paid
        collected = require_collected(f, collected, lines)
    if name:
        f.collector_name, f.collector_phone = name, phone
    if everything:
        return complete_pickup(f, actor, collected)
    for line_id, units in sorted(taking.items()):
        line = by_id[line_id]
        db.session.execute(
            sa.update(Stock).where(Stock.center_id == f.center_id,
                                   Stock.product_id == line.product_id)
            .values(on_hand=Stock.on_hand - units, reserved=Stock.reserved - units)
            .execution_options(synchronize_session=False))
        record_movement(f.center_id, line.product_id, MovementKind.SOLD, on_hand=-units,
                        reserved=-units, actor_id=actor.id, fulfillment_id=f.id,
                        reason="partly collected")
        consume_line_lots(line, units)
        line.collected_quantity += units
    db.session.flush()
    fulfillment_part_collected.send(f, lines=taking, collected=collected, actor_id=actor.id)
    return f


def release_no_shows(now: datetime) -> str:
    """Job: pickups ready for longer than ``PICKUP_NO_SHOW_DAYS`` go back to stock.

    Each is cancelled (its reservation, lots and slot released, as the system) and
    ``fulfillment_no_show`` is sent, for the CRM to ask why. One the shopper took part of
    counts as picked up for that part: only what still waits goes back to stock.
    """
    days = current_app.config.get("PICKUP_NO_SHOW_DAYS", 7)
    cutoff = now - timedelta(days=days)
    found = db.session.execute(
        sa.select(Fulfillment).where(Fulfillment.method == Method.PICKUP,
                                     Fulfillment.status == FulfillmentStatus.READY,
                                     Fulfillment.ready_at < cutoff).order_by(Fulfillment.id)
    ).scalars().all()
    lock_fulfillments(found)  # a clerk handing one over now finished first, or waits
    stale = [f for f in found if f.status == FulfillmentStatus.READY and f.ready_at < cutoff]
    for f in stale:
        if any(line.collected_quantity for line in f.lines):
            close_part_collected(f, now)
        else:
            cancel_fulfillment(f, reason="no_show")
        fulfillment_no_show.send(f)
    db.session.flush()
    return f"{len(stale)} uncollected pickup(s) returned to stock"


def close_part_collected(f: Fulfillment, now: datetime, *, actor_id: int | None = None,
                         reason: str = "no_show") -> None:
    """The shopper took part and will not take the rest (never came back, or the order was
    cancelled at the desk): the rest returns to stock (reservation, lots and slot released)
    and the pickup ends as picked up."""
    release_reservation(f, actor_id=actor_id, reason=reason)
    f.status = FulfillmentStatus.PICKED_UP
    f.completed_at = now
