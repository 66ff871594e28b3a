"""Marshmallow schemas of the storefront's API: what it reads (validated) and what it writes.

Input schemas reject what they do not know (marshmallow's default), so a misspelt field
is a 400, not a silently ignored wish. Output schemas dump models directly; a few read
figures they are given at construction (the viewer of an order).
"""

from datetime import date, timedelta

from flask import current_app, url_for
from marshmallow import (
    Schema,
    ValidationError,
    fields,
    missing,
    post_dump,
    validate,
    validates_schema,
)

from core.clock import shop_today
from core.models import Role
from core.privacy import shown_address, shown_phone
from core.storage import upload_url
from fulfillment import divisions
from fulfillment.access import whole_for_delivery
from fulfillment.models import FulfillmentStatus, Method
from fulfillment.schemas import (
    NO_CONTROL,
    Localized,
    PlainText,
    RoutingSchema,
    SlotSchema,
    record_id,
)

from .loyalty.models import Tier
from .models import OrderStatus, PaymentMethod
from .orders import MAX_QUANTITY
from .payments.models import RefundStatus
from .payments.records import refunds_of, timeline

PHONE = validate.Regexp(r"^\+?[0-9][0-9 \-]{4,30}$", error="Not a valid phone number.")


# --- money -----------------------------------------------------------------------------------


class MoneySchema(Schema):
    amount = fields.Integer(metadata={"description": "Minor units (fen)."})
    currency = fields.String(metadata={"example": "CNY"})


class Money(fields.Nested):
    """``{"amount", "currency"}`` from an ``*_amount`` column and the object's currency."""

    def __init__(self, amount_attr: str, *, omit_none: bool = False, **kwargs):
        super().__init__(MoneySchema, dump_only=True, **kwargs)
        self.amount_attr = amount_attr
        self.omit_none = omit_none

    def serialize(self, attr, obj, accessor=None, **kwargs):
        get = accessor or (lambda o, a, d: getattr(o, a, d))
        amount = get(obj, self.amount_attr, None)
        if amount is None or amount is missing:
            return missing if self.omit_none else None
        currency = get(obj, "currency", None)
        if not currency or currency is missing:
            currency = current_app.config["SHOP_CURRENCY"]
        return {"amount": int(amount), "currency": currency}


# --- accounts --------------------------------------------------------------------------------


class MembershipSchema(Schema):
    tier = fields.String(validate=validate.OneOf(Tier.ALL))
    card_number = fields.String()
    points = fields.Integer()
    joined_at = fields.DateTime()


class MeSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    phone = fields.String(allow_none=True)
    roles = fields.List(fields.String())
    center_id = fields.Integer(allow_none=True, metadata={"description": "Staff: their center."})
    membership = fields.Nested(MembershipSchema, allow_none=True)


def _not_future(value: date) -> None:
    today = shop_today()
    if value > today or value.year < 1900:
        raise ValidationError("Not a valid birthday.")


def _baby_date(value: date) -> None:
    """A birth date in the last 18 years, or a due date within the next 10 months."""
    today = shop_today()
    if not today - timedelta(days=18 * 366) <= value <= today + timedelta(days=305):
        raise ValidationError("A birth date in the last 18 years or a due date ahead.")


class VipSignupSchema(Schema):
    name = PlainText(required=True, validate=validate.Length(min=1, max=100))
    phone = PlainText(required=True, validate=[validate.Length(max=32), PHONE])
    birthday = fields.Date(allow_none=True, validate=_not_future)
    baby_birthday = fields.Date(allow_none=True, validate=_baby_date, metadata={
        "description": "The baby's birth date, or the due date when it lies ahead."})
    city = PlainText(allow_none=True, allow_blank=True, validate=validate.Length(max=40))
    interests = fields.List(PlainText(validate=validate.Length(min=1, max=40)),
                            allow_none=True, validate=validate.Length(max=20))
    marketing_consent = fields.Boolean(load_default=False, truthy={True}, falsy={False})


# --- catalog ---------------------------------------------------------------------------------


class CategorySchema(Schema):
    slug = fields.String()
    name = Localized("name")


class ProductSchema(Schema):
    id = fields.Integer()
    sku = fields.String()
    barcode = fields.String(allow_none=True, metadata={
        "description": "The EAN-13 on the box; null when the product has none."})
    slug = fields.String()
    name = Localized("name")
    price = Money("price_amount")
    member_price = Money("member_price_amount", omit_none=True,
                         metadata={"description": "What VIP members pay; absent when no price."})
    category = fields.Nested(CategorySchema)
    image = fields.Method("_image", metadata={"type": "string", "nullable": True})

    def _image(self, product):
        if not product.image:
            return None
        if product.image.startswith("static/"):
            return url_for("static", filename=product.image.removeprefix("static/"))
        return upload_url(product.image)


class ProductDetailSchema(ProductSchema):
    description = Localized("description")
    days_of_supply = fields.Integer(allow_none=True, metadata={
        "description": "Days one unit lasts (a can of formula); null where it does not apply."})


class ProductPageSchema(Schema):
    items = fields.List(fields.Nested(ProductSchema))
    page = fields.Integer()
    pages = fields.Integer()


class ProductQuerySchema(Schema):
    q = fields.String(validate=[validate.Length(max=100), NO_CONTROL])
    category = fields.String(validate=[validate.Length(max=60), NO_CONTROL])
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))


# --- placing an order ------------------------------------------------------------------------


class OrderLineInSchema(Schema):
    sku = fields.String(required=True, validate=[validate.Length(min=1, max=40), NO_CONTROL])
    quantity = fields.Integer(strict=True, required=True,
                              validate=validate.Range(min=1, max=MAX_QUANTITY))


class AddressSchema(Schema):
    """Province, city and district in Chinese (上海市, or 上海), in English (Shanghai, Xuhui
    District, or Xuhui) or as their GB/T 2260 codes: the order keeps them as the divisions
    name them in Chinese, with ``province_code``, ``city_code``, ``district_code`` and the
    English names (``province_en``, ...) beside them."""

    name = PlainText(required=True, validate=validate.Length(min=1, max=100))
    phone = PlainText(required=True, validate=[validate.Length(max=32), PHONE])
    province = PlainText(required=True, validate=validate.Length(min=1, max=40))
    city = PlainText(required=True, validate=validate.Length(min=1, max=40))
    district = PlainText(required=True, validate=validate.Length(min=1, max=40))
    street = PlainText(required=True, validate=validate.Length(min=1, max=200))
    lat = fields.Float(allow_nan=False, validate=validate.Range(min=-90, max=90))
    lng = fields.Float(allow_nan=False, validate=validate.Range(min=-180, max=180))


class FulfillmentChoiceSchema(Schema):
    method = fields.String(required=True, validate=validate.OneOf(Method.ORDER), metadata={
        "description": "courier: shipped by a carrier from a warehouse (when no delivery "
                       "center can take the address; see courier_from in the 409/422)."})
    center_id = record_id(strict=True, metadata={"description": "Pickup: the center."})
    address = fields.Nested(AddressSchema, metadata={
        "description": "Delivery or courier: where to (or address_id)."})
    address_id = record_id(strict=True, metadata={
        "description": "Delivery or courier: one of my saved addresses (GET /me/addresses), "
                       "instead of address."})

    @validates_schema
    def _what_the_method_needs(self, data, **_):
        if data["method"] == Method.PICKUP and data.get("center_id") is None:
            raise ValidationError("Required for pickup.", "center_id")
        if data["method"] in Method.SHIPPED:
            if data.get("address") is not None and data.get("address_id") is not None:
                raise ValidationError("Give address or address_id, not both.", "address_id")
            if data.get("address") is None and data.get("address_id") is None:
                raise ValidationError("Required for delivery.", "address")


class OrderCreateSchema(Schema):
    lines = fields.List(fields.Nested(OrderLineInSchema), required=True,
                        validate=validate.Length(min=1, max=50))
    fulfillment = fields.Nested(FulfillmentChoiceSchema, required=True)
    payment_method = fields.String(required=True,
                                    validate=validate.OneOf(PaymentMethod.CHECKOUT))
    #: VIP points to spend on the order (members; up to a share of the subtotal)
    points = fields.Integer(strict=True, load_default=0,
                            validate=validate.Range(min=0, max=100_000_000))
    note = PlainText(allow_none=True, allow_blank=True, validate=validate.Length(max=500))
    slot_id = record_id(strict=True, allow_none=True, metadata={
        "description": "A pickup or delivery slot of the center (see /delivery/quote)."})
    coupon = fields.String(allow_none=True, validate=validate.Length(max=20), metadata={
        "example": "HY-7KQM-R2XD",
        "description": "One of the shopper's coupons (GET /me/coupons); its amount comes off "
                       "the goods after points. 409 coupon_invalid, coupon_used, "
                       "coupon_expired or coupon_minimum."})


class CouponSchema(Schema):
    code = fields.String(metadata={"example": "HY-7KQM-R2XD"})
    amount = Money("amount")
    minimum_order = Money("minimum_order_amount")
    valid_from = fields.DateTime()
    valid_until = fields.DateTime()
    state = fields.String(metadata={"description": "issued, used, expired or void."})


class CouponListSchema(Schema):
    items = fields.List(fields.Nested(CouponSchema))


# --- orders as the shopper sees them ---------------------------------------------------------


class OrderLineSchema(Schema):
    sku = fields.String()
    name = Localized("name")
    quantity = fields.Integer()
    unit_price = Money("unit_price_amount")
    line_total = Money("line_total_amount")
    member_price = fields.Boolean(metadata={"description": "The member price was applied."})
    price_tier = fields.String(allow_none=True, metadata={
        "description": "The tier whose member price applied (classic, silver, gold, diamond); "
                       "null at the list price."})


class OrderFulfillmentSchema(Schema):
    method = fields.String(validate=validate.OneOf(Method.ORDER))
    center_id = fields.Integer()
    status = fields.String(validate=validate.OneOf(FulfillmentStatus.ALL))
    pickup_code = fields.Method("_hidden", metadata={
        "type": "string",
        "description": "Only for the order's owner, and only once the order is ready."})
    address = fields.Dict(allow_none=True, metadata={
        "description": "name, phone, province, city, district, street (lat, lng when known); "
                       "for a place of the national divisions also province_code, city_code, "
                       "district_code and province_en, city_en, district_en"})
    slot = fields.Nested(SlotSchema, allow_none=True)
    ready_at = fields.DateTime(allow_none=True)
    dispatched_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    carrier = fields.String(allow_none=True, metadata={
        "description": "Courier shipments: the carrier, once dispatched."})
    tracking_number = fields.String(allow_none=True, metadata={
        "description": "Courier shipments: the carrier's tracking number, once dispatched."})
    routing = fields.Nested(RoutingSchema, dump_only=True, metadata={
        "description": "Why this center (staff, customer center and admins only)."})

    def _hidden(self, _fulfillment):
        # Revealed by OrderSchema, which knows who is looking.
        return missing


#: who sees an order's routing decision (never the shopper)
STAFF_VIEWERS = (Role.STAFF, Role.ADMIN, Role.CRM)


class OrderSchema(Schema):
    """An order; ``viewer`` decides whether the pickup code and the routing are shown, and
    whether the phones show whole (``core.privacy``: to the owner, and on a delivery to the
    desk that delivers it; masked for anyone else)."""

    id = fields.String(attribute="public_id", metadata={"description": "Opaque public id."})
    number = fields.String(metadata={"example": "SH-20261122-0042"})
    status = fields.String(validate=validate.OneOf(OrderStatus.ALL))
    subtotal = Money("subtotal_amount")
    delivery_fee = Money("delivery_fee_amount")
    total = Money("total_amount")
    paid = Money("paid_amount")
    points_redeemed = fields.Integer(metadata={"description": "VIP points spent on the order."})
    points_discount = Money("points_discount_amount")
    # by the keys first: an order with neither (most) asks no loader
    coupon = fields.Function(lambda o: o.coupon.code if o.coupon_id else None, allow_none=True,
                             metadata={"type": "string", "description": "The coupon used."})
    coupon_discount = Money("coupon_discount_amount")
    replacement_of = fields.Function(
        lambda o: o.replacement_of.number if o.replacement_of_id else None, allow_none=True,
        metadata={"type": "string", "description": "The order this one replaces (number)."})
    payment_method = fields.String(validate=validate.OneOf(PaymentMethod.ALL))
    fulfillment_method = fields.String(validate=validate.OneOf(Method.ORDER))
    center_id = fields.Integer()
    contact_name = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    lines = fields.List(fields.Nested(OrderLineSchema))
    fulfillment = fields.Nested(OrderFulfillmentSchema, allow_none=True)
    created_at = fields.DateTime()
    paid_at = fields.DateTime(allow_none=True)
    fulfilled_at = fields.DateTime(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)
    disputed = fields.Boolean(metadata={
        "description": "The shopper disputed the payment with the bank."})

    def __init__(self, *args, viewer=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.viewer = viewer

    @post_dump(pass_original=True)
    def _reveal_pickup_code(self, data, order, **_):
        f = order.fulfillment
        if (self.viewer is not None and order.user_id == self.viewer.id and f is not None
                and f.status == FulfillmentStatus.READY and f.pickup_code):
            data["fulfillment"]["pickup_code"] = f.pickup_code
        if f is not None and not (self.viewer is not None and self.viewer.role in STAFF_VIEWERS):
            data["fulfillment"].pop("routing", None)
        whole = (self.viewer is not None and order.user_id == self.viewer.id) \
            or whole_for_delivery(self.viewer, f)
        data["contact_phone"] = shown_phone(order.contact_phone, whole=whole)
        if f is not None:
            data["fulfillment"]["address"] = divisions.with_english(
                shown_address(f.address, whole=whole))
        return data


#: what a timeline entry's ``kind`` can be
TIMELINE_KINDS = (
    "intent", "processing", "succeeded", "failed", "canceled", "expired", "cancelled",
    "revived", "late", "offline", "collected", "disputed", "refund_pending", "refund",
    "refund_retry", "refund_failed",
)


class TimelineEntrySchema(Schema):
    kind = fields.String(validate=validate.OneOf(TIMELINE_KINDS))
    at = fields.DateTime()
    amount = Money("amount", metadata={"description": "The sum concerned, or null."})
    detail = fields.String(allow_none=True, metadata={
        "description": "A failure or refund reason, or how it was paid (a code or words)."})


class RefundLineOutSchema(Schema):
    sku = fields.String()
    quantity = fields.Integer()
    amount = Money("amount")


class RefundOutSchema(Schema):
    amount = Money("amount")
    status = fields.String(validate=validate.OneOf(RefundStatus.ALL))
    method = fields.String(metadata={"description": "stripe, or cash handed back."})
    reason = fields.String(metadata={
        "description": "The staff's words, or a code such as late_payment or cancelled."})
    full = fields.Boolean(metadata={"description": "The whole remaining amount."})
    created_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    lines = fields.List(fields.Nested(RefundLineOutSchema),
                        metadata={"description": "The units given back; empty for a sum."})


class OrderDetailSchema(OrderSchema):
    """One order with its payment timeline and refunds; Stripe's ids are for staff only."""

    timeline = fields.List(fields.Nested(TimelineEntrySchema), metadata={
        "description": "The payment story, oldest first."})
    refunds = fields.List(fields.Nested(RefundOutSchema))

    def get_attribute(self, obj, attr, default):
        if attr == "timeline":
            return self._timeline(obj)
        if attr == "refunds":
            return self._refunds(obj)
        return super().get_attribute(obj, attr, default)

    def _timeline(self, order) -> list[dict]:
        staff = self.viewer is not None and self.viewer.id != order.user_id
        return [{"kind": e.kind, "at": e.at, "amount": e.amount, "currency": order.currency,
                 "detail": None if not staff and (e.detail or "").startswith("pi_")
                 else e.detail}
                for e in timeline(order)]

    def _refunds(self, order) -> list[dict]:
        skus = {line.id: line.sku for line in order.lines}
        return [{"amount": r.amount, "currency": r.currency, "status": r.status,
                 "method": r.method, "reason": r.reason, "full": r.full,
                 "created_at": r.created_at, "completed_at": r.completed_at,
                 "lines": [{"sku": skus.get(ln.order_line_id), "quantity": ln.quantity,
                            "amount": ln.amount, "currency": r.currency} for ln in r.lines]}
                for r in refunds_of(order)]


class OrderListSchema(Schema):
    items = fields.List(fields.Nested(OrderSchema))


class OrderSummarySchema(Schema):
    """An order in someone else's list (the customer center): no contact, no code."""

    id = fields.String(attribute="public_id")
    number = fields.String()
    status = fields.String(validate=validate.OneOf(OrderStatus.ALL))
    total = Money("total_amount")
    payment_method = fields.String()
    fulfillment_method = fields.String()
    center_id = fields.Integer()
    created_at = fields.DateTime()
    lines = fields.List(fields.Nested(OrderLineSchema))
