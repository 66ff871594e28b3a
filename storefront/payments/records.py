"""An order's payment records: its payments, refunds and timeline, and what they add up to."""

import sqlalchemy as sa

from core.clock import utcnow
from core.extensions import db

from ..models import Order
from .models import Collection, Payment, PaymentEvent, PaymentStatus, Refund, RefundStatus


def log_event(order: Order, kind: str, *, amount: int | None = None,
              detail: str | None = None) -> PaymentEvent:
    """Add a line to the order's payment timeline."""
    event = PaymentEvent(order_id=order.id, kind=kind, amount=amount,
                         detail=(detail or None) and detail[:500], at=utcnow())
    db.session.add(event)
    return event


def timeline(order: Order) -> list[PaymentEvent]:
    """The order's payment story, oldest first."""
    return list(db.session.execute(
        sa.select(PaymentEvent).where(PaymentEvent.order_id == order.id)
        .order_by(PaymentEvent.at, PaymentEvent.id)).scalars())


def payments_of(order: Order) -> list[Payment]:
    return list(db.session.execute(
        sa.select(Payment).where(Payment.order_id == order.id).order_by(Payment.id)).scalars())


def refunds_of(order: Order) -> list[Refund]:
    return list(db.session.execute(
        sa.select(Refund).where(Refund.order_id == order.id).order_by(Refund.id)).scalars())


def latest_stripe_payment(order: Order) -> Payment | None:
    return db.session.execute(
        sa.select(Payment).where(Payment.order_id == order.id,
                                 Payment.method == Collection.STRIPE)
        .order_by(Payment.id.desc()).limit(1)).scalar_one_or_none()


def paid_total(order: Order) -> int:
    return sum(p.amount for p in payments_of(order) if p.status == PaymentStatus.SUCCEEDED)


def refunded_total(order: Order, *, include_pending: bool = True) -> int:
    counted = (RefundStatus.SUCCEEDED, RefundStatus.PENDING) if include_pending \
        else (RefundStatus.SUCCEEDED,)
    return sum(r.amount for r in refunds_of(order) if r.status in counted)


def refundable(order: Order) -> int:
    """What can still be given back: paid, less refunds done or under way."""
    return max(0, paid_total(order) - refunded_total(order))


def cash_refundable(order: Order) -> int:
    """What a refund in cash may still give back: the money the desk took for the order
    (never more than the order's total), less the cash refunds done or under way. A cash
    refund never pays out more than was really taken, whatever was recorded."""
    taken = sum(p.amount for p in payments_of(order)
                if p.status == PaymentStatus.SUCCEEDED and p.method in Collection.OFFLINE)
    given = sum(r.amount for r in refunds_of(order)
                if r.method != Collection.STRIPE
                and r.status in (RefundStatus.SUCCEEDED, RefundStatus.PENDING))
    return max(0, min(taken, order.total_amount) - given)


def refunded_quantities(order: Order) -> dict[int, int]:
    """Units of each order line already given back (or being given back)."""
    counts: dict[int, int] = {}
    for refund in refunds_of(order):
        if refund.status == RefundStatus.FAILED:
            continue
        for line in refund.lines:
            counts[line.order_line_id] = counts.get(line.order_line_id, 0) + line.quantity
    return counts


def lock_order(order: Order) -> Order:
    """Read the order again under a row lock (PostgreSQL; SQLite writes one at a time)."""
    db.session.refresh(order, with_for_update=True)
    return order


def payment_by_intent(intent_id: str) -> Payment | None:
    return db.session.execute(
        sa.select(Payment).where(Payment.stripe_payment_intent_id == intent_id)
    ).scalar_one_or_none()


def order_for_intent(intent_id: str | None, public_id: str | None = None) -> Order | None:
    """The order a PaymentIntent pays: through its recorded payment, else by the public id
    the intent carries in its metadata (an intent whose recording was interrupted)."""
    if not intent_id:
        return None
    payment = payment_by_intent(intent_id)
    if payment is not None:
        return db.session.get(Order, payment.order_id)
    if not public_id:
        return None
    return db.session.execute(
        sa.select(Order).where(Order.public_id == str(public_id))).scalar_one_or_none()
