"""What a complaint's remedy gives the customer: money back, a coupon, a replacement.

The storefront's services do the work: its refund service is the one place that moves
money back (Stripe or the offline desk), its coupons and its orders. Admins and staff of
the order's center refund the remedy's sum at once; anyone else's refund remedy is
recorded as requested, and the order's page carries it out.
"""


from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.errors import ValidationFailed
from core.extensions import db
from core.i18n import current_locale
from core.models import User
from core.money import format_money
from fulfillment.errors import InsufficientStock
from storefront import coupons
from storefront.coupon_models import CouponSource
from storefront.errors import NothingToRefund, RefundExceedsRefundable
from storefront.models import Order
from storefront.payments.refund_requests import request_refund
from storefront.payments.refunds import can_refund, execute_pending_refunds, refund_amount
from storefront.replacements import place_replacement

from .goodwill import MAX_GOODWILL_AMOUNT, announce_coupon


def issue_refund(order: Order, *, amount: int, actor: User, reason: str) -> str:
    """Refund ``amount`` (fen) of ``order`` for a complaint; returns a note for the record.

    The sum goes back through the storefront's refund service (Stripe for online payments,
    once the caller has committed and called ``pay_out``; cash otherwise). Someone who may
    not refund (an agent) leaves a refund request on the order's back-office page instead
    (``reason``, e.g. "complaint:12", names its source). More than can still be refunded is
    refused on ``remedy_amount`` with the service's code, nothing done.
    """
    money = format_money(amount, order.currency, current_locale())
    try:
        if can_refund(order, actor):
            refund_amount(order, actor, amount=amount, reason=reason)
            return _("Refunded %(amount)s.", amount=money)
        request_refund(order, amount=amount, source=reason, reason=reason, actor=actor)
    except (RefundExceedsRefundable, NothingToRefund) as err:
        errors = err.errors.get("amount") or [str(err.message)]
        raise ValidationFailed(code=err.code, errors={"remedy_amount": errors},
                               extra=err.extra) from None
    return _("Refund of %(amount)s requested from the storefront.", amount=money)


def pay_out(order_id: int | None) -> None:
    """After the caller's commit: ask Stripe for the refunds a remedy queued on the order."""
    if order_id is not None:
        execute_pending_refunds(order_id)


def issue_coupon(complaint, *, amount: int, actor: User) -> str:
    """Give the complaint's customer a coupon of ``amount`` (fen) and tell them; returns a
    note for the record.

    The coupon lasts ``COMPLAINT_COUPON_DAYS`` (90); the message goes through the outbox in
    the customer's language (e-mail, or SMS without one). A prospect without an account
    cannot hold a coupon: refused on ``remedy``. A complaint gives one coupon: resolved
    again (after a reopen) with a coupon, it keeps the one it gave, and says nothing new.
    It takes at most ``MAX_GOODWILL_AMOUNT`` off, as a coupon given by hand: more is
    refused on ``remedy_amount``, nothing issued.
    """
    if amount > MAX_GOODWILL_AMOUNT:
        most = format_money(MAX_GOODWILL_AMOUNT, current_app.config["SHOP_CURRENCY"],
                            current_locale())
        raise ValidationFailed(errors={"remedy_amount": [str(_l(
            "A complaint's coupon takes at most %(amount)s off, as one given by hand.",
            amount=most))]})
    if complaint.coupon is not None:
        return _("Coupon %(code)s was issued before; the customer keeps it.",
                 code=complaint.coupon.code)
    user = db.session.get(User, complaint.customer.user_id) if complaint.customer.user_id \
        else None
    if user is None:
        raise ValidationFailed(errors={"remedy": [str(_l(
            "A coupon needs the customer's shop account; this customer has none."))]})
    coupon = coupons.issue_coupon(
        user.id, amount=amount, source=CouponSource.COMPLAINT, source_ref=str(complaint.id),
        valid_days=current_app.config["COMPLAINT_COUPON_DAYS"], actor_id=actor.id)
    complaint.coupon_id, complaint.coupon = coupon.id, coupon
    announce_coupon(user, coupon, apology=True)
    return _("Coupon %(code)s issued.", code=coupon.code)


def send_replacement(complaint, order: Order, *, actor: User, quantity: int | None) -> str:
    """Place the free replacement of the complained product (default: the order's line) and
    link it to the complaint; returns a note for the record.

    Short stock at the order's center is refused on ``remedy`` with the units missing, and
    nothing is reserved (the caller rolls back).
    """
    try:
        replacement = place_replacement(order, actor=actor, product_id=complaint.product_id,
                                        quantity=quantity,
                                        note=_("Replacement for %(number)s", number=order.number))
    except InsufficientStock as err:
        short = err.extra.get("lines") or [{}]
        raise ValidationFailed(code=err.code, errors={"remedy": [_(
            "The store has only %(available)d of these in stock: the replacement cannot be "
            "sent from there now.", available=short[0].get("available", 0))]}) from None
    except ValidationFailed as err:
        raise ValidationFailed(errors={"remedy": [
            str(m) for messages in err.errors.values() for m in messages]}) from None
    complaint.replacement_order_id = replacement.id
    complaint.replacement_order = replacement
    return _("Replacement order %(number)s placed.", number=replacement.number)
