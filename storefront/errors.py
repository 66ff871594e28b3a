"""Storefront's domain errors."""

from flask_babel import lazy_gettext as _l

from core.errors import DomainError


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
