"""Payment rules: intents for orders, what Stripe's answers do to them, late payments,
paying offline instead, and cancellations.

Stripe is called through ``gateway`` and never while an order's row is locked: the
functions that talk to Stripe (``open_intent``, ``cancel_intents``, the jobs of
``jobs`` and ``refunds.execute_refund``) end the current transaction first and record
the answer in a short one of their own. Everything else flushes and returns; the caller
commits once. Webhook events are stored and applied by ``webhooks``.

An order's money never gets lost: a success that arrives for an order cancelled by the
expiry job revives it when its stock can be reserved again and is refunded otherwise; a
success for an order that cannot take it (cancelled by the shopper, already paid) is
refunded. Refunds through Stripe are written ``pending`` before Stripe is asked, so one
interrupted half-way is retried (same idempotency key) by ``jobs.reconcile``.
"""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.clock import utcnow
from core.errors import IllegalTransition, NotFound, ValidationFailed
from core.extensions import db
from core.models import User
from core.signals import order_paid
from fulfillment import services as desk
from fulfillment.errors import InsufficientStock, PaymentMethodRequired

from ..errors import PaymentGatewayError, PaymentsUnavailable
from ..models import Order, OrderStatus, PaymentMethod
from ..orders import CANCELLED, record_payment
from . import gateway
from .models import Collection, Payment, PaymentEvent, PaymentStatus
from .records import (
    latest_stripe_payment,
    lock_order,
    log_event,
    paid_total,
    payment_by_intent,
    payments_of,
    refundable,
)
from .records import refunds_of as refunds_of  # what the order pages ask billing
from .refunds import execute_pending_refunds, queue_refund, refund_order

#: refund reasons the shop writes itself (staff write their own words)
LATE_PAYMENT = "late_payment"
DUPLICATE = "duplicate_payment"
AMOUNT_MISMATCH = "amount_mismatch"
OUTSIDE = "stripe_dashboard"


# --- paying online ---------------------------------------------------------------------------


def _check_can_pay(order: Order, actor: User) -> None:
    if order.user_id != actor.id:
        raise NotFound()
    if not gateway.enabled():
        raise PaymentsUnavailable()
    if order.status != OrderStatus.PENDING_PAYMENT or order.payment_method != PaymentMethod.STRIPE:
        raise IllegalTransition(_l("This order does not wait for an online payment."),
                                extra={"status": order.status})


def open_intent(order: Order, actor: User) -> gateway.Intent:
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
        intent = gateway.retrieve_intent(intent_id)
        if intent.status != "canceled":
            return intent
        attempt += 1
    intent = gateway.create_intent(amount=amount, currency=currency, order_public_id=public_id,
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


def _ensure_payment(order: Order, intent: gateway.Intent) -> Payment:
    payment = payment_by_intent(intent.id)
    if payment is None:
        payment = Payment(order_id=order.id, method=Collection.STRIPE,
                          status=PaymentStatus.PENDING, amount=intent.amount,
                          currency=intent.currency, stripe_payment_intent_id=intent.id)
        db.session.add(payment)
        log_event(order, "intent", amount=intent.amount, detail=intent.id)
        db.session.flush()
    return payment


def apply_intent(order: Order, intent: gateway.Intent, *,
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


def _record_success(order: Order, payment: Payment, intent: gateway.Intent) -> str:
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
    record_payment(order, payment.amount, paid_at=payment.succeeded_at or utcnow())
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


# --- cancellations, the desk ---------------------------------------------------------


def note_cancellation(order: Order, *, reason: str = CANCELLED) -> None:
    """An order was cancelled: say why on its timeline (``cancelled``, ``expired``,
    ``no_show``) and give back in full what was paid online, with that reason.

    The refund is written ``pending`` here; Stripe is asked after the commit.
    """
    log_event(order, reason)
    if refundable(order) > 0:
        refund_order(order, None, reason=reason)


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
    if not gateway.enabled():
        return
    for intent_id in intent_ids:
        try:
            intent = gateway.cancel_intent(intent_id)
        except PaymentGatewayError:
            continue  # reconcile looks again
        apply_intent(db.session.get(Order, order_id), intent)
        db.session.commit()
    execute_pending_refunds(order_id)


def record_offline_payment(order: Order, collected: dict | None,
                           actor_id: int | None = None) -> int:
    """The desk took the money at hand-over; returns the amount (fen).

    ``collected`` is ``{"method": cash|card_terminal|wechat_scan|alipay_scan, "amount"?}``
    (without an amount: what is left to pay, the total less what the desk took before).
    No way of paying is assumed: without a method nothing is recorded when nothing is
    left to pay, and ``PaymentMethodRequired`` is raised when something is.
    """
    collected = collected or {}
    method = collected.get("method")
    amount = collected.get("amount")
    amount = max(order.total_amount - paid_total(order), 0) if amount is None else int(amount)
    if method is None:
        if amount:
            raise PaymentMethodRequired(amount=amount, currency=order.currency)
        return 0
    if method not in Collection.OFFLINE:
        raise ValidationFailed(errors={"method": [str(_l("Unknown way of paying."))]})
    if amount < 0:
        raise ValidationFailed(errors={"amount": [str(_l("Enter an amount of 0 or more."))]})
    db.session.add(Payment(order_id=order.id, method=method, status=PaymentStatus.SUCCEEDED,
                           amount=amount, currency=order.currency, succeeded_at=utcnow(),
                           collected_by_id=actor_id))
    log_event(order, "collected", amount=amount, detail=method)
    db.session.flush()
    return amount
