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


def test_an_aisle_sale_comes_back_at_the_store_that_sold_it(session, shop, make_product,
                                                           runner):
    """Delivered by the hub from its lots, brought back to the store's counter: the units
    stay in the store, in a lot of the same batch and dates (a ``returned`` movement there),
    the hub keeps its sale, the refund goes back the ways it was paid; the ledger is clean."""
    from datetime import timedelta

    from core.clock import shop_today
    from fulfillment.ledger import verify_ledger
    from fulfillment.lot_moves import verify_lots
    from fulfillment.lots import receive_lot
    from fulfillment.models import Lot, StockMovement
    from storefront.counter.returns import return_at_counter

    product = make_product(sku="NF-AISLE-BACK", price=12800)
    batch = receive_lot(shop.hub.id, product.id, batch="H-1", quantity=5,
                        expires_on=shop_today() + timedelta(days=200), actor=shop.hub_clerk)
    order = sell_from_elsewhere(shop.store, shop.clerk, [{"sku": product.sku, "quantity": 3}],
                                method="delivery", address=delivery_address(),
                                member=shop.shopper,
                                payments=[{"method": "cash", "amount": 10000,
                                           "tendered": 10000},
                                          {"method": "wechat_scan"}])
    fee = order.delivery_fee_amount
    desk.dispatch(order.fulfillment, shop.hub_clerk)
    desk.mark_delivered(order.fulfillment, shop.hub_clerk, received_by="王丽")
    with pytest.raises(Forbidden):
        return_at_counter(order, shop.far_clerk, {order.lines[0].id: 1}, reason="x")
    refunds = return_at_counter(order, shop.clerk, {order.lines[0].id: 2}, reason="买多了")
    # 256.00 back: the WeChat payment first (it paid 284.00 + the fee), no cash from the till
    assert [(r.method, r.amount) for r in refunds] == [("wechat_scan", 25600)]
    assert order.total_amount == 38400 + fee
    session.expire_all()
    here = session.execute(sa.select(Stock.on_hand, Stock.reserved).where(
        Stock.center_id == shop.store.id, Stock.product_id == product.id)).one()
    hub = session.execute(sa.select(Stock.on_hand).where(
        Stock.center_id == shop.hub.id, Stock.product_id == product.id)).scalar_one()
    assert (tuple(here), hub) == ((2, 0), 2)
    [lot] = session.execute(sa.select(Lot).where(Lot.center_id == shop.store.id,
                                                 Lot.product_id == product.id)).scalars()
    assert (lot.batch, lot.expires_on, lot.on_hand) == ("H-1", batch.expires_on, 2)
    moves = session.execute(sa.select(StockMovement.center_id, StockMovement.lot_id,
                                      StockMovement.on_hand_delta, StockMovement.reason)
                            .where(StockMovement.kind == "returned")).all()
    assert [(c, lot_id, n) for c, lot_id, n, _why in moves] == [(shop.store.id, lot.id, 2)]
    assert "sold it" in moves[0].reason
    assert verify_ledger() == [] and verify_lots() == []
    assert runner.invoke(args=["stock", "verify"]).exit_code == 0
    # the last tin comes back too: the rest of WeChat, then cash; never more than was sold
    last = return_at_counter(order, shop.clerk, {order.lines[0].id: 1}, reason="不要了")
    assert 0 <= fee < 10000
    assert [(r.method, r.amount) for r in last] == [("wechat_scan", 2800 + fee),
                                                   ("cash", 10000 - fee)]
    with pytest.raises(ValidationFailed):
        return_at_counter(order, shop.clerk, {order.lines[0].id: 1}, reason="再退")
    assert verify_ledger() == [] and verify_lots() == []
