"""The endless aisle: the store lacks a product, the clerk sells it at the counter, paid now,
and the delivery center serving the customer's address delivers it (routed as a web order);
the courier collects nothing, and the sale counts for the member once delivered."""

from datetime import date

import pytest
import sqlalchemy as sa

from core.errors import Forbidden, ValidationFailed
from fulfillment import services as desk
from fulfillment.dues import to_collect
from fulfillment.errors import InsufficientStock
from fulfillment.models import Stock
from storefront.counter.aisle import sell_from_elsewhere
from storefront.loyalty.membership import sign_up_member
from storefront.models import Order
from tests.conftest import delivery_address

pytestmark = pytest.mark.dates


def test_sold_here_delivered_from_the_center_serving_the_address(session, shop, stock):
    member = sign_up_member(shop.shopper, name="王丽", phone="13800000001",
                            birthday=date(1990, 5, 1))
    product = shop.products[1]
    stock(shop.store, product, 0)  # the store has none left
    order = sell_from_elsewhere(shop.store, shop.clerk, [{"sku": product.sku, "quantity": 1}],
                                method="delivery", address=delivery_address(),
                                member=shop.shopper,
                                payments=[{"method": "wechat_scan"}])
    assert (order.channel, order.status, order.center_id, order.clerk_id) == (
        "store", "paid", shop.hub.id, shop.clerk.id)
    assert order.fulfillment.method == "delivery"
    assert order.fulfillment.routing["sold_at"] == shop.store.code
    assert order.paid_amount == order.total_amount == 39800 + order.delivery_fee_amount
    assert order.payment_method == "wechat_scan"  # paid now, not "cash on delivery"
    assert to_collect(order) == 0
    reserved = session.execute(sa.select(Stock.reserved).where(
        Stock.center_id == shop.hub.id, Stock.product_id == product.id)).scalar_one()
    assert reserved == 1
    desk.dispatch(order.fulfillment, shop.hub_clerk)
    desk.mark_delivered(order.fulfillment, shop.hub_clerk, received_by="王丽")
    session.refresh(order)
    assert order.status == "fulfilled" and member.points == 398


def test_the_aisle_refuses_what_it_cannot_route(session, shop, stock):
    product = shop.products[2]
    for center in (shop.store, shop.far_store, shop.hub):
        stock(center, product, 0)
    before = session.execute(sa.select(sa.func.count(Order.id))).scalar_one()
    with pytest.raises(InsufficientStock):
        sell_from_elsewhere(shop.store, shop.clerk, [{"sku": product.sku}], method="delivery",
                            address=delivery_address(), payments=[{"method": "cash"}])
    with pytest.raises(ValidationFailed):
        sell_from_elsewhere(shop.store, shop.clerk, [{"sku": product.sku}], method="pickup",
                            address=delivery_address(), payments=[{"method": "cash"}])
    with pytest.raises(Forbidden):
        sell_from_elsewhere(shop.far_store, shop.clerk, [{"sku": product.sku}],
                            method="delivery", address=delivery_address(),
                            payments=[{"method": "cash"}])
    assert session.execute(sa.select(sa.func.count(Order.id))).scalar_one() == before
