"""The counter API for a store's tablet (on ``/api/v1``): sell (honouring an
``Idempotency-Key`` as ``POST /orders`` does), read a sale, take goods back."""

import sqlalchemy as sa
from flask import g, request
from flask_babel import lazy_gettext as _l

from core.api import load_body, ok, route
from core.auth import api_auth
from core.errors import NotFound, ValidationFailed
from core.extensions import db
from core.models import Role
from fulfillment.models import Center
from fulfillment.schemas import plain_key

from ..api import bp
from ..idempotency import hold_key, stored_response
from ..models import Channel, Order
from . import desk
from .aisle import sell_for_transfer, sell_from_elsewhere
from .returns import return_at_counter
from .sales import check_sale_access, sell_at_counter
from .schemas import ReturnCreateSchema, SaleCreateSchema, SaleSchema

IDEMPOTENCY_HEADER = "Idempotency-Key"
#: keys of this route live beside those of ``POST /orders`` under their own prefix
KEY_PREFIX = "sale:"
SALE_ERRORS = ("400:validation_error", "400:overpaid", "400:underpaid", "404:unknown_member",
               "409:insufficient_stock", "409:insufficient_points",
               "409:idempotency_conflict", "409:courier_unavailable",
               "422:no_center_serves_address", "422:below_minimum_order")


def _key() -> str | None:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    key = key.strip()
    if not 1 <= len(key) <= 200 or not key.isprintable():
        raise ValidationFailed(errors={IDEMPOTENCY_HEADER: [
            str(_l("Between 1 and 200 characters."))]})
    return KEY_PREFIX + key


@route(bp, "/staff/sales", ("POST",), summary="Sell at the clerk's own store's counter, paid "
       "on the spot (honours Idempotency-Key)", tag="counter", body=SaleCreateSchema,
       response=SaleSchema, status=201, auth="staff", errors=SALE_ERRORS)
@api_auth(Role.STAFF)
def create_sale():
    clerk = g.api_user
    key = _key()
    if key is not None:
        replay = stored_response(clerk.id, key)
        if replay is not None:
            return replay
    data = load_body(SaleCreateSchema())
    record = None
    if key is not None:
        record, replay = hold_key(clerk.id, key)
        if replay is not None:
            return replay
    member = None
    who = data.get("card_number") or data.get("phone")
    if who:
        member = desk.find_member(who).user
    center = db.session.get(Center, clerk.center_id) if clerk.center_id else None
    if data.get("collect_here") is not None:
        order = sell_for_transfer(center, clerk, data["lines"], member=member,
                                  contact=data["collect_here"].get("contact"),
                                  payments=data["payments"], points=data["points"],
                                  note=data.get("note"))
    elif data.get("deliver"):
        order = sell_from_elsewhere(center, clerk, data["lines"], member=member,
                                    method=data["deliver"]["method"],
                                    address=data["deliver"]["address"],
                                    payments=data["payments"], points=data["points"],
                                    note=data.get("note"))
    else:
        order = sell_at_counter(center, clerk, data["lines"], member=member,
                                payments=data["payments"], points=data["points"],
                                note=data.get("note"))
    body = SaleSchema().dump(order)
    if record is not None:
        record.status_code, record.response = 201, body
    db.session.commit()
    return ok(body, 201)


def _sale(public_id: str) -> Order:
    if not plain_key(public_id):
        raise NotFound()
    order = db.session.execute(sa.select(Order).where(
        Order.public_id == public_id, Order.channel == Channel.STORE)).scalar_one_or_none()
    if order is None:
        raise NotFound()
    check_sale_access(g.api_user, order)
    return order


@route(bp, "/staff/sales/<public_id>", summary="One counter sale: lines, payments, change, "
       "refunds", tag="counter", response=SaleSchema, auth="staff, admin",
       errors=("404:not_found",))
@api_auth(Role.STAFF, Role.ADMIN)
def sale_detail(public_id: str):
    return ok(SaleSchema().dump(_sale(public_id)))


@route(bp, "/staff/sales/<public_id>/returns", ("POST",), summary="Goods brought back against "
       "the receipt: into their lots, refunded the way they were paid", tag="counter",
       body=ReturnCreateSchema, response=SaleSchema, status=201, auth="staff",
       errors=("400:validation_error", "404:not_found", "409:return_window_closed",
               "409:nothing_to_refund"))
@api_auth(Role.STAFF)
def sale_return(public_id: str):
    order = _sale(public_id)
    data = load_body(ReturnCreateSchema())
    by_sku = {line.sku: line.id for line in order.lines}
    unknown = [ln["sku"] for ln in data["lines"] if ln["sku"] not in by_sku]
    if unknown:
        raise ValidationFailed(errors={"lines": [str(_l("Not a line of this sale: %(skus)s",
                                                         skus=", ".join(unknown)))]})
    units: dict[int, int] = {}
    for ln in data["lines"]:
        units[by_sku[ln["sku"]]] = units.get(by_sku[ln["sku"]], 0) + ln["quantity"]
    return_at_counter(order, g.api_user, units, reason=data["reason"])
    body = SaleSchema().dump(order)
    db.session.commit()
    return ok(body, 201)
