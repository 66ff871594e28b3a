"""JSON API of transfers between centers and low-stock alerts (under /api/v1/staff).

Staff act for their own center: they request transfers into it, ship those out of it,
receive those into it; a transfer their center takes no part in answers 404.
"""

from flask import g
from flask_babel import lazy_gettext as _l

from core.api import load_body, load_query, ok, route
from core.auth import api_auth
from core.errors import NotFound, ValidationFailed
from core.extensions import db

from .. import transfers
from ..models import Center
from ..schemas import (
    AlertSchema,
    LowStockSchema,
    StockQuerySchema,
    TransferCreateSchema,
    TransferListSchema,
    TransferQuerySchema,
    TransferSchema,
)
from .common import CENTER_ERRORS, DESK_ROLES, STEP_ERRORS, bp, find_product_id, own_center, skus_of


def _product_id(sku: str) -> int:
    product_id = find_product_id(sku)
    if product_id is None:
        raise ValidationFailed(errors={"sku": [str(_l("Unknown product."))]})
    return product_id


def _center(center_id: int) -> Center:
    center = db.session.get(Center, center_id)
    if center is None or not center.active:
        raise ValidationFailed(errors={"center_id": [str(_l("Unknown center."))]})
    return center


def _dump(transfer) -> dict:
    return TransferSchema(skus=skus_of([transfer.product_id])).dump(transfer)


@route(bp, "/staff/transfers", summary="Transfers into and out of the center", tag="desk",
       query=TransferQuerySchema, response=TransferListSchema, auth="staff, admin",
       errors=CENTER_ERRORS)
@api_auth(*DESK_ROLES)
def transfer_list():
    args = load_query(TransferQuerySchema())
    center_id = own_center(args.get("center_id"))
    items = transfers.transfers_of(center_id, g.api_user, open_only=args.get("open", False))
    skus = skus_of(t.product_id for t in items)
    return ok({"items": TransferSchema(many=True, skus=skus).dump(items)})


@route(bp, "/staff/transfers", ("POST",), summary="Ask another center for units",
       tag="desk", body=TransferCreateSchema, response=TransferSchema, status=201,
       auth="staff, admin", errors=CENTER_ERRORS)
@api_auth(*DESK_ROLES)
def transfer_request():
    data = load_body(TransferCreateSchema())
    to_center = _center(own_center(data.get("to_center_id")))
    transfer = transfers.request_transfer(
        from_center=_center(data["from_center_id"]), to_center=to_center,
        product_id=_product_id(data["sku"]), quantity=data["quantity"], actor=g.api_user,
        note=data.get("note"))
    body = _dump(transfer)
    db.session.commit()
    return ok(body, 201)


def _transfer_step(transfer_id: int, step) -> tuple:
    transfer = step(transfers.get_transfer(transfer_id, g.api_user), g.api_user)
    body = _dump(transfer)
    db.session.commit()
    return ok(body)


@route(bp, "/staff/transfers/<int:transfer_id>/ship", ("POST",),
       summary="The sending center ships the units", tag="desk", response=TransferSchema,
       auth="staff, admin", errors=(*STEP_ERRORS, "409:insufficient_stock"))
@api_auth(*DESK_ROLES)
def transfer_ship(transfer_id: int):
    return _transfer_step(transfer_id, transfers.ship_transfer)


@route(bp, "/staff/transfers/<int:transfer_id>/receive", ("POST",),
       summary="The requesting center receives the units", tag="desk", response=TransferSchema,
       auth="staff, admin", errors=STEP_ERRORS)
@api_auth(*DESK_ROLES)
def transfer_receive(transfer_id: int):
    return _transfer_step(transfer_id, transfers.receive_transfer)


@route(bp, "/staff/transfers/<int:transfer_id>/cancel", ("POST",),
       summary="Call off a transfer not shipped yet", tag="desk", response=TransferSchema,
       auth="staff, admin", errors=STEP_ERRORS)
@api_auth(*DESK_ROLES)
def transfer_cancel(transfer_id: int):
    return _transfer_step(transfer_id, transfers.cancel_transfer)


@route(bp, "/staff/stock/low", summary="Products below their alert level", tag="desk",
       query=StockQuerySchema, response=LowStockSchema, auth="staff, admin", errors=CENTER_ERRORS)
@api_auth(*DESK_ROLES)
def stock_low():
    center_id = own_center(load_query(StockQuerySchema()).get("center_id"))
    rows = transfers.low_stock(center_id)
    skus = skus_of(r.product_id for r in rows)
    return ok(LowStockSchema().dump({"items": [
        {"sku": skus.get(r.product_id), "on_hand": r.on_hand, "reserved": r.reserved,
         "available": r.available, "alert_below": r.alert_below} for r in rows]}))


@route(bp, "/staff/stock/<sku>/alert", ("PUT",), summary="Set a product's low-stock level",
       tag="desk", body=AlertSchema, auth="staff, admin", errors=CENTER_ERRORS)
@api_auth(*DESK_ROLES)
def stock_alert(sku: str):
    data = load_body(AlertSchema())
    center_id = own_center(data.get("center_id"))
    try:
        product_id = _product_id(sku)
    except ValidationFailed:
        raise NotFound() from None
    row = transfers.set_alert(center_id, product_id, data["alert_below"], g.api_user)
    body = {"sku": sku, "center_id": center_id, "alert_below": row.alert_below}
    db.session.commit()
    return ok(body)
