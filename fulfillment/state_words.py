"""States and methods as they read inside a sentence ("This order is picked up and ...").

Messages show these words, never the codes (``picked_up``, ``delivery``) the tables keep.
"""

from flask_babel import lazy_gettext as _l

from .models import FulfillmentStatus, Method, TransferStatus

STATUS_WORDS = {
    FulfillmentStatus.RESERVED: _l("being prepared"),
    FulfillmentStatus.READY: _l("ready for pickup"),
    FulfillmentStatus.PICKED_UP: _l("picked up"),
    FulfillmentStatus.DISPATCHED: _l("out for delivery"),
    FulfillmentStatus.DELIVERED: _l("delivered"),
    FulfillmentStatus.CANCELLED: _l("cancelled"),
}
METHOD_WORDS = {Method.PICKUP: _l("store pickup"), Method.DELIVERY: _l("home delivery"),
                Method.COURIER: _l("courier shipment")}
TRANSFER_WORDS = {
    TransferStatus.REQUESTED: _l("requested"),
    TransferStatus.SHIPPED: _l("on the way"),
    TransferStatus.RECEIVED: _l("received"),
    TransferStatus.CANCELLED: _l("cancelled"),
}

#: why the router chose a center, in words for the desk, the back office and the CRM
ROUTING_WORDS = {
    "nearest": _l("nearest center holding everything"),
    "least_loaded": _l("as near as another, fewer open orders"),
    "best_cover": _l("as near and as busy as another, more stock"),
    "only_center": _l("the only center serving the address with everything in stock"),
    "shopper_chose": _l("the shopper chose this store"),
    "courier": _l("no delivery center could take it: shipped by courier from this warehouse"),
    "replacement": _l("a free replacement, from the center of the original order"),
}


def routing_word(reason: str | None):
    """Why the router chose a center, in words of the reader's language."""
    return ROUTING_WORDS.get(reason, reason or "")


def status_word(status: str):
    """A fulfillment state in words, in the reader's language."""
    return STATUS_WORDS.get(status, status)


def method_word(method: str):
    """A fulfillment method in words, in the reader's language."""
    return METHOD_WORDS.get(method, method)


def transfer_word(status: str):
    """A transfer's state in words, in the reader's language."""
    return TRANSFER_WORDS.get(status, status)
