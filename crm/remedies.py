"""The money side of a complaint's remedy, behind one function.

The storefront's refund service is the one place that moves money back (Stripe or the
offline desk). Admins and staff of the order's center refund the remedy's sum at once;
anyone else's refund remedy is recorded as requested, and the order's page carries it out.
"""


from flask_babel import gettext as _

from core.errors import ValidationFailed
from core.i18n import current_locale
from core.models import User
from core.money import format_money
from storefront.errors import NothingToRefund, RefundExceedsRefundable
from storefront.models import Order
from storefront.refunds import can_refund, execute_pending_refunds, refund_amount


def issue_refund(order: Order, *, amount: int, actor: User, reason: str) -> str:
    """Refund ``amount`` (fen) of ``order`` for a complaint; returns a note for the record.

    The sum goes back through the storefront's refund service (Stripe for online payments,
    once the caller has committed and called ``pay_out``; cash otherwise). More than can
    still be refunded is refused on ``remedy_amount`` with the service's code, nothing done.
    """
    money = format_money(amount, order.currency, current_locale())
    if amount <= 0 or not can_refund(order, actor):
        return _("Refund of %(amount)s requested from the storefront.", amount=money)
    try:
        refund_amount(order, actor, amount=amount, reason=reason)
    except (RefundExceedsRefundable, NothingToRefund) as err:
        errors = err.errors.get("amount") or [str(err.message)]
        raise ValidationFailed(code=err.code, errors={"remedy_amount": errors},
                               extra=err.extra) from None
    return _("Refunded %(amount)s.", amount=money)


def pay_out(order_id: int | None) -> None:
    """After the caller's commit: ask Stripe for the refunds a remedy queued on the order."""
    if order_id is not None:
        execute_pending_refunds(order_id)
