"""The delivery desk's failed attempts: back to the queue with the reason and a new slot."""

from flask_babel import lazy_gettext as _l

from core.clock import utcnow
from core.errors import ValidationFailed
from core.extensions import db
from core.models import User
from core.signals import delivery_failed

from .access import check_center_access, require_state
from .models import Fulfillment, FulfillmentStatus, Method
from .slots import release_slot, reserve_slot


def fail_delivery(f: Fulfillment, actor: User, *, reason: str,
                  new_slot_id: int | None = None) -> Fulfillment:
    """Nobody took the delivery: it returns to the center's queue, still reserved.

    The attempt and its reason are kept; the old slot's place is given back and, when
    ``new_slot_id`` is given, a place in that slot is held (``SlotUnavailable`` if full).
    Sends ``delivery_failed`` with the reason.
    """
    check_center_access(actor, f.center_id)
    require_state(f, method=Method.DELIVERY, states=(FulfillmentStatus.DISPATCHED,))
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        raise ValidationFailed(errors={"reason": [str(_l(
            "Say why the delivery failed (up to 200 characters)."))]})
    release_slot(f.slot_id)
    f.slot_id = None
    if new_slot_id is not None:
        reserve_slot(new_slot_id, center_id=f.center_id, kind=Method.DELIVERY, now=utcnow())
        f.slot_id = new_slot_id
    f.status = FulfillmentStatus.RESERVED
    f.dispatched_at = None
    f.courier_id = None
    f.failed_attempts = (f.failed_attempts or 0) + 1
    f.last_failure_reason = reason
    db.session.flush()
    delivery_failed.send(f, reason=reason)
    return f
