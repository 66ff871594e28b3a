"""Fixtures of the customer center's tests."""

from datetime import timedelta

import pytest

from core.clock import utcnow
from storefront.models import Order, OrderLine


@pytest.fixture()
def make_order(session):
    """``make_order(user, product, center, days_ago=, quantity=, status=)``: an order row as
    the desk leaves it (no signals, like rows the bulk job finds)."""
    now = utcnow()

    def make(user, product, center, *, days_ago=1, quantity=1, status="fulfilled"):
        total = product.price_amount * quantity
        order = Order(user_id=user.id, status=status, subtotal_amount=total, total_amount=total,
                      payment_method="pay_at_pickup", fulfillment_method="pickup",
                      center_id=center.id, created_at=now - timedelta(days=days_ago))
        order.lines.append(OrderLine(product_id=product.id, sku=product.sku,
                                     name_zh=product.name_zh, quantity=quantity,
                                     unit_price_amount=product.price_amount,
                                     line_total_amount=total))
        session.add(order)
        session.flush()
        return order

    return make
