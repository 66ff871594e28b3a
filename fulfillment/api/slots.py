"""JSON API of the center's time slots for staff (under /api/v1/staff): places booked and
left in the days ahead. Staff read their own center's; another center's answers 404, as
for transfers."""


from flask import current_app
from marshmallow import Schema, fields, validate

from core.api import load_query, ok, route
from core.auth import api_auth
from core.clock import utcnow

from ..models import Method
from ..schemas import record_id
from ..slots import upcoming_slots
from .common import CENTER_ERRORS, DESK_ROLES, bp, own_center

#: the furthest ahead a staff member may look, in days
MAX_DAYS = 60


class StaffSlotQuerySchema(Schema):
    days = fields.Integer(validate=validate.Range(min=1, max=MAX_DAYS), metadata={
        "description": "Days ahead from today (default SLOT_DAYS_AHEAD)."})
    kind = fields.String(validate=validate.OneOf((Method.PICKUP, Method.DELIVERY)))
    center_id = record_id(metadata={"description": "Admins: which center (staff: their own)."})


class StaffSlotSchema(Schema):
    id = fields.Integer()
    kind = fields.String(validate=validate.OneOf((Method.PICKUP, Method.DELIVERY)))
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    capacity = fields.Integer()
    booked = fields.Integer(attribute="taken", metadata={"description": "Orders holding a place."})
    left = fields.Method("_left", metadata={"type": "integer"})

    def _left(self, slot) -> int:
        return max(slot.capacity - slot.taken, 0)


class StaffSlotListSchema(Schema):
    center_id = fields.Integer()
    items = fields.List(fields.Nested(StaffSlotSchema))


@route(bp, "/staff/slots", summary="The center's slots in the days ahead: booked and left",
       tag="desk", query=StaffSlotQuerySchema, response=StaffSlotListSchema,
       auth="staff, admin", errors=CENTER_ERRORS)
@api_auth(*DESK_ROLES)
def slot_list():
    args = load_query(StaffSlotQuerySchema())
    center_id = own_center(args.get("center_id"))
    now = utcnow()
    days = args.get("days") or current_app.config.get("SLOT_DAYS_AHEAD", 7)
    slots = upcoming_slots(center_id, now=now, days=days, kind=args.get("kind"))
    return ok(StaffSlotListSchema().dump({"center_id": center_id, "items": slots}))
