"""What the storefront does when fulfillment reports back."""

from core.extensions import db
from core.models import User
from core.signals import fulfillment_completed, order_cancelled, order_fulfilled, order_refunded

from . import points, tiers
from .membership import membership_of
from .models import Order
from .orders import complete_order


def on_fulfillment_completed(fulfillment, **_):
    order = db.session.get(Order, fulfillment.order_id)
    if order is not None and order.is_open:
        complete_order(order)


def _membership_for(order):
    user = db.session.get(User, order.user_id)
    return membership_of(user) if user is not None else None


def on_order_fulfilled(order, **_):
    """A fulfilled order earns points at the member's tier, then may lift the tier."""
    membership = _membership_for(order)
    if membership is not None:
        points.award_order_points(order, membership)
        tiers.upgrade_tier(membership)


def on_order_cancelled(order, **_):
    membership = _membership_for(order)
    if membership is not None and order.points_redeemed:
        points.restore_redeemed(order, membership)


def on_order_refunded(order, amount=0, full=False, reason=None, **_):
    membership = _membership_for(order)
    if membership is not None:
        points.reverse_for_refund(order, membership, amount=amount, full=full, reason=reason)


def connect() -> None:
    fulfillment_completed.connect(on_fulfillment_completed)
    order_fulfilled.connect(on_order_fulfilled)
    order_cancelled.connect(on_order_cancelled)
    order_refunded.connect(on_order_refunded)
