"""How a counter sale was paid: cash (with change), the card terminal, a WeChat or Alipay
scan, or several of these summing to the total. Checked before anything is written."""

from flask_babel import lazy_gettext as _l

from core.errors import ValidationFailed
from core.i18n import current_locale
from core.money import format_money

from ..payments.models import Collection

#: the ways a customer pays at the counter, in the order the desk offers them
TENDER_METHODS = (Collection.CASH, Collection.CARD_TERMINAL, Collection.WECHAT_SCAN,
                  Collection.ALIPAY_SCAN)
#: a sale is split over at most this many payments
MAX_PAYMENTS = 4


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_tender(payments, total: int) -> list[dict]:
    """``[{"method", "amount", "tendered"?}]`` -> the payments to record, each with its
    ``change`` (cash only: ``tendered`` less ``amount``).

    The amounts must sum to ``total`` exactly: more is refused (``overpaid``; a cash
    payment's surplus is its ``tendered``, given back as change), less too (``underpaid``).
    Raises ``ValidationFailed`` naming the payment and the amounts; nothing is written.
    """
    if payments is None:
        payments = []
    if not isinstance(payments, list | tuple) or len(payments) > MAX_PAYMENTS:
        raise ValidationFailed(errors={"payments": [str(_l(
            "Record at most %(n)d payments.", n=MAX_PAYMENTS))]})
    errors: dict[str, dict] = {}
    clean = []
    for i, pay in enumerate(payments):
        pay = pay if isinstance(pay, dict) else {}
        method, amount, tendered = pay.get("method"), pay.get("amount"), pay.get("tendered")
        line: dict[str, list[str]] = {}
        if method not in TENDER_METHODS:
            line["method"] = [str(_l("Choose how the customer paid."))]
        if not _whole(amount) or amount <= 0:
            line["amount"] = [str(_l("Enter an amount above 0."))]
        if tendered is not None:
            if method != Collection.CASH:
                line["tendered"] = [str(_l("Only cash is handed over with change."))]
            elif not _whole(tendered) or (_whole(amount) and tendered < amount):
                line["tendered"] = [str(_l("The cash handed over must cover the amount."))]
        if line:
            errors[str(i)] = line
            continue
        clean.append({"method": str(method), "amount": amount,
                      "tendered": tendered if method == Collection.CASH else None,
                      "change": (tendered - amount) if tendered is not None else 0})
    if errors:
        raise ValidationFailed(errors={"payments": errors})
    paid = sum(p["amount"] for p in clean)
    if paid > total:
        raise ValidationFailed(errors={"payments": [str(_l(
            "The payments come to %(paid)s, more than the %(total)s due; record cash "
            "handed over as tendered, and give the difference back as change.",
            paid=_yuan(paid), total=_yuan(total)))]}, code="overpaid",
            extra={"due": total, "paid": paid})
    if paid < total:
        raise ValidationFailed(errors={"payments": [str(_l(
            "The payments come to %(paid)s, %(short)s short of the %(total)s due.",
            paid=_yuan(paid), short=_yuan(total - paid), total=_yuan(total)))]},
            code="underpaid", extra={"due": total, "paid": paid})
    return clean


def _yuan(fen: int) -> str:
    return format_money(fen, "CNY", current_locale())
