"""The words for fulfillment's codes: as the desk's pages label them, and as they read
inside a sentence ("This order is picked up and ...").

Pages and messages show these words, never the codes (``picked_up``, ``delivery``) the
tables keep.
"""

from flask_babel import lazy_gettext as _l

from .models import Fulfillment, FulfillmentStatus, Method, TransferStatus

#: a fulfillment's state on the desk
STATUS_LABELS = {
    FulfillmentStatus.RESERVED: _l("To prepare"),
    FulfillmentStatus.READY: _l("Ready for pickup"),
    FulfillmentStatus.PICKED_UP: _l("Picked up"),
    FulfillmentStatus.DISPATCHED: _l("On the way"),
    FulfillmentStatus.DELIVERED: _l("Delivered"),
    FulfillmentStatus.CANCELLED: _l("Cancelled"),
    FulfillmentStatus.TRANSFERRING: _l("Awaiting transfer"),
}
#: a delivery waiting at the center is not "to prepare" but "to dispatch"
DELIVERY_STATUS_LABELS = {FulfillmentStatus.RESERVED: _l("To dispatch")}
#: a courier parcel is packed and handed to the carrier
COURIER_STATUS_LABELS = {FulfillmentStatus.RESERVED: _l("To ship"),
                         FulfillmentStatus.DISPATCHED: _l("With the carrier")}
#: how an order is paid (the storefront's ``PaymentMethod``; the desk reads orders by table)
PAYMENT_LABELS = {
    "pay_at_pickup": _l("Pay at pickup"),
    "cash_on_delivery": _l("Cash on delivery"),
    "stripe": _l("Paid online"),
    "cash": _l("Paid in cash at the counter"),
    "card_terminal": _l("Paid by card terminal at the counter"),
    "wechat_scan": _l("Paid by WeChat Pay scan at the counter"),
    "alipay_scan": _l("Paid by Alipay scan at the counter"),
    "split": _l("Paid at the counter, split over several ways"),
}
TRANSFER_STATUS_LABELS = {
    TransferStatus.REQUESTED: _l("Requested"),
    TransferStatus.SHIPPED: _l("On the way"),
    TransferStatus.RECEIVED: _l("Received"),
    TransferStatus.CANCELLED: _l("Cancelled"),
}

STATUS_WORDS = {
    FulfillmentStatus.RESERVED: _l("being prepared"),
    FulfillmentStatus.READY: _l("ready for pickup"),
    FulfillmentStatus.PICKED_UP: _l("picked up"),
    FulfillmentStatus.DISPATCHED: _l("out for delivery"),
    FulfillmentStatus.DELIVERED: _l("delivered"),
    FulfillmentStatus.CANCELLED: _l("cancelled"),
    FulfillmentStatus.TRANSFERRING: _l("on its way from another store"),
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


def status_label(f: Fulfillment) -> str:
    """The desk's word for a fulfillment's state."""
    if f.method == Method.COURIER and f.status in COURIER_STATUS_LABELS:
        return COURIER_STATUS_LABELS[f.status]
    if f.method == Method.DELIVERY and f.status in DELIVERY_STATUS_LABELS:
        return DELIVERY_STATUS_LABELS[f.status]
    return STATUS_LABELS.get(f.status, f.status)
