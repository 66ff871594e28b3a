"""Payment rules: intents for orders, webhook events applied once, late payments, expiry.

Stripe is called through ``payments`` and never while an order's row is locked: the
functions that talk to Stripe (``open_intent``, ``cancel_intents``, ``expire_unpaid_orders``,
``reconcile``, and ``refunds.execute_refund``) end the current transaction first and record
the answer in a short one of their own. Everything else flushes and returns; the caller
commits once.

An order's money never gets lost: a success that arrives for an order cancelled by the
expiry job revives it when its stock can be reserved again and is refunded otherwise; a
success for an order that cannot take it (cancelled by the shopper, already paid) is
refunded. Refunds through Stripe are written ``pending`` before Stripe is asked, so one
interrupted half-way is retried (same idempotency key) by ``reconcile``.
"""

import logging

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.errors import IllegalTransition, NotFound, ValidationFailed
from core.extensions import db
from core.models import User, utcnow
from core.signals import order_paid
from fulfillment import services as desk
from fulfillment.errors import InsufficientStock

from . import orders as order_rules
from . import payments
from .errors import PaymentGatewayError, PaymentsUnavailable
from .models import Order, OrderStatus, PaymentMethod
from .payment_models import (
    Collection,
    Payment,
    PaymentEvent,
    PaymentStatus,
    Refund,
    RefundStatus,
    StripeEvent,
)
from .payment_records import (
    latest_stripe_payment,
    lock_order,
    log_event,
    payment_by_intent,
    payments_of,
    refundable,
    refunds_of,
)
from .refunds import execute_pending_refunds, queue_refund, refund_succeeded

log = logging.getLogger(__name__)

#: refund reasons the shop writes itself (staff write their own words)
LATE_PAYMENT = "late_payment"
CANCELLED = "cancelled"
DUPLICATE = "duplicate_payment"
AMOUNT_MISMATCH = "amount_mismatch"
OUTSIDE = "stripe_dashboard"


# --- paying online ---------------------------------------------------------------------------


def _check_can_pay(order: Order, actor: User) -> None:
    if order.user_id != actor.id:
        raise NotFound()
    if not payments.enabled():
        raise PaymentsUnavailable()
    if order.status != OrderStatus.PENDING_PAYMENT or order.payment_method != PaymentMethod.STRIPE:
        raise IllegalTransition(_l("This order does not wait for an online payment."),
                                extra={"status": order.status})


def open_intent(order: Order, actor: User) -> payments.Intent:
    """The PaymentIntent the owner pays this order with, created on first use.

    Ends the current transaction before calling Stripe. The idempotency key is derived
    from the order (and the number of earlier intents cancelled), so a retried request
    gets the same intent rather than a second one. The caller commits.
    """
    _check_can_pay(order, actor)
    current = latest_stripe_payment(order)
    reuse = current is not None and current.status not in (PaymentStatus.CANCELED,)
    intent_id = current.stripe_payment_intent_id if reuse else None
    attempt = len([p for p in payments_of(order) if p.method == Collection.STRIPE]) + 1
    order_id, public_id = order.id, order.public_id
    amount, currency = order.total_amount, order.currency
    db.session.commit()  # no transaction stays open while Stripe answers
    if intent_id:
        intent = payments.retrieve_intent(intent_id)
        if intent.status != "canceled":
            return intent
        attempt += 1
    intent = payments.create_intent(amount=amount, currency=currency, order_public_id=public_id,
                                     idempotency_key=f"order-{public_id}-intent-{attempt}")
    order = db.session.get(Order, order_id)
    if payment_by_intent(intent.id) is None:
        try:
            with db.session.begin_nested():
                db.session.add(Payment(order_id=order.id, method=Collection.STRIPE,
                                       status=PaymentStatus.PENDING, amount=intent.amount,
                                       currency=intent.currency,
                                       stripe_payment_intent_id=intent.id))
                log_event(order, "intent", amount=intent.amount, detail=intent.id)
        except sa.exc.IntegrityError:
            pass  # a twin request recorded the same intent
    return intent


def _ensure_payment(order: Order, intent: payments.Intent) -> Payment:
    payment = payment_by_intent(intent.id)
    if payment is None:
        payment = Payment(order_id=order.id, method=Collection.STRIPE,
                          status=PaymentStatus.PENDING, amount=intent.amount,
                          currency=intent.currency, stripe_payment_intent_id=intent.id)
        db.session.add(payment)
        log_event(order, "intent", amount=intent.amount, detail=intent.id)
        db.session.flush()
    return payment


def apply_intent(order: Order, intent: payments.Intent, *,
                 failure_message: str | None = None) -> str:
    """Bring the order in line with what Stripe says of one of its intents; what changed.

    Locks the order's row. Safe to repeat: a state already recorded changes nothing, and
    nothing goes back from succeeded.
    """
    order = lock_order(order)
    payment = _ensure_payment(order, intent)
    if intent.status == "succeeded":
        return _record_success(order, payment, intent)
    if payment.status == PaymentStatus.SUCCEEDED:
        return "ignored"
    if intent.status == "processing":
        if payment.status == PaymentStatus.PROCESSING:
            return "ignored"
        payment.status = PaymentStatus.PROCESSING
        log_event(order, "processing", amount=intent.amount, detail=intent.method_type)
        return "processing"
    message = intent.failure_message or failure_message
    if intent.status in ("requires_payment_method", "requires_action") and message:
        if payment.status == PaymentStatus.FAILED and payment.failure_message == message[:500]:
            return "ignored"
        payment.status = PaymentStatus.FAILED
        payment.failure_message = message[:500]
        log_event(order, "failed", amount=intent.amount, detail=message)
        return "failed"
    if intent.status == "canceled":
        if payment.status == PaymentStatus.CANCELED:
            return "ignored"
        payment.status = PaymentStatus.CANCELED
        log_event(order, "canceled", detail=intent.id)
        return "canceled"
    return "ignored"


def _record_success(order: Order, payment: Payment, intent: payments.Intent) -> str:
    if payment.status == PaymentStatus.SUCCEEDED:
        return "ignored"
    payment.status = PaymentStatus.SUCCEEDED
    payment.amount = intent.amount
    payment.succeeded_at = utcnow()
    payment.stripe_method_type = intent.method_type or payment.stripe_method_type
    payment.failure_message = None
    log_event(order, "succeeded", amount=intent.amount, detail=intent.method_type)
    db.session.flush()
    if intent.amount != order.total_amount or intent.currency != order.currency:
        queue_refund(order, payment, intent.amount, reason=AMOUNT_MISMATCH, full=True)
        return "refunding"
    if order.status in (OrderStatus.PENDING_PAYMENT, OrderStatus.CONFIRMED):
        _mark_paid(order, payment)
        return "paid"
    if order.status == OrderStatus.CANCELLED and _was_expired(order):
        return _revive_or_refund(order, payment)
    queue_refund(order, payment, payment.amount, full=True,
                  reason=CANCELLED if order.status == OrderStatus.CANCELLED else DUPLICATE)
    return "refunding"


def _mark_paid(order: Order, payment: Payment) -> None:
    order.status = OrderStatus.PAID
    order.payment_method = PaymentMethod.STRIPE
    order.paid_amount = payment.amount
    order.paid_at = payment.succeeded_at or utcnow()
    db.session.flush()
    order_paid.send(order)


def _was_expired(order: Order) -> bool:
    """Whether the order's cancellation was the expiry job's (not the shopper's or staff's)."""
    last = db.session.execute(
        sa.select(PaymentEvent.kind).where(PaymentEvent.order_id == order.id,
                                           PaymentEvent.kind.in_(("expired", "cancelled")))
        .order_by(PaymentEvent.at.desc(), PaymentEvent.id.desc()).limit(1)).scalar()
    return last == "expired"


def _revive_or_refund(order: Order, payment: Payment) -> str:
    """A payment that came after expiry: take the order up again, or give the money back."""
    f = order.fulfillment
    try:
        with db.session.begin_nested():
            if f is None:
                raise InsufficientStock()
            desk.reinstate_fulfillment(f)
    except InsufficientStock:
        log_event(order, "late", amount=payment.amount,
                  detail=str(_l("Paid after the order expired; the items are gone.")))
        queue_refund(order, payment, payment.amount, reason=LATE_PAYMENT, full=True)
        return "refunding"
    order.cancelled_at = None
    log_event(order, "revived", amount=payment.amount)
    _mark_paid(order, payment)
    return "revived"


# --- webhooks --------------------------------------------------------------------------------

#: events whose copy of the intent may be stale by the time they arrive
_REREAD = ("payment_intent.payment_failed", "payment_intent.canceled")


def _intent_id_of(event: dict) -> str | None:
    obj = event.get("data", {}).get("object", {}) or {}
    if event.get("type", "").startswith("payment_intent."):
        return obj.get("id")
    intent = obj.get("payment_intent")
    return intent.get("id") if isinstance(intent, dict) else intent


def fresh_intent_for(event: dict) -> payments.Intent | None:
    """For events where order of arrival matters, the intent as Stripe sees it now.

    Called before any database work, so no row is locked while Stripe answers.
    """
    if event.get("type") not in _REREAD:
        return None
    intent_id = _intent_id_of(event)
    return payments.retrieve_intent(intent_id) if intent_id else None


def handle_event(event: dict, fresh: payments.Intent | None = None) -> str:
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


def _order_for_intent(intent_id: str | None, obj: dict) -> Order | None:
    if not intent_id:
        return None
    payment = payment_by_intent(intent_id)
    if payment is not None:
        return db.session.get(Order, payment.order_id)
    public_id = (obj.get("metadata") or {}).get("order") if obj.get("id") == intent_id else None
    if not public_id:
        return None
    return db.session.execute(
        sa.select(Order).where(Order.public_id == str(public_id))).scalar_one_or_none()


def _apply_event(kind: str, obj: dict, intent_id: str | None,
                 fresh: payments.Intent | None) -> str:
    order = _order_for_intent(intent_id, obj)
    if order is None:
        return "unknown_intent"
    if kind == "payment_intent.succeeded":
        return apply_intent(order, payments.intent_from_event(obj))
    if kind == "payment_intent.processing":
        return apply_intent(order, payments.intent_from_event(obj))
    if kind in _REREAD:
        error = obj.get("last_payment_error") or {}
        return apply_intent(order, fresh or payments.intent_from_event(obj),
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


# --- cancellations, expiry, the desk ---------------------------------------------------------


def note_cancellation(order: Order, *, expired: bool, reason: str | None = None) -> None:
    """An order was cancelled: say so on its timeline (``reason``, e.g. ``no_show``, or
    expired / cancelled); give back what was paid online."""
    log_event(order, reason or ("expired" if expired else "cancelled"))
    left = refundable(order)
    if left > 0:
        payment = next(p for p in reversed(payments_of(order))
                       if p.status == PaymentStatus.SUCCEEDED)
        queue_refund(order, payment, left, reason=CANCELLED, full=True)


def expire_unpaid_orders(now) -> str:
    """Job: expire unpaid online orders, then cancel their PaymentIntents at Stripe.

    The orders are cancelled and committed first (stock released); Stripe is called after,
    with no row locked. An intent that can no longer be cancelled because it succeeded
    meanwhile is applied at once (the order is revived or refunded).
    """
    expired, open_intents = 0, []
    for order_id in order_rules.due_unpaid_order_ids(now):
        # One short transaction per order: its row and stock are held only that long.
        order = db.session.get(Order, order_id)
        if order_rules.expire_order(order, now):
            expired += 1
            open_intents += [(order.id, p.stripe_payment_intent_id) for p in payments_of(order)
                             if p.method == Collection.STRIPE and p.stripe_payment_intent_id
                             and p.status not in (PaymentStatus.SUCCEEDED,
                                                  PaymentStatus.CANCELED)]
        db.session.commit()
    for order_id, intent_id in open_intents:
        cancel_intents(order_id, [intent_id])
    return f"{expired} unpaid order(s) expired"


def switch_to_offline(order: Order, actor: User) -> list[str]:
    """The owner pays at pickup or on delivery instead of online; returns intents to cancel.

    Refused once a payment is under way or done. The order is confirmed at once, as an
    offline order is; should a payment still succeed, it is recorded and the order is paid.
    """
    if order.user_id != actor.id:
        raise NotFound()
    order = lock_order(order)
    if order.status != OrderStatus.PENDING_PAYMENT:
        raise IllegalTransition(_l("This order does not wait for an online payment."),
                                extra={"status": order.status})
    mine = [p for p in payments_of(order) if p.method == Collection.STRIPE]
    if any(p.status in (PaymentStatus.SUCCEEDED, PaymentStatus.PROCESSING) for p in mine):
        raise IllegalTransition(_l("A payment for this order is already under way."),
                                extra={"status": order.status})
    order.payment_method = (PaymentMethod.PAY_AT_PICKUP if order.fulfillment_method == "pickup"
                            else PaymentMethod.CASH_ON_DELIVERY)
    order.status = OrderStatus.CONFIRMED
    log_event(order, "offline", detail=order.payment_method)
    db.session.flush()
    return [p.stripe_payment_intent_id for p in mine
            if p.status != PaymentStatus.CANCELED and p.stripe_payment_intent_id]


def cancel_intents(order_id: int, intent_ids: list[str]) -> None:
    """Cancel intents at Stripe (after the caller's commit) and record what became of them."""
    if not payments.enabled():
        return
    for intent_id in intent_ids:
        try:
            intent = payments.cancel_intent(intent_id)
        except PaymentGatewayError:
            continue  # reconcile looks again
        apply_intent(db.session.get(Order, order_id), intent)
        db.session.commit()
    execute_pending_refunds(order_id)


def record_offline_payment(order: Order, collected: dict | None,
                           actor_id: int | None = None) -> int:
    """The desk took the money at hand-over; returns the amount (fen).

    ``collected`` is ``{"method": cash|card_terminal|wechat_scan|alipay_scan, "amount"}``;
    without it, cash for the order's total.
    """
    collected = collected or {}
    method = collected.get("method") or Collection.CASH
    if method not in Collection.OFFLINE:
        raise ValidationFailed(errors={"method": [str(_l("Unknown way of paying."))]})
    amount = collected.get("amount")
    amount = order.total_amount if amount is None else int(amount)
    if amount < 0:
        raise ValidationFailed(errors={"amount": [str(_l("Enter an amount of 0 or more."))]})
    db.session.add(Payment(order_id=order.id, method=method, status=PaymentStatus.SUCCEEDED,
                           amount=amount, currency=order.currency, succeeded_at=utcnow(),
                           collected_by_id=actor_id))
    log_event(order, "collected", amount=amount, detail=method)
    db.session.flush()
    return amount


# --- reconciliation --------------------------------------------------------------------------


def reconcile(since) -> dict:
    """Compare Stripe's intents since ``since`` with the orders and repair what disagrees.

    Then retries refunds left pending. Returns counts of what it saw and changed.
    """
    seen, changed = 0, 0
    for intent in payments.list_intents(since):
        seen += 1
        order = _order_for_intent(intent.id, {"id": intent.id,
                                              "metadata": {"order": intent.order_public_id}})
        if order is None:
            continue
        outcome = apply_intent(order, intent)
        if outcome != "ignored":
            changed += 1
            log.info("reconcile: %s %s -> %s", order.public_id, intent.id, outcome)
        db.session.commit()
    db.session.commit()
    return {"seen": seen, "changed": changed, "refunds": execute_pending_refunds()}
