"""Goods brought back to the counter against the receipt: within the return window, at the
store that sold them, each unit back into the lot it left from, the money back the way it
was paid (the card terminal and scans first, back to the account that paid, cash last);
``flask stock verify`` is clean after."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from core.clock import shop_today
from core.errors import Forbidden, ValidationFailed
from fulfillment.lots import receive_lot
from fulfillment.models import Lot, Stock, StockMovement
from storefront.counter.returns import ReturnWindowClosed, return_at_counter
from storefront.counter.sales import sell_at_counter
from storefront.loyalty.membership import sign_up_member
from storefront.models import Order
from storefront.payments.models import Payment, Refund

pytestmark = pytest.mark.dates


@pytest.fixture()
def sale(session, shop, make_product):
    """3 tins sold to a member from two lots (2 expiring soon, then 1 of the later lot),
    paid 300.00 by WeChat and the rest (84.00) in cash."""
    sign_up_member(shop.shopper, name="王丽", phone="13800000001", birthday=date(1990, 5, 1))
    product = make_product(sku="NF-BACK-1", price=12800)
    today = shop_today()
    soon = receive_lot(shop.store.id, product.id, batch="B-SOON", quantity=2,
                       expires_on=today + timedelta(days=100), actor=shop.clerk)
    late = receive_lot(shop.store.id, product.id, batch="B-LATE", quantity=5,
                       expires_on=today + timedelta(days=300), actor=shop.clerk)
    order = sell_at_counter(shop.store, shop.clerk, [{"sku": product.sku, "quantity": 3}],
                            member=shop.shopper,
                            payments=[{"method": "wechat_scan", "amount": 30000},
                                      {"method": "cash", "amount": 8400, "tendered": 10000}])
    session.commit()
    return order, product, soon, late


def lots(session, *rows):
    session.expire_all()
    return tuple(session.get(Lot, r.id).on_hand for r in rows)


def test_a_return_goes_back_into_its_lots_and_the_way_it_was_paid(session, shop, sale, runner):
    order, product, soon, late = sale
    assert lots(session, soon, late) == (0, 4)
    line = order.lines[0]
    refunds = return_at_counter(order, shop.clerk, {line.id: 2}, reason="包装破损")
    # 256.00 back, all of it to the WeChat account that paid 300.00: no cash leaves the till
    paid_by = {p.id: p.method for p in session.execute(sa.select(Payment)).scalars()}
    assert [(paid_by[r.payment_id], r.method, r.amount, r.status) for r in refunds] == [
        ("wechat_scan", "wechat_scan", 25600, "succeeded")]
    assert lots(session, soon, late) == (2, 4)  # both left from the lot expiring first
    moves = session.execute(sa.select(StockMovement.lot_id, StockMovement.on_hand_delta).where(
        StockMovement.kind == "returned")).all()
    assert moves == [(soon.id, 2)]
    on_hand = session.execute(sa.select(Stock.on_hand).where(
        Stock.center_id == shop.store.id, Stock.product_id == product.id)).scalar_one()
    assert on_hand == 6
    result = runner.invoke(args=["stock", "verify"])
    assert result.exit_code == 0 and "stock ledger OK" in result.output
    assert session.get(Order, order.id).status == "fulfilled"  # one tin kept
    # the last tin (128.00): the 44.00 left of the WeChat payment, then 84.00 in cash;
    # its lot is the later one; the order is refunded in full then
    last = return_at_counter(order, shop.clerk, {line.id: 1}, reason="不要了")
    assert [(r.method, r.amount) for r in last] == [("wechat_scan", 4400), ("cash", 8400)]
    assert [bool(r.lines) for r in last] == [True, False]  # the tin is counted back once
    assert lots(session, soon, late) == (2, 5)
    assert session.get(Order, order.id).status == "refunded"
    assert runner.invoke(args=["stock", "verify"]).exit_code == 0


def test_returns_keep_to_the_rules(session, shop, sale, clock):
    order, product, soon, late = sale
    line = order.lines[0]
    before = session.execute(sa.select(sa.func.count(Refund.id))).scalar_one()
    for lines, reason in (({line.id: 4}, "x"), ({line.id: 0}, "x"), ({999999: 1}, "x"),
                          ({line.id: 1}, " ")):
        with pytest.raises(ValidationFailed):
            return_at_counter(order, shop.clerk, lines, reason=reason)
    for actor in (shop.far_clerk, shop.admin, shop.shopper):
        with pytest.raises(Forbidden):
            return_at_counter(order, actor, {line.id: 1}, reason="x")
    clock.shift(timedelta(days=8))
    with pytest.raises(ReturnWindowClosed):
        return_at_counter(order, shop.clerk, {line.id: 1}, reason="x")
    assert session.execute(sa.select(sa.func.count(Refund.id))).scalar_one() == before
    assert lots(session, soon, late) == (0, 4)


def test_points_earned_on_the_units_go_back_with_them(session, shop, sale):
    from storefront.loyalty.membership import membership_of

    order, *_ = sale
    member = membership_of(shop.shopper)
    assert member.points == 384
    return_at_counter(order, shop.clerk, {order.lines[0].id: 1}, reason="x")
    assert member.points == 384 - 128
