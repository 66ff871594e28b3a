"""Storefront's domain errors."""

from flask_babel import lazy_gettext as _l

from core.errors import DomainError, ValidationFailed
from core.i18n import current_locale
from core.money import format_money


class PaymentsUnavailable(DomainError):
    code = "payments_unavailable"
    status = 503
    message = _l("Online payment is not available right now. Please pay at pickup or on delivery.")


class EmailTaken(DomainError):
    code = "email_taken"
    status = 409
    message = _l("An account with this e-mail already exists.")


class AlreadyMember(DomainError):
    code = "already_member"
    status = 409
    message = _l("You are already a member of the club.")


class EmptyCart(DomainError):
    code = "empty_cart"
    status = 400
    message = _l("Your cart is empty.")


class PaymentGatewayError(DomainError):
    code = "payment_gateway_error"
    status = 502
    message = _l("The payment service did not answer. Please try again in a moment.")


class InvalidSignature(DomainError):
    code = "invalid_signature"
    status = 400
    message = _l("The webhook signature is not valid.")


class NothingToRefund(DomainError):
    code = "nothing_to_refund"
    status = 409
    message = _l("There is nothing left to refund on this order.")


class RefundExceedsRefundable(ValidationFailed):
    """Asked to give back more than was paid and not yet refunded; ``extra`` says how much
    still can be (fen)."""

    code = "refund_exceeds_refundable"
    message = _l("That is more than can still be refunded.")

    def __init__(self, left: int, currency: str):
        money = format_money(left, currency, current_locale())
        super().__init__(
            errors={"amount": [str(_l("At most %(amount)s can still be refunded.",
                                      amount=money))]},
            extra={"refundable": left})
