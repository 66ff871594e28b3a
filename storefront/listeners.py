"""What the storefront does when fulfillment reports back, and when its own orders change."""

from core.extensions import db
from core.models import User
from core.signals import (
    fulfillment_completed,
    fulfillment_no_show,
    fulfillment_part_collected,
    order_cancelled,
    order_claimed,
    order_fulfilled,
    order_refunded,
)

from . import coupons, search
from .loyalty import points, tiers
from .loyalty.membership import membership_of
from .models import Order, PaymentMethod
from .orders import close_no_show, complete_order, record_payment
from .payments import billing
from .payments.records import paid_total


def on_fulfillment_completed(fulfillment, collected=None, **_):
    """Handed over or delivered: an offline order's money was taken then (cash by default,
    for what a partial collection left to pay)."""
    order = db.session.get(Order, fulfillment.order_id)
    if order is not None and order.is_open:
        amount = None
        if order.payment_method in PaymentMethod.OFFLINE and order.status == "confirmed":
            billing.record_offline_payment(order, collected,
                                           actor_id=fulfillment.handed_over_by_id)
            amount = paid_total(order)
        complete_order(order, collected_amount=amount)


def on_fulfillment_part_collected(fulfillment, collected=None, actor_id=None, **_):
    """Part of an offline order left the desk: the money the clerk took for it is recorded."""
    order = db.session.get(Order, fulfillment.order_id)
    if (collected is not None and order is not None and order.status == "confirmed"
            and order.payment_method in PaymentMethod.OFFLINE):
        billing.record_offline_payment(order, collected, actor_id=actor_id)
        record_payment(order, paid_total(order))


def on_fulfillment_no_show(fulfillment, **_):
    """Nobody collected the pickup: the order closes (refunded in full if paid online)."""
    order = db.session.get(Order, fulfillment.order_id)
    if order is not None:
        close_no_show(order)


def on_order_cancelled(order, expired=False, reason=None, **_):
    billing.note_cancellation(
        order, reason=reason or ("expired" if expired else billing.CANCELLED))


def _membership_for(order):
    user = db.session.get(User, order.user_id) if order.user_id is not None else None
    return membership_of(user) if user is not None else None


def on_order_fulfilled(order, **_):
    """A fulfilled order earns points at the member's tier, then may lift the tier."""
    membership = _membership_for(order)
    if membership is not None:
        points.award_order_points(order, membership)
        tiers.upgrade_tier(membership)


def on_order_cancelled_give_points_back(order, **_):
    membership = _membership_for(order)
    if membership is not None and order.points_redeemed:
        points.restore_redeemed(order, membership)


def on_order_cancelled_give_coupon_back(order, **_):
    coupons.give_back(order)


def on_order_refunded(order, amount=0, full=False, reason=None, **_):
    membership = _membership_for(order)
    if membership is not None:
        points.reverse_for_refund(order, membership, amount=amount, full=full, reason=reason)


def connect() -> None:
    search.install()  # products keep their search columns written
    fulfillment_completed.connect(on_fulfillment_completed)
    fulfillment_no_show.connect(on_fulfillment_no_show)
    fulfillment_part_collected.connect(on_fulfillment_part_collected)
    order_fulfilled.connect(on_order_fulfilled)
    order_claimed.connect(on_order_fulfilled)  # the sale claimed earns what it would have
    order_cancelled.connect(on_order_cancelled)
    order_cancelled.connect(on_order_cancelled_give_points_back)
    order_cancelled.connect(on_order_cancelled_give_coupon_back)
    order_refunded.connect(on_order_refunded)
