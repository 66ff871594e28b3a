"""JSON API of storefront (under /api/v1): accounts, catalog, centers, orders, VIP signup.

Each view validates with a schema, calls services, commits once, and dumps with a schema.
"""

import threading
from collections import Counter

import sqlalchemy as sa
from flask import g, request
from flask_babel import lazy_gettext as _l

from core.api import api_blueprint, load_body, load_query, ok, route
from core.auth import api_auth
from core.clock import utcnow
from core.database import commit_answered
from core.errors import NotFound, ValidationFailed
from core.extensions import db
from fulfillment.errors import InsufficientStock
from fulfillment.models import Method
from fulfillment.routing import pickup_options
from fulfillment.schemas import (
    CenterListSchema,
    CenterOptionSchema,
    CenterQuerySchema,
    plain_key,
)

from . import catalog, coupons, idempotency, orders
from .addresses.services import saved_delivery_address
from .loyalty import membership
from .loyalty.tiers import catalog_prices
from .models import Product
from .payments import refunds
from .schemas import (
    CouponListSchema,
    CouponSchema,
    MembershipSchema,
    MeSchema,
    OrderCreateSchema,
    OrderDetailSchema,
    OrderListSchema,
    OrderSchema,
    ProductDetailSchema,
    ProductPageSchema,
    ProductQuerySchema,
    ProductSchema,
    VipSignupSchema,
)

bp = api_blueprint("storefront_api", __name__)

IDEMPOTENCY_HEADER = "Idempotency-Key"


# --- accounts --------------------------------------------------------------------------------


@route(bp, "/me", summary="Who I am, with my VIP membership (or null)", tag="accounts",
       response=MeSchema)
@api_auth()
def me():
    user = g.api_user
    return ok(MeSchema().dump({
        "id": user.id, "email": user.email, "name": user.name, "phone": user.phone,
        "roles": [user.role], "center_id": user.center_id,
        "membership": membership.membership_of(user),
    }))


@route(bp, "/vip/signup", ("POST",), summary="Join the VIP club", tag="accounts",
       body=VipSignupSchema, response=MembershipSchema, status=201,
       errors=("400:validation_error", "409:already_member"))
@api_auth()
def vip_signup():
    data = load_body(VipSignupSchema())
    data["city"] = data.get("city") or None
    member = membership.sign_up_member(g.api_user, **data)
    db.session.commit()
    return ok(MembershipSchema().dump(member), 201)


# --- catalog ---------------------------------------------------------------------------------


def _with_tier_prices(rows: list[dict], products: list[Product]) -> list[dict]:
    """A signed-in member sees their own tier's price as ``member_price``, as on the catalog
    page (absent where they pay the list price); everyone else what a new member pays (the
    entry tier's price)."""
    user = g.get("api_user")
    member = membership.membership_of(user) if user is not None else None
    prices = catalog_prices(products, member.tier if member is not None else None)["prices"]
    for row, product in zip(rows, products, strict=True):
        if product.id in prices:
            row["member_price"] = {"amount": prices[product.id], "currency": product.currency}
        else:
            row.pop("member_price", None)
    return rows


@route(bp, "/products", summary="Products, by category and search (with a member's token, "
       "member_price is their tier's price)", tag="catalog",
       query=ProductQuerySchema, response=ProductPageSchema, auth=False,
       errors=("400:validation_error",))
@api_auth(optional=True)
def products():
    args = load_query(ProductQuerySchema())
    items, pages = catalog.search_products(q=args.get("q"), category=args.get("category"),
                                           page=args["page"])
    return ok({"items": _with_tier_prices(ProductSchema(many=True).dump(items), items),
               "page": min(args["page"], pages), "pages": pages})


@route(bp, "/products/<slug>", summary="One product (with a member's token, member_price is "
       "their tier's price)", tag="catalog",
       response=ProductDetailSchema, auth=False, errors=("404:not_found",))
@api_auth(optional=True)
def product(slug: str):
    if not plain_key(slug):
        raise NotFound()
    item = catalog.product_by_slug(slug)
    return ok(_with_tier_prices([ProductDetailSchema().dump(item)], [item])[0])


@route(bp, "/centers", summary="Centers, nearest first when a location is given",
       tag="catalog", query=CenterQuerySchema, response=CenterListSchema, auth=False,
       errors=("400:validation_error",))
def centers():
    args = load_query(CenterQuerySchema())
    lat, lng = args.get("lat"), args.get("lng")
    if (lat is None) != (lng is None):
        missing = "lng" if lng is None else "lat"
        raise ValidationFailed(errors={missing: [str(_l("Give both lat and lng, or neither."))]})
    lines = _lines_for_skus(args.get("sku") or [])
    options = pickup_options(lines or None, lat, lng, kind=args.get("kind"))
    return ok({"items": CenterOptionSchema(many=True).dump(options)})


def _lines_for_skus(skus: list[str]) -> list[tuple[int, int]]:
    """Repeated SKUs -> (product id, units); an unknown SKU is a validation error."""
    if not skus:
        return []
    wanted = Counter(skus)
    found = dict(db.session.execute(
        sa.select(Product.sku, Product.id).where(Product.sku.in_(list(wanted)),
                                                 Product.active.is_(True))).all())
    unknown = sorted(set(wanted) - set(found))
    if unknown:
        raise ValidationFailed(errors={"sku": [str(_l("Unknown product: %(sku)s", sku=s))
                                               for s in unknown]})
    return [(found[sku], units) for sku, units in wanted.items()]


# --- orders ----------------------------------------------------------------------------------

#: the checkout's schemas, built once: a schema deep-copies its fields at each instantiation,
#: which a flash sale pays for at every order (loading keeps no state on the schema; the
#: order's schema keeps its viewer, so each thread has its own)
_ORDER_CREATE = OrderCreateSchema()
_order_schemas = threading.local()


def _dump_order(order, viewer) -> dict:
    schema = getattr(_order_schemas, "schema", None)
    if schema is None:
        schema = _order_schemas.schema = OrderSchema()
    schema.viewer = viewer
    try:
        return schema.dump(order)
    finally:
        schema.viewer = None


@route(bp, "/orders", ("POST",), summary="Place an order (honours Idempotency-Key)",
       tag="orders", body=OrderCreateSchema, response=OrderSchema, status=201,
       errors=("400:validation_error", "409:insufficient_stock", "409:slot_unavailable",
               "409:insufficient_points", "409:courier_unavailable",
               "409:coupon_invalid", "409:coupon_used", "409:coupon_expired",
               "409:coupon_minimum", "422:no_center_serves_address",
               "422:below_minimum_order", "503:payments_unavailable", "503:busy"))
@api_auth()
def place_order():
    """Validate, place, commit; under an ``Idempotency-Key`` the first response is replayed.

    The key's row is inserted before the order, in the same transaction: a concurrent
    duplicate waits on the unique constraint, fails it once the first commits, and replays
    the stored response. A request that fails rolls its key back, so it may be retried.
    """
    user = g.api_user
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is not None:
        key = key.strip()
        if not 1 <= len(key) <= 255 or not key.isprintable():
            raise ValidationFailed(errors={IDEMPOTENCY_HEADER: [
                str(_l("Between 1 and 255 characters."))]})
        replay = idempotency.stored_response(user.id, key)
        if replay is not None:
            return replay
    data = load_body(_ORDER_CREATE)
    record = None
    if key is not None:
        record, replay = idempotency.hold_key(user.id, key)
        if replay is not None:
            return replay
    answer = {}

    def make_answer(order):
        # before the stock rows: in a flash sale the hot row waits for nothing but the commit
        answer["body"] = _dump_order(order, user)
        if record is not None:
            record.status_code, record.response = 201, answer["body"]
            db.session.flush()

    try:
        orders.place_order(
            user, lines=data["lines"], fulfillment=_fulfillment_choice(user, data["fulfillment"]),
            payment_method=data["payment_method"], note=data.get("note") or None,
            slot_id=data.get("slot_id"), points=data.get("points") or 0,
            coupon=data.get("coupon") or None, before_stock=make_answer)
    except InsufficientStock as err:
        _name_short_lines(err)
        raise
    commit_answered(db.session)
    return ok(answer["body"], 201)


def _fulfillment_choice(user, choice: dict) -> dict:
    if choice["method"] == Method.PICKUP:
        return {"method": Method.PICKUP, "center_id": choice["center_id"]}
    if choice.get("address_id") is not None:
        return {"method": choice["method"], "address": saved_delivery_address(
            user, choice["address_id"])}
    return {"method": choice["method"], "address": choice["address"]}


def _name_short_lines(err: InsufficientStock) -> None:
    """Delivery routing reports short lines by product id; the API names them by SKU."""
    lines = err.extra.get("lines", [])
    ids = [ln["product_id"] for ln in lines if "product_id" in ln]
    if not ids:
        return
    skus = dict(db.session.execute(
        sa.select(Product.id, Product.sku).where(Product.id.in_(ids))).all())
    for line in lines:
        if "product_id" in line:
            line["sku"] = skus.get(line.pop("product_id"))


def _visible_order(public_id: str):
    """The order, if this caller may see it; anyone else is told it does not exist."""
    if not plain_key(public_id):
        raise NotFound()
    order = orders.get_order(public_id)
    if not orders.can_view(order, g.api_user):
        raise NotFound()
    return order


@route(bp, "/orders/<public_id>", summary="One order, with its payment timeline and refunds",
       tag="orders", response=OrderDetailSchema, errors=("404:not_found",))
@api_auth()
def order_detail(public_id: str):
    return ok(OrderDetailSchema(viewer=g.api_user).dump(_visible_order(public_id)))


@route(bp, "/me/orders", summary="My orders, newest first", tag="orders",
       response=OrderListSchema)
@api_auth()
def my_orders():
    user = g.api_user
    return ok({"items": OrderSchema(many=True, viewer=user).dump(orders.orders_of(user))})


@route(bp, "/me/coupons", summary="My coupons, the usable ones first", tag="orders",
       response=CouponListSchema)
@api_auth()
def my_coupons():
    mine = coupons.coupons_of(g.api_user)
    now = utcnow()
    return ok({"items": [{**CouponSchema().dump(c), "state": coupons.state_of(c, now)}
                         for c in mine]})


@route(bp, "/orders/<public_id>/cancel", ("POST",), summary="Cancel an order, releasing stock",
       tag="orders", response=OrderSchema,
       errors=("404:not_found", "409:illegal_transition"))
@api_auth()
def cancel_order(public_id: str):
    order = orders.cancel_order(_visible_order(public_id), g.api_user)
    body = OrderSchema(viewer=g.api_user).dump(order)
    order_id = order.id
    db.session.commit()
    refunds.execute_pending_refunds(order_id)  # a paid order's money goes back, after the commit
    return ok(body)
