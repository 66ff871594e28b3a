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


def _check_one(pay) -> tuple[dict, dict]:
    """One payment's fields -> (clean, errors); ``amount`` None is "the rest"."""
    pay = pay if isinstance(pay, dict) else {}
    method, amount, tendered = pay.get("method"), pay.get("amount"), pay.get("tendered")
    errors: dict[str, list[str]] = {}
    if method not in TENDER_METHODS:
        errors["method"] = [str(_l("Choose how the customer paid."))]
    if amount is not None and (not _whole(amount) or amount <= 0):
        errors["amount"] = [str(_l("Enter an amount above 0."))]
    if tendered is not None:
        if method != Collection.CASH:
            errors["tendered"] = [str(_l("Only cash is handed over with change."))]
        elif not _whole(tendered) or (_whole(amount) and tendered < amount):
            errors["tendered"] = [str(_l("The cash handed over must cover the amount."))]
    return {"method": str(method), "amount": amount, "tendered": tendered}, errors


def check_tender(payments, total: int) -> list[dict]:
    """``[{"method", "amount"?, "tendered"?}]`` -> the payments to record, each with its
    ``change`` (cash only: ``tendered`` less ``amount``).

    One payment may leave out its amount: it pays the rest of ``total``. The amounts must
    sum to ``total`` exactly: more is refused (code ``overpaid``; cash handed over beyond
    the amount is its ``tendered``, given back as change), less too (``underpaid``).
    Raises ``ValidationFailed`` naming the payment and the amounts; nothing is written.
    """
    if payments is None:
        payments = []
    if not isinstance(payments, list | tuple) or len(payments) > MAX_PAYMENTS:
        raise ValidationFailed(errors={"payments": [str(_l(
            "Record at most %(n)d payments.", n=MAX_PAYMENTS))]})
    checked = [_check_one(pay) for pay in payments]
    errors = {str(i): e for i, (_c, e) in enumerate(checked) if e}
    clean = [c for c, _e in checked]
    open_ended = [c for c in clean if c["amount"] is None]
    if len(open_ended) > 1:
        errors["amount"] = [str(_l("Enter the amount of each payment but one."))]
    if errors:
        raise ValidationFailed(errors={"payments": errors})
    given = sum(c["amount"] for c in clean if c["amount"] is not None)
    if open_ended:
        rest = open_ended[0]
        rest["amount"] = total - given
        if rest["amount"] < 0:
            _refuse(given, total)
        if rest["amount"] == 0:  # the others paid it all: nothing is taken this way
            clean.remove(rest)
        elif rest["tendered"] is not None and rest["tendered"] < rest["amount"]:
            raise ValidationFailed(errors={"payments": [str(_l(
                "The cash handed over must cover the amount."))]}, code="underpaid",
                extra={"due": total, "paid": given + rest["tendered"]})
    paid = sum(c["amount"] for c in clean)
    if paid != total:
        _refuse(paid, total)
    for c in clean:
        c["change"] = c["tendered"] - c["amount"] if c["tendered"] is not None else 0
    return clean


def _refuse(paid: int, total: int) -> None:
    if paid > total:
        raise ValidationFailed(errors={"payments": [str(_l(
            "The payments come to %(paid)s, more than the %(total)s due; record cash "
            "handed over as tendered, and give the difference back as change.",
            paid=_yuan(paid), total=_yuan(total)))]}, code="overpaid",
            extra={"due": total, "paid": paid})
    raise ValidationFailed(errors={"payments": [str(_l(
        "The payments come to %(paid)s, %(short)s short of the %(total)s due.",
        paid=_yuan(paid), short=_yuan(total - paid), total=_yuan(total)))]},
        code="underpaid", extra={"due": total, "paid": paid})


def _yuan(fen: int) -> str:
    return format_money(fen, "CNY", current_locale())
