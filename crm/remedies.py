"""The money side of a complaint's remedy, behind one function.

The storefront's refund service is the one place that moves money back (Stripe or the
offline desk); until it is part of this build, a refund remedy is recorded as requested
and the storefront team's desk carries it out. Only this module knows which.
"""

from importlib import import_module

from flask_babel import gettext as _

from core.i18n import current_locale
from core.models import User
from core.money import format_money
from storefront.models import Order


def issue_refund(order: Order, *, amount: int, actor: User, reason: str) -> str:
    """Refund ``amount`` (fen) of ``order`` for a complaint; returns a note for the record.

    Calls ``storefront.refunds.refund_order(order, amount=, actor=, reason=)`` when the
    storefront provides it, inside the caller's transaction.
    """
    try:
        refunds = import_module("storefront.refunds")
    except ModuleNotFoundError:
        refunds = None
    service = getattr(refunds, "refund_order", None)
    money = format_money(amount, order.currency, current_locale())
    if service is None:
        return _("Refund of %(amount)s requested from the storefront.", amount=money)
    service(order, amount=amount, actor=actor, reason=reason)
    return _("Refunded %(amount)s.", amount=money)
