"""What the storefront does when fulfillment reports back, and when its own orders change."""

from core.extensions import db
from core.signals import fulfillment_completed, order_cancelled

from . import billing
from .models import Order, PaymentMethod
from .orders import complete_order


def on_fulfillment_completed(fulfillment, collected=None, **_):
    """Handed over or delivered: an offline order's money was taken then (cash by default)."""
    order = db.session.get(Order, fulfillment.order_id)
    if order is not None and order.is_open:
        amount = None
        if order.payment_method in PaymentMethod.OFFLINE and order.status == "confirmed":
            amount = billing.record_offline_payment(
                order, collected, actor_id=fulfillment.handed_over_by_id)
        complete_order(order, collected_amount=amount)


def on_order_cancelled(order, expired=False, **_):
    billing.note_cancellation(order, expired=expired)


def connect() -> None:
    fulfillment_completed.connect(on_fulfillment_completed)
    order_cancelled.connect(on_order_cancelled)
