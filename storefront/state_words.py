"""Order states as they read inside a sentence ("This order is already paid.")."""

from flask_babel import lazy_gettext as _l

from .models import OrderStatus

STATUS_WORDS = {
    OrderStatus.PENDING_PAYMENT: _l("awaiting payment"),
    OrderStatus.PAID: _l("paid"),
    OrderStatus.CONFIRMED: _l("confirmed"),
    OrderStatus.FULFILLED: _l("completed"),
    OrderStatus.CANCELLED: _l("cancelled"),
    OrderStatus.REFUNDED: _l("refunded"),
}


def status_word(status: str):
    """An order state in words, in the reader's language."""
    return STATUS_WORDS.get(status, status)
