"""The counter API's schemas: a sale as the store's tablet sends it, a sale as it reads it
back (its lines, payments and change, refunds), and goods brought back."""

from flask import url_for
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from fulfillment.schemas import NO_CONTROL, Localized, PlainText

from ..models import OrderStatus
from ..orders import MAX_QUANTITY
from ..payments.records import payments_of, refunds_of
from ..schemas import AddressSchema, Money
from .tender import MAX_PAYMENTS, TENDER_METHODS

_FEN = {"strict": True, "validate": validate.Range(min=1, max=100_000_000)}


class SaleLineInSchema(Schema):
    sku = fields.String(validate=[validate.Length(min=1, max=40), NO_CONTROL])
    barcode = fields.String(validate=[validate.Length(min=8, max=20), NO_CONTROL], metadata={
        "description": "The EAN-13 on the box, instead of sku."})
    quantity = fields.Integer(strict=True, load_default=1,
                              validate=validate.Range(min=1, max=MAX_QUANTITY))

    @validates_schema
    def _one_way_to_name_it(self, data, **_):
        if bool(data.get("sku")) == bool(data.get("barcode")):
            raise ValidationError("Give sku or barcode, one of them.", "sku")


class TenderInSchema(Schema):
    method = fields.String(required=True, validate=validate.OneOf(TENDER_METHODS))
    amount = fields.Integer(allow_none=True, metadata={
        "description": "Fen. Leave it out on one payment: it pays the rest."}, **_FEN)
    tendered = fields.Integer(allow_none=True, metadata={
        "description": "Cash: what the customer handed over (fen); the change is the "
                       "difference."}, **_FEN)


class DeliverSchema(Schema):
    method = fields.String(required=True, validate=validate.OneOf(("delivery", "courier")))
    address = fields.Nested(AddressSchema, required=True)


class ContactInSchema(Schema):
    name = PlainText(allow_none=True, validate=validate.Length(max=100))
    phone = fields.String(allow_none=True, validate=[validate.Length(max=20), NO_CONTROL])


class CollectHereSchema(Schema):
    contact = fields.Nested(ContactInSchema, allow_none=True, metadata={
        "description": "Who to tell when the goods have arrived (a phone is required "
                       "without a member)."})


class SaleCreateSchema(Schema):
    lines = fields.List(fields.Nested(SaleLineInSchema), required=True,
                        validate=validate.Length(min=1, max=50))
    card_number = fields.String(allow_none=True, validate=[validate.Length(max=20), NO_CONTROL],
                                metadata={"description": "The member's VIP card (scanned)."})
    phone = fields.String(allow_none=True, validate=[validate.Length(max=20), NO_CONTROL],
                          metadata={"description": "Or the member's mobile number."})
    points = fields.Integer(strict=True, load_default=0,
                            validate=validate.Range(min=0, max=100_000_000))
    payments = fields.List(fields.Nested(TenderInSchema), required=True,
                           validate=validate.Length(max=MAX_PAYMENTS), metadata={
                               "description": "Summing to the total exactly (or one without "
                                              "an amount paying the rest); empty when points "
                                              "pay it all."})
    note = PlainText(allow_none=True, allow_blank=True, validate=validate.Length(max=500))
    deliver = fields.Nested(DeliverSchema, allow_none=True, metadata={
        "description": "The store lacks it: another center delivers it (or a warehouse ships "
                       "it) to this address, routed as a web order; paid now, fee included."})
    collect_here = fields.Nested(CollectHereSchema, allow_none=True, metadata={
        "description": "The store lacks it: reserved at the nearest other center holding "
                       "it all, brought here by a transfer, and collected at this store once "
                       "received (the customer is told, with the pickup code); paid now."})

    @validates_schema
    def _one_way_to_reach_the_customer(self, data, **_):
        if data.get("deliver") and data.get("collect_here") is not None:
            raise ValidationError("Give deliver or collect_here, not both.", "collect_here")


class SaleLineSchema(Schema):
    id = fields.Integer()
    sku = fields.String()
    name = Localized("name")
    quantity = fields.Integer()
    unit_price = Money("unit_price_amount")
    line_total = Money("line_total_amount")
    member_price = fields.Boolean()


class TenderSchema(Schema):
    method = fields.String(validate=validate.OneOf(TENDER_METHODS))
    amount = fields.Integer(metadata={"description": "Fen."})
    tendered = fields.Integer(attribute="tendered_amount", allow_none=True)
    change = fields.Function(lambda p: (p.tendered_amount - p.amount) if p.tendered_amount
                             else 0, metadata={"type": "integer"})


class SaleRefundSchema(Schema):
    amount = fields.Integer(metadata={"description": "Fen."})
    method = fields.String(metadata={"description": "The payment it went back through."})
    reason = fields.String()
    at = fields.DateTime(attribute="created_at")


class SaleSchema(Schema):
    """A counter sale: an order of the store channel."""

    id = fields.String(attribute="public_id")
    number = fields.String()
    channel = fields.String()
    status = fields.String(validate=validate.OneOf(OrderStatus.ALL))
    center_id = fields.Integer()
    clerk_id = fields.Integer(allow_none=True)
    member = fields.Function(lambda o: o.user_id is not None, metadata={
        "type": "boolean", "description": "Sold to an identified member (or claimed since)."})
    lines = fields.List(fields.Nested(SaleLineSchema))
    subtotal = Money("subtotal_amount")
    points_redeemed = fields.Integer()
    points_discount = Money("points_discount_amount")
    total = Money("total_amount")
    payments = fields.Method("_payments", metadata={"type": "array", "items": {
        "type": "object"}})
    refunds = fields.Method("_refunds", metadata={"type": "array", "items": {"type": "object"}})
    receipt_url = fields.Function(lambda o: url_for("counter.receipt", public_id=o.public_id,
                                                    _external=True), metadata={"type": "string"})
    claim_url = fields.Function(lambda o: url_for("counter.claim", public_id=o.public_id,
                                                  _external=True), metadata={
        "type": "string", "description": "What the receipt's QR holds."})
    payment_method = fields.String(metadata={
        "description": "How it was paid: cash, card_terminal, wechat_scan, alipay_scan, or "
                       "split (several payments)."})
    fulfillment = fields.Method("_fulfillment", metadata={"type": "object", "description": (
        "How the goods reach the customer: {method, status, center_id, transfer_from?}; "
        "status transferring while a transfer brings them to this store.")})
    created_at = fields.DateTime()

    def _payments(self, order):
        return TenderSchema(many=True).dump(payments_of(order))

    def _refunds(self, order):
        return SaleRefundSchema(many=True).dump(refunds_of(order))

    def _fulfillment(self, order):
        f = order.fulfillment
        if f is None:
            return None
        out = {"method": f.method, "status": f.status, "center_id": f.center_id}
        if (f.routing or {}).get("transfer_from"):
            out["transfer_from"] = f.routing["transfer_from"]
        return out


class ReturnLineInSchema(Schema):
    sku = fields.String(required=True, validate=[validate.Length(min=1, max=40), NO_CONTROL])
    quantity = fields.Integer(strict=True, required=True,
                              validate=validate.Range(min=1, max=MAX_QUANTITY))


class ReturnCreateSchema(Schema):
    lines = fields.List(fields.Nested(ReturnLineInSchema), required=True,
                        validate=validate.Length(min=1, max=50))
    reason = PlainText(required=True, validate=validate.Length(min=1, max=200))
