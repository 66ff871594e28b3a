"""Marshmallow schemas of fulfillment's API: centers, the desk's queue, stock counts.

The two field types at the top (``Localized``, ``PlainText``) are shared by the modules
above (storefront, crm), which may import from here.
"""

import re

from marshmallow import Schema, ValidationError, fields, missing, validate, validates_schema

from core.i18n import current_locale
from core.inputs import MAX_ID
from core.privacy import shown_address, shown_phone

from .access import whole_for_delivery
from .labels import routing_word
from .models import FulfillmentStatus, Method

#: markup and control characters have no place in a name or an address
_UNSAFE = re.compile(r"[<>\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: for words that reach a query (a SKU, a search): PostgreSQL refuses NUL in text outright
NO_CONTROL = validate.Regexp(r"^[^\x00-\x1f\x7f]*$", error="May not contain control characters.")


def plain_key(value: str) -> bool:
    """Whether a path segment (a slug, a SKU, a public id) is worth looking up at all."""
    return bool(value) and len(value) <= 100 and not _CONTROL.search(value)


class Localized(fields.String):
    """Dumps ``<base>_en`` when the reader reads English and it is filled, else ``<base>_zh``."""

    def __init__(self, base: str, **kwargs):
        super().__init__(dump_only=True, **kwargs)
        self.base = base

    def serialize(self, attr, obj, accessor=None, **kwargs):
        get = accessor or (lambda o, a, d: getattr(o, a, d))
        zh = get(obj, f"{self.base}_zh", None)
        en = get(obj, f"{self.base}_en", None)
        if current_locale() == "en" and en:
            return en
        return zh or en or ""


class PlainText(fields.String):
    """A line a person typed: trimmed, not blank, without markup or control characters."""

    default_error_messages = {
        "blank": "May not be blank.",
        "unsafe": "May not contain <, > or control characters.",
    }

    def __init__(self, *, allow_blank: bool = False, **kwargs):
        super().__init__(**kwargs)
        #: a blank optional text (a note left empty) loads as "" instead of failing
        self.allow_blank = allow_blank

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text:
            if self.allow_blank:
                return ""
            raise self.make_error("blank")
        if _UNSAFE.search(text):
            raise self.make_error("unsafe")
        return text


class WholeNumber(fields.Integer):
    """A whole number: a JSON integer, or the digits of one in a query string; never a
    fraction (marshmallow's own would drop it: 1.5 would name record 1) or a boolean."""

    def _validated(self, value):
        if isinstance(value, float | bool):
            raise self.make_error("invalid")
        return super()._validated(value)


def record_id(**kwargs) -> fields.Integer:
    """A database id in a body or a query: a whole number within what a column holds."""
    return WholeNumber(validate=validate.Range(min=1, max=MAX_ID), **kwargs)


# --- centers ---------------------------------------------------------------------------------


class ServedAreaSchema(Schema):
    province = fields.String()
    city = fields.String()
    district = fields.String()


class CenterSchema(Schema):
    """A center as the public sees it."""

    id = fields.Integer()
    code = fields.String()
    name = Localized("name")
    kinds = fields.List(fields.String(validate=validate.OneOf((*Method.SLOT_KINDS, "warehouse"))))
    address = Localized("address")
    province = fields.String()
    city = fields.String()
    district = fields.String()
    lat = fields.Float()
    lng = fields.Float()
    phone = fields.String(allow_none=True)
    opens_at = fields.String(metadata={"description": "HH:MM, shop time"})
    closes_at = fields.String(metadata={"description": "HH:MM, shop time"})
    serves = fields.List(fields.Nested(ServedAreaSchema), metadata={
        "description": "The districts a delivery center serves; empty for a pickup store."})

    def get_attribute(self, obj, attr, default):
        if attr == "serves":
            return obj.districts if obj.is_delivery else []
        return super().get_attribute(obj, attr, default)


class CenterOptionSchema(CenterSchema):
    """A center in a list for a shopper: how far it is, whether it holds every item."""

    distance_km = fields.Float(metadata={"description": "Only when lat and lng are given."})
    has_stock = fields.Boolean(metadata={"description": "Only when sku is given."})

    def get_attribute(self, obj, attr, default):
        # ``obj`` is a routing.CenterOption: its own two figures, the rest from its center.
        if attr in ("distance_km", "has_stock"):
            value = getattr(obj, attr)
            return missing if value is None else value
        return super().get_attribute(obj.center, attr, default)


class CenterListSchema(Schema):
    items = fields.List(fields.Nested(CenterOptionSchema))


class CenterQuerySchema(Schema):
    lat = fields.Float(validate=validate.Range(min=-90, max=90), allow_nan=False)
    lng = fields.Float(validate=validate.Range(min=-180, max=180), allow_nan=False)
    sku = fields.List(fields.String(validate=[validate.Length(min=1, max=40), NO_CONTROL]),
                      validate=validate.Length(max=50),
                      metadata={"description": "Repeatable; a SKU twice means two units."})
    kind = fields.String(validate=validate.OneOf(Method.SLOT_KINDS),
                         metadata={"description": "Only centers of this kind."})


class SlotSchema(Schema):
    """A pickup or delivery window with room left."""

    id = fields.Integer()
    kind = fields.String(validate=validate.OneOf(Method.SLOT_KINDS))
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    left = fields.Integer(metadata={"description": "Places left in this slot."})


class FeeSchema(Schema):
    """An amount of money: minor units and currency."""

    amount = fields.Integer(metadata={"description": "Minor units (fen)."})
    currency = fields.String(metadata={"example": "CNY"})


class QuoteQuerySchema(Schema):
    province = fields.String(required=True, validate=[validate.Length(min=1, max=40), NO_CONTROL])
    city = fields.String(required=True, validate=[validate.Length(min=1, max=40), NO_CONTROL])
    district = fields.String(required=True, validate=[validate.Length(min=1, max=40), NO_CONTROL])
    lat = fields.Float(validate=validate.Range(min=-90, max=90), allow_nan=False)
    lng = fields.Float(validate=validate.Range(min=-180, max=180), allow_nan=False)
    sku = fields.List(fields.String(validate=[validate.Length(min=1, max=40), NO_CONTROL]),
                      validate=validate.Length(max=50),
                      metadata={"description": "Repeatable, paired with quantity."})
    quantity = fields.List(fields.Integer(validate=validate.Range(min=1, max=99)),
                           validate=validate.Length(max=50),
                           metadata={"description": "Repeatable: the units of the SKU at the "
                                                    "same position (default 1 each)."})

    @validates_schema
    def _paired(self, data, **_):
        if "quantity" in data and len(data["quantity"]) != len(data.get("sku", [])):
            raise ValidationError("Give one quantity per sku.", "quantity")


class QuoteSchema(Schema):
    center_id = fields.Integer()
    center_name = fields.String()
    zone = fields.String(allow_none=True)
    fee = fields.Nested(FeeSchema, metadata={
        "description": "The zone's delivery fee (0 when delivery is free here)."})
    free_over = fields.Nested(FeeSchema, metadata={
        "description": "Orders of at least this subtotal are delivered free."})
    min_order = fields.Nested(FeeSchema)
    slots = fields.List(fields.Nested(SlotSchema))


# --- the desk --------------------------------------------------------------------------------


class FulfillmentLineSchema(Schema):
    id = fields.Integer()
    sku = fields.String()
    name = Localized("name")
    quantity = fields.Integer()
    collected_quantity = fields.Integer()


class RunnerUpSchema(Schema):
    center_id = fields.Integer()
    code = fields.String()
    distance_km = fields.Float(allow_none=True)
    open_orders = fields.Integer(metadata={"description": "Orders not yet handed over."})
    cover = fields.Float(metadata={"description": "How many times over it could fill the order."})
    short = fields.Boolean(metadata={"description": "Serves the address but lacks some line."})


class RoutingSchema(Schema):
    """Why an order went to its center: the reason (a code and in words) and the runners-up."""

    center_id = fields.Integer()
    code = fields.String()
    reason = fields.String(metadata={"description": "nearest, least_loaded, best_cover, "
                                                    "only_center, shopper_chose or courier."})
    reason_text = fields.Function(lambda r: str(routing_word(r.get("reason"))))
    runners_up = fields.List(fields.Nested(RunnerUpSchema))


class StaffFulfillmentSchema(Schema):
    """A center's work for one order, as its staff see it (never the pickup code). Phones
    follow ``core.privacy``: whole on a delivery or courier shipment (the courier calls),
    masked on a pickup, and a collector's always masked."""

    id = fields.Integer()
    order_id = fields.Method("_order_id", metadata={
        "type": "string", "description": "The order's public id."})
    order_number = fields.Method("_order_number", metadata={"type": "string"})
    center_id = fields.Integer()
    method = fields.String(validate=validate.OneOf(Method.ORDER))
    status = fields.String(validate=validate.OneOf(FulfillmentStatus.ALL))
    lines = fields.List(fields.Nested(FulfillmentLineSchema))
    contact_name = fields.String(allow_none=True)
    contact_phone = fields.Method("_contact_phone", metadata={
        "type": "string", "nullable": True,
        "description": "Whole on a delivery or courier shipment, masked on a pickup."})
    address = fields.Method("_address", metadata={
        "type": "object", "nullable": True,
        "description": "A delivery's address (its phone as contact_phone)."})
    collector_name = fields.String(allow_none=True)
    collector_phone = fields.Method("_collector_phone", metadata={
        "type": "string", "nullable": True, "description": "Masked."})
    received_by_name = fields.String(allow_none=True)
    carrier = fields.String(allow_none=True)
    tracking_number = fields.String(allow_none=True)
    failed_attempts = fields.Integer()
    last_failure_reason = fields.String(allow_none=True)
    routing = fields.Nested(RoutingSchema, allow_none=True, metadata={
        "description": "Why this center: reason and runners-up."})
    slot = fields.Nested(SlotSchema, allow_none=True)
    created_at = fields.DateTime()
    ready_at = fields.DateTime(allow_none=True)
    dispatched_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)

    def __init__(self, *args, order_refs: dict | None = None, viewer=None, **kwargs):
        super().__init__(*args, **kwargs)
        #: {order id: (public id, number)}: fulfillment does not import the orders' model
        self.order_refs = order_refs or {}
        #: who is looking (the phones' rule asks)
        self.viewer = viewer

    def _contact_phone(self, f):
        return shown_phone(f.contact_phone, whole=whole_for_delivery(self.viewer, f))

    def _address(self, f):
        return shown_address(f.address, whole=whole_for_delivery(self.viewer, f))

    def _collector_phone(self, f):
        return shown_phone(f.collector_phone, whole=False)

    def _order_id(self, f):
        return self.order_refs.get(f.order_id, (None, None))[0]

    def _order_number(self, f):
        return self.order_refs.get(f.order_id, (None, None))[1]


class StaffQueueSchema(Schema):
    items = fields.List(fields.Nested(StaffFulfillmentSchema))


class StaffQueueQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(FulfillmentStatus.ALL))
    method = fields.String(validate=validate.OneOf(Method.ORDER))
    center_id = record_id(metadata={"description": "Admins: one center (default: every center)."})


class CollectedSchema(Schema):
    """The offline payment taken at hand-over or on delivery: exactly what the order still
    owes, computed by the shop (another amount answers 409 ``wrong_amount``, with
    ``amount_due``). Required while the order owes anything: without it the step answers
    422 ``payment_method_required`` (with ``amount_due``) and nothing is booked."""

    method = fields.String(required=True, validate=validate.OneOf(
        ("cash", "card_terminal", "wechat_scan", "alipay_scan")))
    amount = fields.Integer(strict=True, required=True,
                            validate=validate.Range(min=0, max=100_000_000),
                            metadata={"description": "Minor units (fen): what the order "
                                                     "still owes."})


class HandoverCollectedSchema(CollectedSchema):
    """The offline payment taken at the desk; without an amount, what the desk page takes."""

    amount = fields.Integer(strict=True, validate=validate.Range(min=0, max=100_000_000),
                            metadata={"description": "Minor units (fen): what is left to pay "
                                                     "or, for part of the order, what the "
                                                     "units taken cost (the default); another "
                                                     "amount answers 409 wrong_amount."})


class CollectLineSchema(Schema):
    line_id = record_id(strict=True, required=True)
    quantity = fields.Integer(strict=True, required=True, validate=validate.Range(min=0, max=99))


class CollectorSchema(Schema):
    name = PlainText(required=True, validate=validate.Length(min=1, max=100))
    phone = PlainText(required=True, validate=validate.Length(min=6, max=32))


class HandoverSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=32),
                         metadata={"description": "The pickup code the shopper shows."})
    lines = fields.List(fields.Nested(CollectLineSchema), validate=validate.Length(min=1, max=50),
                        metadata={"description": "Only these units now; the rest stays "
                                                 "reserved (partial collection)."})
    collector = fields.Nested(CollectorSchema, metadata={
        "description": "Someone collecting for the shopper."})
    collected = fields.Nested(HandoverCollectedSchema, metadata={
        "description": "Offline payment taken: for the units taken now, or for the rest "
                       "when the last units leave (required then if the order still owes "
                       "money: no way of paying is assumed)."})


class DispatchSchema(Schema):
    courier_id = record_id(strict=True, metadata={
        "description": "A staff member of the center (default: the caller)."})
    carrier = PlainText(validate=validate.Length(max=60), metadata={
        "description": "Courier shipments (required): the carrier's name."})
    tracking_number = PlainText(validate=validate.Length(max=60), metadata={
        "description": "Courier shipments (required): the carrier's tracking number."})


class DeliveredSchema(Schema):
    received_by = PlainText(validate=validate.Length(min=1, max=100))
    collected = fields.Nested(CollectedSchema)


class DeliveryFailedSchema(Schema):
    reason = PlainText(required=True, validate=validate.Length(min=1, max=200))
    slot_id = record_id(strict=True, allow_none=True, metadata={
        "description": "A new delivery slot of the center."})


class StockUpdateSchema(Schema):
    on_hand = fields.Integer(strict=True, required=True,
                             validate=validate.Range(min=0, max=1_000_000))
    lot = fields.Dict(metadata={
        "description": "Where the product is kept in lots and on_hand goes up: the lot the "
                       "extra units belong to, {\"lot_id\"} or {\"batch\", \"expires_on\" "
                       "(YYYY-MM-DD), \"produced_on\"?}. Units counted missing leave the lots "
                       "that expire first."})
    center_id = record_id(strict=True, metadata={
        "description": "Admins must name the center (here or in the query); staff may omit it."})


class StockQuerySchema(Schema):
    center_id = record_id()


class StockSchema(Schema):
    sku = fields.String()
    center_id = fields.Integer()
    on_hand = fields.Integer()
    reserved = fields.Integer()
    available = fields.Integer()



# --- transfers and low stock ------------------------------------------------------------------


class TransferCreateSchema(Schema):
    from_center_id = record_id(strict=True, required=True, metadata={
        "description": "The center that sends the units (e.g. the warehouse)."})
    to_center_id = record_id(strict=True, metadata={
        "description": "Admins: the receiving center (staff: their own)."})
    sku = fields.String(required=True, validate=[validate.Length(min=1, max=40), NO_CONTROL])
    quantity = fields.Integer(strict=True, required=True,
                              validate=validate.Range(min=1, max=100_000))
    note = PlainText(allow_none=True, allow_blank=True, validate=validate.Length(max=200))


class TransferSchema(Schema):
    id = fields.Integer()
    from_center_id = fields.Integer()
    to_center_id = fields.Integer()
    sku = fields.Method("_sku", metadata={"type": "string"})
    quantity = fields.Integer()
    status = fields.String()
    note = fields.String(allow_none=True)
    created_at = fields.DateTime()
    shipped_at = fields.DateTime(allow_none=True)
    received_at = fields.DateTime(allow_none=True)

    def __init__(self, *args, skus: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.skus = skus or {}

    def _sku(self, transfer):
        return self.skus.get(transfer.product_id)


class TransferListSchema(Schema):
    items = fields.List(fields.Nested(TransferSchema))


class TransferQuerySchema(Schema):
    center_id = record_id(metadata={"description": "Admins: the center (staff: their own)."})
    open = fields.Boolean(metadata={"description": "Only requested or shipped transfers."})


class AlertSchema(Schema):
    alert_below = fields.Integer(strict=True, required=True, allow_none=True,
                                 validate=validate.Range(min=0, max=100_000))
    center_id = record_id(strict=True)


class LowStockItemSchema(Schema):
    sku = fields.String()
    on_hand = fields.Integer()
    reserved = fields.Integer()
    available = fields.Integer()
    alert_below = fields.Integer()


class LowStockSchema(Schema):
    items = fields.List(fields.Nested(LowStockItemSchema))
