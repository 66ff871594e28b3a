"""Goods brought back to the counter against their receipt: within the shop's return window
(``COUNTER_RETURN_DAYS``), to the store that sold them, each unit back into the lot it left
from (``fulfillment.returns.return_to_stock``), the money back the way it was paid.

An endless-aisle sale (delivered or shipped from another center) comes back at the store
that sold it too. The units stay in this store, where the customer brought them: into its
stock, in a lot of the batch and dates they left with, by ``returned`` movements at this
store naming the order (``return_at_center``); the center that sent them keeps its sale.
Carrying them back would be a transfer of its own, if ever wanted.

A sale paid several ways is refunded through its payments in turn
(``payments.refunds.refund_sequence``): the card terminal and the WeChat / Alipay scans
first, back to the account that paid, cash last, so a return never turns a card or scan
payment into cash from the till; each part is a refund of its own payment and method, so
the books show which terminal, scan or till each yuan went back through.
``order_refunded`` follows each part (points taken back, figures, follow-ups), as for any
refund.
"""

from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l

from core.clock import utcnow
from core.errors import Conflict, Forbidden, ValidationFailed
from core.models import Role, User
from fulfillment.returns import return_at_center, return_to_stock

from ..errors import NothingToRefund
from ..models import Channel, Order
from ..payments.models import Refund, RefundLine
from ..payments.records import lock_order, refundable, refunded_quantities
from ..payments.refunds import refund_through_payments
from .sales import sold_at

#: the shop's rule when ``COUNTER_RETURN_DAYS`` is not set: a week from the sale
RETURN_DAYS = 7


class ReturnWindowClosed(Conflict):
    code = "return_window_closed"
    message = _l("The time to bring goods back for this receipt has passed.")


def return_days() -> int:
    return int(current_app.config.get("COUNTER_RETURN_DAYS") or RETURN_DAYS)


def _check(order: Order, clerk: User, now) -> None:
    if (clerk.role != Role.STAFF or order.channel != Channel.STORE
            or clerk.center_id not in (order.center_id, sold_at(order))):
        raise Forbidden(_l("Goods come back at the store that sold them, against its receipt."))
    if order.fulfilled_at is None or now - order.created_at > timedelta(days=return_days()):
        raise ReturnWindowClosed()


def return_at_counter(order: Order, clerk: User, lines: dict[int, int], *, reason: str,
                      now=None) -> list[Refund]:
    """Take back ``{order line id: units}`` of a counter sale and refund them; the refunds.

    Raises ``Forbidden`` (not this store's clerk, not a counter sale), ``ReturnWindowClosed``,
    ``ValidationFailed`` (no reason; a line not of this sale or more units than are left to
    return) or ``NothingToRefund``; nothing is written then.
    """
    now = now or utcnow()
    _check(order, clerk, now)
    reason = (reason or "").strip()
    errors: dict = {}
    if not reason:
        errors["reason"] = [str(_l("Say why the goods come back."))]
    order = lock_order(order)  # two returns of one receipt at once: the second sees the first
    done = refunded_quantities(order)
    by_id = {line.id: line for line in order.lines}
    refund_lines, units_back = [], {}
    for line_id, units in (lines or {}).items():
        line = by_id.get(line_id)
        left = line.quantity - done.get(line_id, 0) if line is not None else 0
        if line is None or not isinstance(units, int) or isinstance(units, bool) \
                or not 0 <= units <= left:
            errors.setdefault("lines", {})[str(line_id)] = [str(_l(
                "At most %(n)d unit(s) of this line can still come back.", n=left))]
        elif units:
            refund_lines.append(RefundLine(order_line_id=line_id, quantity=units,
                                           amount=units * line.unit_price_amount))
            units_back[line.product_id] = units_back.get(line.product_id, 0) + units
    if not refund_lines and "lines" not in errors:
        errors["lines"] = [str(_l("Choose at least one unit."))]
    if errors:
        raise ValidationFailed(errors=errors)
    amount = min(refundable(order), sum(r.amount for r in refund_lines))
    if amount <= 0:
        raise NothingToRefund()
    refunds = refund_through_payments(order, amount, reason=reason, actor=clerk,
                                      lines=refund_lines)
    f = order.fulfillment
    if clerk.center_id == f.center_id:
        return_to_stock(f, units_back, clerk,
                        reason=f"returned at the counter, refund {refunds[0].id}")
    else:  # an endless-aisle sale brought back to the store that sold it: kept here
        return_at_center(f, units_back, clerk, center_id=clerk.center_id,
                         reason=f"returned at the counter that sold it (sent by center "
                                f"{f.center_id}), refund {refunds[0].id}")
    return refunds


def returnable_lines(order: Order) -> dict[int, int]:
    """``{order line id: units}`` that can still come back."""
    done = refunded_quantities(order)
    return {line.id: line.quantity - done.get(line.id, 0) for line in order.lines}
