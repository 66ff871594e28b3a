"""The words for the shop's codes: as its pages label them (tiers, order and fulfillment
states, methods, payment, coupons), and order states as they read inside a sentence ("This
order is already paid."). The template globals (``tier_label``...) show them. How an order
is paid (``PAYMENT_LABELS``) is worded once, in ``fulfillment.labels``: the desk shows it too.
"""

from flask_babel import lazy_gettext as _l

from fulfillment.labels import PAYMENT_LABELS
from fulfillment.models import FulfillmentStatus, Method

from .coupon_models import CouponSource, CouponState
from .loyalty.models import Tier
from .models import OrderStatus

#: a membership's tier, as the card is called
TIER_LABELS = {
    Tier.CLASSIC: _l("Classic card"),
    Tier.SILVER: _l("Silver card"),
    Tier.GOLD: _l("Gold card"),
    Tier.DIAMOND: _l("Diamond card"),
}

ORDER_STATUS_LABELS = {
    OrderStatus.PENDING_PAYMENT: _l("Awaiting payment"),
    OrderStatus.PAID: _l("Paid"),
    OrderStatus.CONFIRMED: _l("Confirmed"),
    OrderStatus.FULFILLED: _l("Completed"),
    OrderStatus.CANCELLED: _l("Cancelled"),
    OrderStatus.REFUNDED: _l("Refunded"),
}

#: a fulfillment's state as the shopper reads it (the desk has its own: ``fulfillment.labels``)
FULFILLMENT_STATUS_LABELS = {
    FulfillmentStatus.RESERVED: _l("Being prepared"),
    FulfillmentStatus.READY: _l("Ready for pickup"),
    FulfillmentStatus.PICKED_UP: _l("Picked up"),
    FulfillmentStatus.DISPATCHED: _l("Out for delivery"),
    FulfillmentStatus.DELIVERED: _l("Delivered"),
    FulfillmentStatus.CANCELLED: _l("Cancelled"),
    FulfillmentStatus.TRANSFERRING: _l("On its way to the store"),
}

METHOD_LABELS = {
    Method.PICKUP: _l("Store pickup"),
    Method.DELIVERY: _l("Home delivery"),
    Method.COURIER: _l("Courier shipment"),
}

#: a coupon's state in words (the state as the shopper sees it, ``coupons.state_of``)
COUPON_STATE_LABELS = {
    CouponState.ISSUED: _l("Ready to use"),
    CouponState.USED: _l("Used"),
    CouponState.EXPIRED: _l("Expired"),
    CouponState.VOID: _l("Withdrawn"),
}
COUPON_SOURCE_LABELS = {
    CouponSource.COMPLAINT: _l("Complaint remedy"),
    CouponSource.BIRTHDAY: _l("Birthday"),
    CouponSource.MANUAL: _l("Given by hand"),
}

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


def _label(labels: dict, value: str | None) -> str:
    return str(labels.get(value, value or ""))


def tier_label(tier: str | None) -> str:
    return _label(TIER_LABELS, tier)


def order_status_label(status: str | None) -> str:
    return _label(ORDER_STATUS_LABELS, status)


def fulfillment_status_label(status: str | None) -> str:
    return _label(FULFILLMENT_STATUS_LABELS, status)


def method_label(method: str | None) -> str:
    return _label(METHOD_LABELS, method)


def payment_label(method: str | None) -> str:
    return _label(PAYMENT_LABELS, method)


#: where an order was placed (``models.Channel``), as the customer center reads it
CHANNEL_LABELS = {"web": _l("Online"), "store": _l("In store")}


def channel_label(channel: str | None) -> str:
    return _label(CHANNEL_LABELS, channel)
