"""Stripe's webhook events: verified upstream, stored here by event id and applied once.

Whatever their order or repetition, events bring an order in line with Stripe through
``billing.apply_intent``; refunds made in Stripe's dashboard are recorded, disputes flag
the order. The caller commits, then carries out refunds left pending.
"""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.clock import utcnow
from core.extensions import db

from ..models import Order
from . import gateway
from .billing import OUTSIDE, apply_intent
from .models import Collection, Refund, RefundStatus, StripeEvent
from .records import (
    lock_order,
    log_event,
    order_for_intent,
    payment_by_intent,
    refundable,
    refunds_of,
)
from .refunds import refund_succeeded

#: events whose copy of the intent may be stale by the time they arrive
_REREAD = ("payment_intent.payment_failed", "payment_intent.canceled")


def _intent_id_of(event: dict) -> str | None:
    obj = event.get("data", {}).get("object", {}) or {}
    if event.get("type", "").startswith("payment_intent."):
        return obj.get("id")
    intent = obj.get("payment_intent")
    return intent.get("id") if isinstance(intent, dict) else intent


def fresh_intent_for(event: dict) -> gateway.Intent | None:
    """For events where order of arrival matters, the intent as Stripe sees it now.

    Called before any database work, so no row is locked while Stripe answers.
    """
    if event.get("type") not in _REREAD:
        return None
    intent_id = _intent_id_of(event)
    return gateway.retrieve_intent(intent_id) if intent_id else None


def handle_event(event: dict, fresh: gateway.Intent | None = None) -> str:
    """Store a verified Stripe event by its id and apply it, once; returns the outcome.

    A repeated event (same id) changes nothing. An event for an intent the shop does
    not know is stored and left alone.
    """
    kind = event.get("type", "")
    intent_id = _intent_id_of(event)
    row = StripeEvent(event_id=event["id"], type=kind[:100], payment_intent_id=intent_id,
                      payload=event, received_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except sa.exc.IntegrityError:
        return "duplicate"
    row.outcome = _apply_event(kind, event.get("data", {}).get("object", {}) or {},
                               intent_id, fresh)
    db.session.flush()
    return row.outcome


def _apply_event(kind: str, obj: dict, intent_id: str | None,
                 fresh: gateway.Intent | None) -> str:
    public_id = (obj.get("metadata") or {}).get("order") if obj.get("id") == intent_id else None
    order = order_for_intent(intent_id, public_id)
    if order is None:
        return "unknown_intent"
    if kind == "payment_intent.succeeded":
        return apply_intent(order, gateway.intent_from_event(obj))
    if kind == "payment_intent.processing":
        return apply_intent(order, gateway.intent_from_event(obj))
    if kind in _REREAD:
        error = obj.get("last_payment_error") or {}
        return apply_intent(order, fresh or gateway.intent_from_event(obj),
                            failure_message=error.get("message") or str(_l("Payment failed.")))
    if kind == "charge.refunded":
        return _sync_charge_refunds(order, intent_id, obj)
    if kind == "charge.dispute.created":
        order = lock_order(order)
        if order.disputed:
            return "ignored"
        order.disputed = True
        log_event(order, "disputed", amount=obj.get("amount"), detail=obj.get("reason"))
        return "disputed"
    return "ignored"


def _sync_charge_refunds(order: Order, intent_id: str, charge: dict) -> str:
    """Match Stripe's refunds of a charge with ours; record those made outside the shop."""
    order = lock_order(order)
    payment = payment_by_intent(intent_id)
    changed = "ignored"
    listed = (charge.get("refunds") or {}).get("data") or []
    for item in listed:
        refund = db.session.execute(sa.select(Refund).where(
            Refund.stripe_refund_id == item.get("id"))).scalar_one_or_none()
        if refund is not None and refund.status == RefundStatus.PENDING \
                and item.get("status") == "succeeded":
            refund_succeeded(refund)
            changed = "refunded"
    ours = sum(r.amount for r in refunds_of(order) if r.payment_id == payment.id
               and r.status in (RefundStatus.SUCCEEDED, RefundStatus.PENDING))
    extra = int(charge.get("amount_refunded") or 0) - ours
    if extra > 0:
        refund = Refund(order_id=order.id, payment_id=payment.id, amount=extra,
                        currency=payment.currency, method=Collection.STRIPE,
                        status=RefundStatus.PENDING, reason=OUTSIDE,
                        full=extra >= refundable(order))
        db.session.add(refund)
        db.session.flush()
        refund_succeeded(refund)
        changed = "refunded"
    return changed


def orders_with_pending_refunds_for(event: dict) -> list[int]:
    """The order an event concerns, when it has Stripe refunds waiting to be carried out."""
    intent_id = _intent_id_of(event)
    payment = payment_by_intent(intent_id) if intent_id else None
    if payment is None:
        return []
    pending = db.session.execute(sa.select(Refund.id).where(
        Refund.order_id == payment.order_id, Refund.status == RefundStatus.PENDING)).first()
    return [payment.order_id] if pending else []
