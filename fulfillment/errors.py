"""Fulfillment's domain errors, each with a stable code for the API."""

from flask_babel import lazy_gettext as _l

from core.errors import DomainError
from core.i18n import current_locale
from core.money import format_money


class InsufficientStock(DomainError):
    """Some lines cannot be had; ``extra["lines"]`` lists them with what is available."""

    code = "insufficient_stock"
    status = 409
    message = _l("Sorry, some items are no longer available in the quantity you asked for.")


class NoCenterServesAddress(DomainError):
    code = "no_center_serves_address"
    status = 422
    message = _l("We do not deliver to this address yet. Please choose pickup at a store, "
                 "or try another address.")


class WrongCode(DomainError):
    code = "wrong_code"
    status = 400
    message = _l("This pickup code does not match. Please check it with the customer.")


class UnknownCenter(DomainError):
    code = "unknown_center"
    status = 400
    message = _l("This store does not exist or does not offer pickup.")


class SlotUnavailable(DomainError):
    """The chosen time slot is full, past, or not one of this center's."""

    code = "slot_unavailable"
    status = 409
    message = _l("This time slot has just filled up or is no longer offered. "
                 "Please choose another time.")


class BelowMinimumOrder(DomainError):
    """The delivery zone has a minimum order; ``extra["min_order"]`` says how much."""

    code = "below_minimum_order"
    status = 422
    message = _l("Delivery to this address needs a larger order. Add a little more, "
                 "or choose pickup at a store.")


class WrongAmount(DomainError):
    """The amount a clerk says they took is not what the order still owes;
    ``extra["amount_due"]`` says what is (minor units)."""

    code = "wrong_amount"
    status = 409
    message = _l("The amount taken must be what the order still owes.")

    def __init__(self, *, amount: int, currency: str):
        super().__init__(
            _l("The amount taken must be what the order still owes: %(amount)s.",
               amount=format_money(amount, currency, current_locale())),
            errors={"collected": {"amount": [str(_l("Take %(amount)s.", amount=format_money(
                amount, currency, current_locale())))]}},
            extra={"amount_due": amount})


class PaymentMethodRequired(DomainError):
    """Money is still owed and the clerk did not say how it was paid: nothing is assumed
    (booking it as cash would count a WeChat or Alipay scan as cash)."""

    code = "payment_method_required"
    status = 422
    message = _l("Choose how the customer paid.")

    def __init__(self, *, amount: int | None = None, currency: str = "CNY"):
        extra = {} if amount is None else {"amount_due": amount}
        super().__init__(errors={"collected": {"method": [str(self.message)]}}, extra=extra)
