"""The desk's JSON routes (under /api/v1/staff): the queue, its steps, and stock counts.

Staff reach their own center only; another center's work answers 404, as if it did not
exist. Orders and products belong to the storefront, which this module does not import:
their public ids and SKUs are read from the tables by name, as the foreign keys do.
"""

from datetime import date

import sqlalchemy as sa
from flask import g, request
from flask_babel import lazy_gettext as _l

from core.api import load_body, load_query, ok, route
from core.auth import api_auth
from core.clock import day_start, shop_today
from core.errors import NotFound, ValidationFailed
from core.extensions import db
from core.models import Role, User

from .. import courier as courier_shipments
from .. import delivery, pickup, services
from ..access import check_center_access
from ..models import Center, Fulfillment, Method, Stock
from ..schemas import (
    DeliveredSchema,
    DeliveryFailedSchema,
    DispatchSchema,
    HandoverSchema,
    StaffFulfillmentSchema,
    StaffQueueQuerySchema,
    StaffQueueSchema,
    StockQuerySchema,
    StockSchema,
    StockUpdateSchema,
)
from .common import DESK_ROLES, STEP_ERRORS, bp, find_product_id

_orders = sa.table("orders", sa.column("id"), sa.column("public_id"), sa.column("number"))


def _order_refs(order_ids) -> dict[int, tuple[str, str]]:
    """``{order id: (public id, number)}`` in one query."""
    ids = list(set(order_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(_orders.c.id, _orders.c.public_id, _orders.c.number)
        .where(_orders.c.id.in_(ids)))
    return {oid: (public_id, number) for oid, public_id, number in rows}


def _dump(items: list[Fulfillment], many: bool = True):
    schema = StaffFulfillmentSchema(many=many, order_refs=_order_refs(f.order_id for f in items),
                                    viewer=g.api_user)
    return schema.dump(items if many else items[0])


@route(bp, "/staff/fulfillments", summary="The center's queue: open work and today's done",
       tag="desk", query=StaffQueueQuerySchema, response=StaffQueueSchema, auth="staff, admin",
       errors=("400:validation_error", "404:not_found"))
@api_auth(*DESK_ROLES)
def queue():
    actor = g.api_user
    args = load_query(StaffQueueQuerySchema())
    if actor.role == Role.STAFF:
        center_ids = [args.get("center_id", actor.center_id)]
    elif "center_id" in args:
        center_ids = [args["center_id"]]
    else:
        center_ids = list(db.session.execute(
            sa.select(Center.id).where(Center.active.is_(True)).order_by(Center.code)).scalars())
    items = []
    for center_id in center_ids:
        check_center_access(actor, center_id)
        items += services.center_queue(center_id, day_start=day_start(shop_today()),
                                       status=args.get("status"), method=args.get("method"))
    return ok({"items": _dump(items)})


def _fulfillment(fulfillment_id: int) -> Fulfillment:
    f = db.session.get(Fulfillment, fulfillment_id)
    if f is None:
        raise NotFound()
    check_center_access(g.api_user, f.center_id)
    return f


def _step(fulfillment_id: int, action) -> tuple:
    f = action(_fulfillment(fulfillment_id))
    body = _dump([f], many=False)
    db.session.commit()
    return ok(body)


@route(bp, "/staff/fulfillments/<int:fulfillment_id>/ready", ("POST",),
       summary="Packed: ready for pickup (the shopper gets the code)", tag="desk",
       response=StaffFulfillmentSchema, auth="staff, admin", errors=STEP_ERRORS)
@api_auth(*DESK_ROLES)
def mark_ready(fulfillment_id: int):
    return _step(fulfillment_id, lambda f: services.mark_ready(f, g.api_user))


@route(bp, "/staff/fulfillments/<int:fulfillment_id>/handover", ("POST",),
       summary="Hand over against the shopper's pickup code (all, or some lines now)",
       tag="desk", body=HandoverSchema, response=StaffFulfillmentSchema, auth="staff, admin",
       errors=("400:wrong_code", "400:validation_error", *STEP_ERRORS, "409:wrong_amount",
               "422:payment_method_required", "429:too_many_attempts"))
@api_auth(*DESK_ROLES)
def hand_over(fulfillment_id: int):
    f = _fulfillment(fulfillment_id)
    data = load_body(HandoverSchema())
    collector = data.get("collector") or {}
    lines = ({ln["line_id"]: ln["quantity"] for ln in data["lines"]} if "lines" in data
             else None)
    pickup.collect(f, data["code"], g.api_user, lines=lines,
                   collector_name=collector.get("name"), collector_phone=collector.get("phone"),
                   collected=data.get("collected"))
    body = _dump([f], many=False)
    db.session.commit()
    return ok(body)


def _lot_of(raw: dict | None) -> dict | None:
    """The lot of a stock count, its dates read (a bad one is a validation error)."""
    if not raw:
        return None
    lot = {"lot_id": raw.get("lot_id") if isinstance(raw.get("lot_id"), int) else None,
           "batch": str(raw.get("batch") or "")}
    for name in ("expires_on", "produced_on"):
        value = raw.get(name)
        try:
            lot[name] = date.fromisoformat(value) if value else None
        except (TypeError, ValueError):
            raise ValidationFailed(errors={"lot": {name: [str(_l("Use YYYY-MM-DD."))]}}) from None
    return lot


@route(bp, "/staff/fulfillments/<int:fulfillment_id>/dispatch", ("POST",),
       summary="A courier (a staff member of the center) leaves with the delivery", tag="desk",
       body=DispatchSchema, response=StaffFulfillmentSchema, auth="staff, admin",
       errors=("400:validation_error", *STEP_ERRORS))
@api_auth(*DESK_ROLES)
def dispatch(fulfillment_id: int):
    f = _fulfillment(fulfillment_id)
    data = load_body(DispatchSchema()) if request.get_data() else {}
    if f.method == Method.COURIER:
        courier_shipments.ship(f, g.api_user, carrier=data.get("carrier", ""),
                               tracking_number=data.get("tracking_number", ""))
        body = _dump([f], many=False)
        db.session.commit()
        return ok(body)
    courier = None
    if data.get("courier_id") is not None:
        courier = db.session.get(User, data["courier_id"])
        if courier is None:
            raise ValidationFailed(errors={"courier_id": [str(_l("No such staff member."))]})
    services.dispatch(f, g.api_user, courier)
    body = _dump([f], many=False)
    db.session.commit()
    return ok(body)


@route(bp, "/staff/fulfillments/<int:fulfillment_id>/delivered", ("POST",),
       summary="Delivered to the door (who took it, cash taken)", tag="desk",
       body=DeliveredSchema, response=StaffFulfillmentSchema, auth="staff, admin",
       errors=("400:validation_error", *STEP_ERRORS, "409:wrong_amount",
               "422:payment_method_required"))
@api_auth(*DESK_ROLES)
def delivered(fulfillment_id: int):
    f = _fulfillment(fulfillment_id)
    data = load_body(DeliveredSchema()) if request.get_data() else {}
    services.mark_delivered(f, g.api_user, received_by=data.get("received_by"),
                            collected=data.get("collected"))
    body = _dump([f], many=False)
    db.session.commit()
    return ok(body)


@route(bp, "/staff/fulfillments/<int:fulfillment_id>/failed", ("POST",),
       summary="A delivery attempt failed: back to the queue, with a reason and a new slot",
       tag="desk", body=DeliveryFailedSchema, response=StaffFulfillmentSchema,
       auth="staff, admin",
       errors=("400:validation_error", *STEP_ERRORS, "409:slot_unavailable"))
@api_auth(*DESK_ROLES)
def delivery_failed(fulfillment_id: int):
    f = _fulfillment(fulfillment_id)
    data = load_body(DeliveryFailedSchema())
    delivery.fail_delivery(f, g.api_user, reason=data["reason"], new_slot_id=data.get("slot_id"))
    body = _dump([f], many=False)
    db.session.commit()
    return ok(body)


@route(bp, "/staff/stock/<sku>", ("PUT",), summary="Set what the center holds after a count",
       tag="desk", body=StockUpdateSchema, query=StockQuerySchema, response=StockSchema,
       auth="staff, admin", errors=("400:validation_error", "404:not_found"))
@api_auth(*DESK_ROLES)
def set_stock(sku: str):
    actor = g.api_user
    data = load_body(StockUpdateSchema())
    center_id = data.get("center_id") or load_query(StockQuerySchema()).get("center_id")
    if center_id is None:
        if actor.role != Role.STAFF:
            raise ValidationFailed(errors={"center_id": [str(_l("Name the center."))]})
        center_id = actor.center_id
    check_center_access(actor, center_id)
    if db.session.get(Center, center_id) is None:
        raise NotFound()
    product_id = find_product_id(sku)
    if product_id is None:
        raise NotFound()
    row: Stock = services.set_stock(center_id, product_id, data["on_hand"], actor,
                                    lot=_lot_of(data.get("lot")))
    body = StockSchema().dump({"sku": sku, "center_id": center_id, "on_hand": row.on_hand,
                               "reserved": row.reserved, "available": row.available})
    db.session.commit()
    return ok(body)
