"""Marshmallow schemas of the customer center's API: customers, the 360 view, follow-ups."""

import re

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.clock import shop_zone
from fulfillment.schemas import NO_CONTROL, PlainText, record_id
from storefront.schemas import MembershipSchema, Money, OrderSummarySchema

from .care.complaints import CATEGORIES, CHANNELS, REMEDIES, SEVERITIES, is_overdue
from .care.goodwill import MAX_GOODWILL_AMOUNT
from .care.models import ComplaintStatus
from .customers.figures import Segment
from .customers.models import Stage
from .customers.profiles import completeness
from .customers.services import mask_phone
from .followups.models import FollowUpKind, FollowUpStatus
from .followups.queue import OUTCOMES

#: "...T10:00:00 08:00": a "+" in a query string arrives as a space
_SPACE_FOR_PLUS = re.compile(r"(T[0-9:.]+) ([0-9]{2}:?[0-9]{2})$")


class Moment(fields.DateTime):
    """An ISO 8601 time; without an offset it is read in the shop's zone."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = _SPACE_FOR_PLUS.sub(r"\1+\2", value.strip())
        moment = super()._deserialize(value, attr, data, **kwargs)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=shop_zone())
        return moment


# --- customers -------------------------------------------------------------------------------


class CustomerQuerySchema(Schema):
    q = fields.String(validate=[validate.Length(max=100), NO_CONTROL], metadata={
        "description": "Name, phone or its last 4 digits, e-mail, card or order number."})
    user_id = record_id()
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))


class CustomerListItemSchema(Schema):
    id = fields.Integer()
    user_id = fields.Integer(allow_none=True, metadata={"description": "Null for a prospect."})
    name = fields.String()
    phone = fields.Method("_masked", metadata={"type": "string", "example": "138****5678"})
    stage = fields.String(validate=validate.OneOf(Stage.ALL))
    card_number = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    last_order_at = fields.DateTime(allow_none=True)

    def _masked(self, customer):
        return mask_phone(customer.phone)


class CustomerPageSchema(Schema):
    items = fields.List(fields.Nested(CustomerListItemSchema))
    page = fields.Integer()
    pages = fields.Integer()


class ChildSchema(Schema):
    id = fields.Integer()
    name = fields.String(allow_none=True)
    gender = fields.String(allow_none=True)
    birth_date = fields.Date(allow_none=True)
    due_date = fields.Date(allow_none=True, metadata={"description": "While expected."})


class TagSchema(Schema):
    tag = fields.String()
    source = fields.String(validate=validate.OneOf(("manual", "rule")))


class ProfileSchema(Schema):
    """The whole profile: the agent calls this number (and the look is logged)."""

    name = fields.String()
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    gender = fields.String(allow_none=True)
    birthday = fields.Date(allow_none=True)
    city = fields.String(allow_none=True)
    district = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    occupation = fields.String(allow_none=True)
    interests = fields.String(allow_none=True)
    source = fields.String()
    preferred_channel = fields.String(allow_none=True)
    preferred_time = fields.String(allow_none=True)
    stage = fields.String(validate=validate.OneOf(Stage.ALL))
    card_number = fields.String(allow_none=True)
    service_consent = fields.Boolean()
    marketing_consent = fields.Boolean()
    children = fields.List(fields.Nested(ChildSchema))
    tags = fields.List(fields.Nested(TagSchema))
    completeness = fields.Method("_completeness", metadata={
        "type": "integer", "description": "Percent of the required fields filled in."})
    missing = fields.Method("_missing", metadata={
        "type": "array", "items": {"type": "string"},
        "description": "The required fields still empty."})
    notes = fields.String(allow_none=True)
    created_at = fields.DateTime()

    def _completeness(self, customer):
        return completeness(customer)[0]

    def _missing(self, customer):
        return completeness(customer)[1]


class FiguresSchema(Schema):
    recency_days = fields.Integer(allow_none=True, metadata={
        "description": "Days since the last order; null before the first."})
    frequency = fields.Integer(metadata={"description": "Orders in the last 12 months."})
    monetary = Money("monetary_amount", metadata={"description": "Spend in the last 12 months."})
    lifetime = Money("lifetime_amount")
    orders_count = fields.Integer()
    first_order_at = fields.DateTime(allow_none=True)
    last_order_at = fields.DateTime(allow_none=True)
    segment = fields.String(validate=validate.OneOf(Stage.ALL), metadata={
        "description": "The stage (prospect, first_time, repeat, vip, dormant, lost)."})
    avg_basket = Money("avg_basket_amount", metadata={"description": "Lifetime spend / orders."})
    favourite_center_id = fields.Integer(allow_none=True)
    favourite_center = fields.String(allow_none=True, metadata={
        "description": "The center of most orders, by name."})
    favourite_category_id = fields.Integer(allow_none=True)
    favourite_category = fields.String(allow_none=True, metadata={
        "description": "The category of most spend, by name."})
    r_score = fields.Integer(allow_none=True, metadata={"description": "Recency score 1-5."})
    f_score = fields.Integer(allow_none=True, metadata={"description": "Frequency score 1-5."})
    m_score = fields.Integer(allow_none=True, metadata={"description": "Monetary score 1-5."})
    rfm_segment = fields.String(allow_none=True, validate=validate.OneOf(Segment.ALL), metadata={
        "description": "The named RFM segment (champions, loyal, at_risk, ...)."})


class _WithOrderRefs(Schema):
    """Dumps ``order_id`` as the order's public id, from refs given at construction."""

    order_id = fields.Method("_order_id", metadata={
        "type": "string", "nullable": True, "description": "The order's public id."})

    def __init__(self, *args, order_refs: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_refs = order_refs or {}

    def _order_id(self, obj):
        return self.order_refs.get(obj.order_id) if obj.order_id is not None else None


class FollowUpSchema(_WithOrderRefs):
    id = fields.Integer()
    customer_id = fields.Integer()
    user_id = fields.Function(lambda f: f.customer.user_id, metadata={
        "type": "integer", "nullable": True})
    customer_name = fields.Function(lambda f: f.customer.name, metadata={"type": "string"})
    kind = fields.String(validate=validate.OneOf(FollowUpKind.ALL))
    due_at = fields.DateTime()
    status = fields.String(validate=validate.OneOf(FollowUpStatus.ALL))
    channel = fields.String()
    attempts = fields.Integer()
    outcome = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    satisfaction = fields.Integer(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)


class FollowUpListSchema(Schema):
    items = fields.List(fields.Nested(FollowUpSchema))


class ComplaintSchema(_WithOrderRefs):
    id = fields.Integer()
    public_id = fields.String()
    customer_id = fields.Integer()
    channel = fields.String()
    category = fields.String()
    description = fields.String()
    severity = fields.String()
    status = fields.String(validate=validate.OneOf(ComplaintStatus.ALL))
    product_id = fields.Integer(allow_none=True)
    owner_id = fields.Integer(allow_none=True)
    first_response_due_at = fields.DateTime(allow_none=True)
    due_at = fields.DateTime(allow_none=True, metadata={"description": "Resolution deadline."})
    first_response_at = fields.DateTime(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    overdue = fields.Function(lambda c: is_overdue(c), metadata={"type": "boolean"})
    remedy = fields.String(allow_none=True)
    remedy_amount = fields.Integer(allow_none=True)
    remedy_note = fields.String(allow_none=True)
    coupon = fields.Function(lambda c: c.coupon.code if c.coupon else None, allow_none=True,
                             metadata={"type": "string",
                                       "description": "The coupon a coupon remedy issued."})
    replacement_order = fields.Function(
        lambda c: c.replacement_order.number if c.replacement_order else None, allow_none=True,
        metadata={"type": "string", "description": "The replacement order's number."})
    root_cause = fields.String(allow_none=True)
    prevention = fields.String(allow_none=True)
    created_at = fields.DateTime()


class CustomerComplaintSchema(_WithOrderRefs):
    """A complaint as its customer sees it: what they told us, where it stands and what
    they got; none of the customer center's own notes (severity, owner, deadlines, root
    cause, prevention, the remedy's note)."""

    id = fields.Integer()
    public_id = fields.String()
    category = fields.String()
    description = fields.String()
    status = fields.String(validate=validate.OneOf(ComplaintStatus.ALL))
    created_at = fields.DateTime()
    resolved_at = fields.DateTime(allow_none=True)
    remedy = fields.String(allow_none=True)
    remedy_amount = fields.Integer(allow_none=True)
    coupon = fields.Function(lambda c: c.coupon.code if c.coupon else None, allow_none=True,
                             metadata={"type": "string",
                                       "description": "The coupon a coupon remedy issued."})
    replacement_order = fields.Function(
        lambda c: c.replacement_order.number if c.replacement_order else None, allow_none=True,
        metadata={"type": "string", "description": "The replacement order's number."})


class ComplaintCreateSchema(Schema):
    customer_id = record_id(metadata={"description": "Staff only; else from the order."})
    order_id = fields.String(validate=validate.Length(min=1, max=24), metadata={
        "description": "The order's public id; required for a customer."})
    product_id = record_id()
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    description = PlainText(required=True, validate=validate.Length(max=4000))
    severity = fields.String(load_default="medium", validate=validate.OneOf(SEVERITIES),
                             metadata={"description": "Staff only: a customer's complaint is "
                                                      "medium."})
    channel = fields.String(load_default="hotline", validate=validate.OneOf(CHANNELS),
                            metadata={"description": "Staff only: a customer's complaint "
                                                     "came online."})


class ComplaintTransitionSchema(Schema):
    to = fields.String(required=True, validate=validate.OneOf(ComplaintStatus.ALL))
    note = PlainText(allow_none=True, allow_blank=True, validate=validate.Length(max=2000))
    remedy = fields.String(allow_none=True, validate=validate.OneOf(REMEDIES))
    remedy_amount = fields.Integer(strict=True, allow_none=True,
                                   validate=validate.Range(min=1, max=100_000_000), metadata={
        "description": "Fen: a refund's sum, or a coupon's (at most "
                       f"{MAX_GOODWILL_AMOUNT}, as a coupon given by hand)."})
    replacement_quantity = fields.Integer(strict=True, allow_none=True,
                                          validate=validate.Range(min=1, max=99), metadata={
        "description": "Units a replacement sends (default: the complained line's)."})
    root_cause = PlainText(allow_none=True, validate=validate.Length(max=4000))
    prevention = PlainText(allow_none=True, validate=validate.Length(max=4000))

    @validates_schema
    def _coupon_capped(self, data, **_kwargs):
        amount = data.get("remedy_amount")
        if data.get("remedy") == "coupon" and amount is not None \
                and amount > MAX_GOODWILL_AMOUNT:
            raise ValidationError(f"A coupon takes at most {MAX_GOODWILL_AMOUNT} fen off.",
                                  "remedy_amount")


class ComplaintListSchema(Schema):
    items = fields.List(fields.Nested(ComplaintSchema))


class Customer360Schema(Schema):
    id = fields.Integer()
    user_id = fields.Integer(allow_none=True)
    profile = fields.Nested(ProfileSchema)
    membership = fields.Nested(MembershipSchema, allow_none=True)
    figures = fields.Nested(FiguresSchema)
    orders = fields.List(fields.Nested(OrderSummarySchema), metadata={
        "description": "The latest 50, newest first."})
    followups = fields.List(fields.Nested(FollowUpSchema))
    complaints = fields.List(fields.Nested(ComplaintSchema))
    possible_duplicates = fields.List(fields.Integer(), metadata={
        "description": "Ids of other profiles with the same phone, e-mail, or name and city: "
                       "maybe the same person (merge with POST .../merge)."})


class MergeSchema(Schema):
    from_id = record_id(required=True, metadata={
        "description": "The profile merged into this one and removed."})


# --- follow-ups ------------------------------------------------------------------------------


class FollowUpQuerySchema(Schema):
    due_before = Moment(metadata={"description": "ISO 8601; without an offset, shop time."})
    status = fields.String(load_default=FollowUpStatus.OPEN,
                           validate=validate.OneOf(FollowUpStatus.ALL))
    kind = fields.String(validate=validate.OneOf(FollowUpKind.ALL))


class FollowUpCompleteSchema(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    notes = PlainText(allow_none=True, allow_blank=True, validate=validate.Length(max=2000))
    satisfaction = fields.Integer(strict=True, allow_none=True,
                                  validate=validate.Range(min=1, max=5))
