"""The money side of a complaint's remedy, behind one function.

The storefront's refund service is the one place that moves money back (Stripe or the
offline desk); until it is part of this build, a refund remedy is recorded as requested
and the storefront team's desk carries it out. Only this module knows which.
"""


from flask_babel import gettext as _

from core.i18n import current_locale
from core.models import User
from core.money import format_money
from storefront.models import Order
from storefront.payment_records import refundable
from storefront.refunds import refund_order


def issue_refund(order: Order, *, amount: int, actor: User, reason: str) -> str:
    """Refund ``amount`` (fen) of ``order`` for a complaint; returns a note for the record.

    Everything still refundable goes back through the storefront's refund service (Stripe
    for online payments, once the caller has committed; cash otherwise). The refund
    service works in whole lines, so a smaller sum is recorded as requested for the
    order's page, where staff refund the lines concerned.
    """
    money = format_money(amount, order.currency, current_locale())
    if amount <= 0 or amount < refundable(order):
        return _("Refund of %(amount)s requested from the storefront.", amount=money)
    refund_order(order, actor, reason=reason)
    return _("Refunded %(amount)s.", amount=money)
