"""What the storefront does when fulfillment reports back."""

from core.extensions import db
from core.signals import fulfillment_completed

from .models import Order
from .orders import complete_order


def on_fulfillment_completed(fulfillment, **_):
    order = db.session.get(Order, fulfillment.order_id)
    if order is not None and order.is_open:
        complete_order(order)


def connect() -> None:
    fulfillment_completed.connect(on_fulfillment_completed)
