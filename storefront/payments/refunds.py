"""Refunds: in full, by lines or by amount, with a reason; through Stripe for online
payments, in cash for those taken at the desk.

A Stripe refund is written ``pending`` first and Stripe is asked after the commit
(``execute_refund``, keyed by the refund's id so asking again cannot refund twice); one left
pending by an interruption is retried by ``jobs.reconcile``. ``order_refunded`` is sent
when the money is back, in the transaction that records it.
"""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.clock import utcnow
from core.errors import Conflict, Forbidden, ValidationFailed
from core.extensions import db
from core.models import Role, User
from core.signals import order_refunded
from fulfillment import services as desk
from fulfillment import transfer_pickups
from fulfillment.models import FulfillmentStatus
from fulfillment.returns import return_to_stock, returnable

from ..errors import (
    NothingToRefund,
    PaymentGatewayError,
    PaymentsUnavailable,
    RefundExceedsRefundable,
)
from ..models import Order, OrderLine, OrderStatus
from . import gateway
from .models import (
    Collection,
    Payment,
    PaymentStatus,
    Refund,
    RefundLine,
    RefundRequest,
    RefundStatus,
)
from .records import (
    cash_refundable,
    lock_order,
    log_event,
    paid_total,
    payments_of,
    refundable,
    refunded_quantities,
    refunded_total,
    refunds_of,
)
from .refund_requests import close_requests


def queue_refund(order: Order, payment: Payment, amount: int, *, reason: str, full: bool,
                  lines: list[RefundLine] | None = None, actor: User | None = None) -> Refund:
    """Write a refund of ``payment``, by the same way it was paid: done at once at the desk
    (cash, card terminal, WeChat or Alipay scan), ``pending`` until Stripe answers otherwise."""
    refund = Refund(order_id=order.id, payment_id=payment.id, amount=amount,
                    currency=payment.currency, full=full, reason=reason[:500],
                    method=payment.method,  # back the way it came: cash, terminal, scan, Stripe
                    status=RefundStatus.PENDING, actor_id=actor.id if actor else None,
                    lines=lines or [])
    db.session.add(refund)
    db.session.flush()
    close_requests(order.id, refund)
    if refund.method != Collection.STRIPE:  # handed back at the desk there and then
        refund_succeeded(refund)
    else:
        log_event(order, "refund_pending", amount=amount, detail=reason)
    return refund


def refund_succeeded(refund: Refund) -> None:
    """The money is back with the shopper: record it, settle the order, tell the others."""
    order = db.session.get(Order, refund.order_id)
    refund.status = RefundStatus.SUCCEEDED
    refund.completed_at = utcnow()
    log_event(order, "refund", amount=refund.amount, detail=refund.reason)
    db.session.flush()
    whole = refunded_total(order, include_pending=False) >= paid_total(order)
    if whole and order.status in (OrderStatus.PAID, OrderStatus.FULFILLED, OrderStatus.CONFIRMED):
        f = order.fulfillment
        if f is not None and f.status in (FulfillmentStatus.RESERVED, FulfillmentStatus.READY):
            desk.cancel_fulfillment(f)
        elif f is not None and f.status == FulfillmentStatus.TRANSFERRING:
            transfer_pickups.cancel_waiting(f, reason="refunded")
        order.status = OrderStatus.REFUNDED
        db.session.flush()
    order_refunded.send(order, refund=refund, amount=refund.amount, full=whole,
                        reason=refund.reason)


def refund_sequence(order: Order) -> list[Payment]:
    """The order's payments in the order a refund goes back through them: the card terminal,
    WeChat and Alipay scans (and Stripe) first, the latest first, back to the account that
    paid; cash last. So a return never turns a card or scan payment into cash from the till
    (the loss-prevention rule a store manager applies), and a sale paid in one way is simply
    refunded that way."""
    succeeded = [p for p in payments_of(order) if p.status == PaymentStatus.SUCCEEDED]
    return sorted(succeeded, key=lambda p: (p.method == Collection.CASH, -p.id))


def refund_through_payments(order: Order, amount: int, *, reason: str, actor: User | None,
                            lines: list[RefundLine] | None = None) -> list[Refund]:
    """Give ``amount`` back through the order's payments (``refund_sequence``), each part a
    refund of its own payment and method, never more than a payment took less what went
    back through it before. The ``lines`` go with the first part (each unit is counted back
    once). The order must be locked by the caller; returns the refunds, first to last."""
    given: dict[int, int] = {}
    for r in refunds_of(order):
        if r.status in (RefundStatus.SUCCEEDED, RefundStatus.PENDING):
            given[r.payment_id] = given.get(r.payment_id, 0) + r.amount
    whole = amount >= refundable(order)
    refunds: list[Refund] = []
    left = amount
    for payment in refund_sequence(order):
        room = payment.amount - given.get(payment.id, 0)
        if room <= 0 or left <= 0:
            continue
        part = min(room, left)
        left -= part
        refunds.append(queue_refund(order, payment, part, reason=reason,
                                    full=whole and left == 0,
                                    lines=lines if not refunds else None, actor=actor))
    if not refunds:
        raise NothingToRefund()
    return refunds


def _several_tenders(order: Order) -> bool:
    """Paid at the desk in more than one payment (a split counter sale)."""
    offline = [p for p in payments_of(order)
               if p.status == PaymentStatus.SUCCEEDED and p.method != Collection.STRIPE]
    return len(offline) > 1


def can_refund(order: Order, actor: User) -> bool:
    """Admins, and staff of the order's center."""
    return actor.role == Role.ADMIN or (actor.role == Role.STAFF
                                        and actor.center_id == order.center_id)


def _open_refund(order: Order, actor: User | None,
                 reason: str) -> tuple[Order, int, Payment, str]:
    """The checks every refund passes; returns the locked order, what is left (in cash, at
    most what the desk took: ``cash_refundable``), the payment the money goes back to and
    the cleaned reason. ``actor`` None is the shop itself (a job,
    e.g. a pickup nobody collected)."""
    if actor is not None and not can_refund(order, actor):
        raise Forbidden()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(errors={"reason": [str(_l("Say why the money goes back."))]})
    order = lock_order(order)
    payment = _refund_payment(order)
    left = left_to_refund(order, payment)
    if left <= 0:
        raise NothingToRefund()
    return order, left, payment, reason


def _refund_payment(order: Order) -> Payment | None:
    """The payment a refund goes back to: the last that succeeded."""
    return next((p for p in reversed(payments_of(order))
                 if p.status == PaymentStatus.SUCCEEDED), None)


def left_to_refund(order: Order, payment: Payment | None = None) -> int:
    """What a refund may still give back: what was paid and not yet refunded, and for a
    refund in cash at most what the desk really took (``cash_refundable``)."""
    payment = payment or _refund_payment(order)
    left = refundable(order)
    if payment is not None and payment.method != Collection.STRIPE:
        left = min(left, cash_refundable(order))
    return left


#: why a refund cannot put its goods back on the shelf
RESTOCK_ONLY_BY_LINE = _l("Only items refunded by line, handed over at this store, can go back "
                          "into stock.")


def can_restock(order: Order, actor: User) -> bool:
    """Staff of the order's center, once goods were handed over and not all came back."""
    f = order.fulfillment
    return (actor.role == Role.STAFF and actor.center_id == order.center_id
            and f is not None and any(returnable(f).values()))


def refund_order(order: Order, actor: User | None, *, reason: str,
                 lines: dict[int, int] | None = None, restock: bool = False) -> Refund:
    """Give money back: everything left (``lines`` None) or the units of some lines.

    Online payments go back through Stripe (the refund stays ``pending`` until
    ``execute_refund`` runs after the commit); offline ones are handed back in cash.
    ``actor`` None is the shop itself. ``restock``: the refunded units came back to the
    store and go back into its stock (``return_to_stock``), in the same transaction; only
    staff of the order's center may do so (``can_restock``), and only with goods handed
    over and not yet returned. Otherwise ``ValidationFailed``: the caller's rollback
    undoes the refund too.
    """
    if restock and (actor is None or not can_restock(order, actor)):
        raise ValidationFailed(errors={"restock": [str(RESTOCK_ONLY_BY_LINE)]})
    order, left, payment, reason = _open_refund(order, actor, reason)
    refund_lines: list[RefundLine] = []
    done = refunded_quantities(order)
    if lines is None:
        amount, full = left, True
        for line in order.lines:
            quantity = line.quantity - done.get(line.id, 0)
            if quantity > 0:
                refund_lines.append(RefundLine(order_line_id=line.id, quantity=quantity,
                                               amount=quantity * line.unit_price_amount))
    else:
        by_id: dict[int, OrderLine] = {line.id: line for line in order.lines}
        errors = {}
        for line_id, quantity in lines.items():
            line = by_id.get(line_id)
            if line is None:
                errors[str(line_id)] = [str(_l("Not a line of this order."))]
            elif quantity < 0 or quantity > line.quantity - done.get(line_id, 0):
                errors[str(line_id)] = [str(_l(
                    "At most %(n)d unit(s) of this line can still be refunded.",
                    n=line.quantity - done.get(line_id, 0)))]
            elif quantity:
                refund_lines.append(RefundLine(order_line_id=line_id, quantity=quantity,
                                               amount=quantity * line.unit_price_amount))
        if errors:
            raise ValidationFailed(errors={"lines": errors})
        if not refund_lines:
            raise ValidationFailed(errors={"lines": [str(_l("Choose at least one unit."))]})
        amount = min(left, sum(r.amount for r in refund_lines))
        full = amount >= left
    if _several_tenders(order):
        refund = refund_through_payments(order, amount, reason=reason, actor=actor,
                                         lines=refund_lines)[0]
    else:
        refund = queue_refund(order, payment, amount, reason=reason, full=full,
                              lines=refund_lines, actor=actor)
    if restock:
        products = {line.id: line.product_id for line in order.lines}
        return_to_stock(order.fulfillment, {products[rl.order_line_id]: rl.quantity
                                            for rl in refund.lines},
                        actor, reason=f"refund {refund.id}")
    return refund


def refund_amount(order: Order, actor: User, *, amount: int, reason: str) -> Refund:
    """Give back ``amount`` fen of what is still refundable, whatever lines it concerns.

    More than is left is refused (``RefundExceedsRefundable``) and nothing changes; the
    whole of what is left counts as a full refund.
    """
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValidationFailed(errors={"amount": [str(_l("Enter an amount above 0."))]})
    order, left, payment, reason = _open_refund(order, actor, reason)
    if amount > left:
        raise RefundExceedsRefundable(left, order.currency)
    if _several_tenders(order):
        return refund_through_payments(order, amount, reason=reason, actor=actor)[0]
    return queue_refund(order, payment, amount, reason=reason, full=amount >= left,
                        actor=actor)


def execute_refund(refund_id: int) -> Refund:
    """Ask Stripe to pay a pending refund back, then record its answer (commits both steps).

    The idempotency key is the refund's id: asking again after an interruption cannot
    refund twice.
    """
    refund = db.session.get(Refund, refund_id)
    if refund is None or refund.status != RefundStatus.PENDING or refund.method != "stripe":
        return refund
    intent_id = refund.payment.stripe_payment_intent_id
    amount, reason = refund.amount, refund.reason
    db.session.commit()
    try:
        stripe_id, status = gateway.refund(intent_id=intent_id, amount=amount, reason=reason,
                                            idempotency_key=f"refund-{refund_id}")
    except (PaymentGatewayError, PaymentsUnavailable) as err:
        refund = db.session.get(Refund, refund_id)
        order = lock_order(db.session.get(Order, refund.order_id))
        if refund.status == RefundStatus.PENDING:
            refund.failure_message = str(err.message)[:500]
            log_event(order, "refund_retry", amount=amount, detail=str(err.message))
        db.session.commit()
        return refund
    refund = db.session.get(Refund, refund_id)
    lock_order(db.session.get(Order, refund.order_id))
    db.session.refresh(refund)
    if refund.status == RefundStatus.PENDING:
        refund.stripe_refund_id = stripe_id
        if status in ("succeeded", "pending"):
            # Stripe took it; a "pending" refund is on its way back to the shopper.
            refund_succeeded(refund)
        else:
            refund.status = RefundStatus.FAILED
            refund.failure_message = status
            log_event(db.session.get(Order, refund.order_id), "refund_failed",
                      amount=amount, detail=status)
    db.session.commit()
    return refund


def execute_pending_refunds_job(now) -> str:
    """Job: carry out the Stripe refunds written by the jobs before it (e.g. no-shows)."""
    return f"{execute_pending_refunds()} pending refund(s) carried out"


def execute_pending_refunds(order_id: int | None = None) -> int:
    """Carry out every pending Stripe refund (of one order, or all); returns how many."""
    query = sa.select(Refund.id).where(Refund.status == RefundStatus.PENDING,
                                       Refund.method == "stripe")
    if order_id is not None:
        query = query.where(Refund.order_id == order_id)
    ids = db.session.execute(query.order_by(Refund.id)).scalars().all()
    if not ids:
        return 0
    for refund_id in ids:
        execute_refund(refund_id)
    return len(ids)


def pay_request(request: RefundRequest, actor: User) -> Refund:
    """Refund what was asked (or what is left, if less) through the refund service.

    The request is claimed first by one conditional UPDATE (still open -> closed), so two
    clicks at once refund it once: the second finds the row count 0 and is refused.
    Refused, before anything is written, for anyone who may not refund.
    """
    order = db.session.get(Order, request.order_id)
    if not can_refund(order, actor):
        raise Forbidden()
    table = RefundRequest.__table__.c
    claimed = db.session.execute(
        sa.update(RefundRequest.__table__)
        .where(table.id == request.id, table.closed_at.is_(None))
        .values(closed_at=utcnow()))
    if claimed.rowcount != 1:
        raise Conflict(_l("A refund has already answered this request."),
                       code="refund_request_closed")
    amount = min(request.amount, left_to_refund(order))
    if amount <= 0:
        raise NothingToRefund()
    refund = refund_amount(order, actor, amount=amount, reason=request.reason)
    db.session.execute(sa.update(RefundRequest.__table__).where(table.id == request.id)
                       .values(refund_id=refund.id))
    db.session.refresh(request)
    return refund
