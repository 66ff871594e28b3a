"""Courier shipments: a warehouse holding every line ships by a carrier (an express company)
to an address no delivery center can take, for a flat fee; its desk dispatches the parcel
with the carrier's name and tracking number, then marks it delivered. What checkout offers
(the warehouse and the fee: ``routing.courier_offer``) is routing's.
"""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.clock import utcnow
from core.errors import DomainError, ValidationFailed
from core.extensions import db
from core.models import User

from .access import check_center_access, require_state
from .models import Center, Fulfillment, FulfillmentStatus, Method
from .routing import Decision, Lines, stocked_warehouses


class CourierUnavailable(DomainError):
    """No warehouse holds every line: nothing can ship this order to the address."""

    code = "courier_unavailable"
    status = 409
    message = _l("Sorry, we cannot ship this order to your address: no warehouse holds every "
                 "item. Please choose pickup at a store, or fewer items.")


def decide_courier(address: dict, lines: Lines) -> Decision:
    """The warehouse that ships these lines to ``address``; ``CourierUnavailable`` if none."""
    stocked = stocked_warehouses(lines, address.get("lat"), address.get("lng"))
    if not stocked:
        raise CourierUnavailable()
    runners_up = [{"center_id": o.center.id, "code": o.center.code,
                   "distance_km": o.distance_km} for o in stocked[1:5]]
    return Decision(stocked[0].center, "courier", runners_up)


def warehouse_exists() -> bool:
    """Whether any active warehouse could ship by courier at all."""
    return db.session.execute(sa.select(Center.id).where(
        Center.active.is_(True), Center.is_warehouse.is_(True)).limit(1)).first() is not None


def ship(f: Fulfillment, actor: User, *, carrier: str, tracking_number: str) -> Fulfillment:
    """The warehouse hands the parcel to the carrier: its name and tracking number are kept."""
    check_center_access(actor, f.center_id)
    require_state(f, method=Method.COURIER, states=(FulfillmentStatus.RESERVED,))
    carrier, tracking_number = (carrier or "").strip(), (tracking_number or "").strip()
    errors = {}
    if not carrier or len(carrier) > 60:
        errors["carrier"] = [str(_l("Write the carrier's name (up to 60 characters)."))]
    if not tracking_number or len(tracking_number) > 60:
        errors["tracking_number"] = [str(_l("Write the tracking number (up to 60 characters)."))]
    if errors:
        raise ValidationFailed(errors=errors)
    f.carrier, f.tracking_number = carrier, tracking_number
    f.status = FulfillmentStatus.DISPATCHED
    f.dispatched_at = utcnow()
    f.courier_id = actor.id
    db.session.flush()
    return f
