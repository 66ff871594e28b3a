"""The free text an erased person leaves in the records that stay for the books: what was
written about their complaints, the tags agents gave them by hand, why their money was
given back, why a coupon was given, what Stripe sent about their payments (billing name,
e-mail, address). (A customer sheet still waiting to be imported that names them goes too:
``import_previews.forget_previews_naming``.)

Ids, amounts, states and dates stay; the reports and the books still add up."""

import re

import sqlalchemy as sa

from core.extensions import db
from crm.care.models import Complaint, ComplaintEvent
from storefront.coupon_models import Coupon
from storefront.models import Order
from storefront.payments.models import (
    Payment,
    PaymentEvent,
    Refund,
    RefundRequest,
    StripeEvent,
)

from .models import CustomerTag

#: what a reason written by a person becomes
ERASED = "erased"
#: reasons the shop writes itself (``no_show``, ``late_payment``, ``complaint:12``) stay
_CODE = re.compile(r"^[a-z_]+(:[0-9]+)?$")
#: the payment timeline lines that copy a refund's reason
_REASON_EVENTS = ("refund", "refund_pending")
#: what is kept of a Stripe event's object: ids, amounts, states
_STRIPE_KEEP = ("id", "object", "amount", "amount_received", "amount_refunded",
                "amount_captured", "currency", "status", "payment_intent", "created",
                "livemode", "reason")


def _written_by_a_person(text: str | None) -> bool:
    return bool(text) and not _CODE.match(text)


def scrub_complaints(customer_id: int) -> None:
    """The description, the root cause and the remedy's note of the person's complaints,
    and the notes of each step (category, states, dates and amounts stay)."""
    db.session.execute(sa.update(ComplaintEvent).where(ComplaintEvent.complaint_id.in_(
        sa.select(Complaint.id).where(Complaint.customer_id == customer_id))).values(note=None))
    db.session.execute(sa.update(Complaint).where(Complaint.customer_id == customer_id)
                       .values(description="", root_cause=None, remedy_note=None))


def scrub_manual_tags(customer_id: int, keep: str) -> None:
    """Tags agents typed (rule tags follow the data and are recomputed)."""
    db.session.execute(sa.delete(CustomerTag).where(
        CustomerTag.customer_id == customer_id, CustomerTag.source == "manual",
        CustomerTag.tag != keep))


def _minimal_stripe_event(payload: dict) -> dict:
    obj = (payload.get("data") or {}).get("object") or {}
    kept = {key: obj[key] for key in _STRIPE_KEEP if key in obj}
    if isinstance(kept.get("payment_intent"), dict):
        kept["payment_intent"] = kept["payment_intent"].get("id")
    order = (obj.get("metadata") or {}).get("order")
    if order:
        kept["metadata"] = {"order": order}
    event = {key: payload[key] for key in ("id", "object", "type", "created", "livemode")
             if key in payload}
    return {**event, "data": {"object": kept}}


def scrub_payment_records(user_id: int) -> None:
    """Refund and refund-request reasons written by staff, the timeline lines that copy
    them, coupon notes, and Stripe's events about the person's payments."""
    order_ids = sa.select(Order.id).where(Order.user_id == user_id)
    for model in (Refund, RefundRequest):
        for row in db.session.execute(sa.select(model).where(
                model.order_id.in_(order_ids))).scalars():
            if _written_by_a_person(row.reason):
                row.reason = ERASED
    for event in db.session.execute(sa.select(PaymentEvent).where(
            PaymentEvent.order_id.in_(order_ids),
            PaymentEvent.kind.in_(_REASON_EVENTS))).scalars():
        if _written_by_a_person(event.detail):
            event.detail = None
    db.session.execute(sa.update(Coupon).where(Coupon.user_id == user_id).values(note=None))
    intents = sa.select(Payment.stripe_payment_intent_id).where(
        Payment.order_id.in_(order_ids), Payment.stripe_payment_intent_id.is_not(None))
    for row in db.session.execute(sa.select(StripeEvent).where(
            StripeEvent.payment_intent_id.in_(intents))).scalars():
        row.payload = _minimal_stripe_event(row.payload or {})
