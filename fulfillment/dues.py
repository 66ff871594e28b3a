"""What the desk takes for an order paid offline, computed on the server: the pickup desk's
page, the staff API's hand-over and its "delivered" step ask here, and an amount a client
sends must be exactly this (``check_collected``).

Orders belong to the storefront, which fulfillment does not import: their figures are read
from the orders' tables by name, as the foreign keys do.
"""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.errors import ValidationFailed
from core.extensions import db

from .errors import PaymentMethodRequired, WrongAmount
from .models import Fulfillment

#: how an offline order was paid at the counter (see ``core.signals.fulfillment_completed``)
COLLECT_METHODS = ("cash", "card_terminal", "wechat_scan", "alipay_scan")
#: order states in which the desk collects nothing more
_CLOSED_ORDER = ("cancelled", "refunded")


def to_collect(order) -> int:
    """What the desk still collects for an order (offline payment), in minor units.

    ``order`` is a row of the orders table (``status``, ``total_amount``, ``paid_amount``),
    read by name: fulfillment does not import storefront.
    """
    if order is None or order.status in _CLOSED_ORDER:
        return 0
    return max(order.total_amount - order.paid_amount, 0)


def part_price(f: Fulfillment, lines: dict[int, int]) -> int:
    """What ``{line id: units}`` of the fulfillment cost on its order (the lines' unit prices,
    read from the order's table by name), in minor units."""
    order_lines = db.metadata.tables["order_lines"]
    prices = dict(db.session.execute(
        sa.select(order_lines.c.product_id, order_lines.c.unit_price_amount)
        .where(order_lines.c.order_id == f.order_id)).all())
    return sum(prices.get(line.product_id, 0) * max(lines.get(line.id, 0), 0) for line in f.lines)


def _order_row(f: Fulfillment):
    orders = db.metadata.tables["orders"]
    return db.session.execute(
        sa.select(orders.c.status, orders.c.total_amount, orders.c.paid_amount,
                  orders.c.currency).where(orders.c.id == f.order_id)).first()


def amount_due(f: Fulfillment, lines: dict[int, int] | None = None) -> int:
    """What the desk takes now for the fulfillment's order, in minor units: what is left to
    pay, or, when ``lines`` (``{line id: units}``) leaves part of a pickup waiting, what the
    units taken cost (at most what is left). 0 once the order is paid or closed.

    The desk page and the staff API both ask here, so they record the same.
    """
    due = to_collect(_order_row(f))
    if lines is not None and any(lines.get(ln.id, 0) < ln.remaining
                                 for ln in f.lines if ln.remaining):
        due = min(due, part_price(f, lines))
    return due


def check_collected(f: Fulfillment, collected: dict | None,
                    lines: dict[int, int] | None = None) -> dict | None:
    """The offline payment a clerk says they took, checked against what is due.

    ``collected`` is ``{"method", "amount"}``; without an amount it is what is due (and
    None when nothing is). An amount other than ``amount_due`` is refused
    (``WrongAmount``, nothing changed): the desk takes exactly what the order still owes,
    never more (money a cash refund could later pay out) nor less (goods leaving unpaid).
    """
    if collected is None:
        return None
    method, amount = collected.get("method"), collected.get("amount")
    errors = {}
    if method not in COLLECT_METHODS:
        errors["method"] = [str(_l("Choose how the customer paid."))]
    if amount is not None and (not isinstance(amount, int) or isinstance(amount, bool)
                               or amount < 0):
        errors["amount"] = [str(_l("Enter the amount taken."))]
    if errors:
        raise ValidationFailed(errors={"collected": errors})
    due = amount_due(f, lines)
    if amount is None:
        return {"method": method, "amount": due} if due else None
    if amount != due:
        order = _order_row(f)
        raise WrongAmount(amount=due, currency=order.currency if order else "CNY")
    return {"method": method, "amount": amount}


def require_collected(f: Fulfillment, collected: dict | None,
                      lines: dict[int, int] | None = None) -> dict | None:
    """``check_collected``, and when money is still due the clerk must have said how it was
    paid: no way of paying is assumed (``PaymentMethodRequired``, nothing changed). None
    when nothing is due."""
    checked = check_collected(f, collected, lines)
    if checked is None:
        due = amount_due(f, lines)
        if due:
            order = _order_row(f)
            raise PaymentMethodRequired(amount=due, currency=order.currency if order else "CNY")
    return checked
