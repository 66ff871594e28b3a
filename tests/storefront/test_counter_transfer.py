"""The endless aisle's third way: sold and paid at the counter, reserved at another store that
holds the units, brought here by a transfer, ready (code, message) once received, handed
over as any pickup; the ledger and the lots exact at every step. SQLite and PostgreSQL."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from core.clock import shop_today
from core.errors import IllegalTransition, ValidationFailed
from crm.outreach.models import OutboxMessage
from fulfillment import services as desk
from fulfillment import transfers
from fulfillment.errors import InsufficientStock
from fulfillment.ledger import verify_ledger
from fulfillment.lot_moves import verify_lots
from fulfillment.lots import receive_lot
from fulfillment.models import Lot, Stock, StockMovement, Transfer
from storefront.counter.aisle import sell_for_transfer
from storefront.loyalty.membership import sign_up_member
from storefront.models import Order
from storefront.payments.refunds import refund_order

pytestmark = pytest.mark.dates


@pytest.fixture()
def lacking(session, shop, make_product):
    """A tin the store does not hold at all; the far store has 2 + 3 in two lots."""
    product = make_product(sku="NF-XFER-1", price=12800)
    today = shop_today()
    soon = receive_lot(shop.far_store.id, product.id, batch="X-SOON", quantity=2,
                       expires_on=today + timedelta(days=100), actor=shop.far_clerk)
    late = receive_lot(shop.far_store.id, product.id, batch="X-LATE", quantity=3,
                       expires_on=today + timedelta(days=300), actor=shop.far_clerk)
    return product, soon, late


def figures(session, center, product):
    session.expire_all()
    row = session.execute(sa.select(Stock.on_hand, Stock.reserved).where(
        Stock.center_id == center.id, Stock.product_id == product.id)).first()
    return tuple(row) if row else None


def clean(runner):
    assert verify_ledger() == [] and verify_lots() == []
    result = runner.invoke(args=["stock", "verify"])
    assert result.exit_code == 0, result.output


def test_sold_here_reserved_there_transferred_ready_and_handed_over(session, shop, lacking,
                                                                    runner):
    product, soon, late = lacking
    member = sign_up_member(shop.shopper, name="王丽", phone="13800000001",
                            birthday=date(1990, 5, 1))
    order = sell_for_transfer(shop.store, shop.clerk, [{"sku": product.sku, "quantity": 3}],
                              member=shop.shopper, payments=[{"method": "alipay_scan"}])
    f = order.fulfillment
    assert (order.channel, order.status, order.payment_method, order.paid_amount) == (
        "store", "paid", "alipay_scan", 38400)
    assert (order.center_id, f.center_id, f.method, f.status) == (
        shop.store.id, shop.store.id, "pickup", "transferring")
    assert f.routing["reason"] == "transfer_pickup"
    assert f.routing["transfer_from"] == shop.far_store.code
    assert figures(session, shop.far_store, product) == (5, 3)  # held for the order there
    [transfer] = session.execute(sa.select(Transfer)).scalars()
    assert (transfer.from_center_id, transfer.to_center_id, transfer.quantity,
            transfer.fulfillment_id, transfer.status) == (
        shop.far_store.id, shop.store.id, 3, f.id, "requested")
    clean(runner)
    # nobody else can have them meanwhile, nor can the transfer be called off
    with pytest.raises(IllegalTransition):
        transfers.cancel_transfer(transfer, shop.clerk)

    transfers.ship_transfer(transfer, shop.far_clerk)
    assert figures(session, shop.far_store, product) == (2, 0)
    session.expire_all()
    assert (session.get(Lot, soon.id).on_hand, session.get(Lot, late.id).on_hand) == (0, 2)
    assert {(tl.lot_id, tl.quantity) for tl in transfer.lots} == {(soon.id, 2), (late.id, 1)}
    clean(runner)
    assert session.get(Order, order.id).fulfillment.status == "transferring"

    transfers.receive_transfer(transfer, shop.clerk)
    f = session.get(Order, order.id).fulfillment
    assert f.status == "ready" and f.pickup_code
    assert figures(session, shop.store, product) == (3, 3)  # arrived, and held for the order
    here = {lot.batch: lot for lot in session.execute(sa.select(Lot).where(
        Lot.center_id == shop.store.id, Lot.product_id == product.id)).scalars()}
    assert {b: (lot.on_hand, lot.reserved) for b, lot in here.items()} == {
        "X-SOON": (2, 2), "X-LATE": (1, 1)}
    assert {(a.lot_id, a.quantity) for a in f.lines[0].lots} == {
        (here["X-SOON"].id, 2), (here["X-LATE"].id, 1)}
    told = session.execute(sa.select(OutboxMessage).where(
        OutboxMessage.kind == "ready_for_pickup")).scalars().all()
    assert [(m.to, f.pickup_code in m.body) for m in told if m.channel == "sms"] == [
        ("13800000001", True)]
    clean(runner)

    desk.hand_over(f, f.pickup_code, shop.clerk)  # paid: nothing to collect
    order = session.get(Order, order.id)
    assert (order.status, f.status) == ("fulfilled", "picked_up")
    assert figures(session, shop.store, product) == (0, 0)
    assert member.points == 384
    kinds = session.execute(sa.select(StockMovement.center_id, StockMovement.kind).where(
        StockMovement.fulfillment_id == f.id).order_by(StockMovement.id)).all()
    far, here_id = shop.far_store.id, shop.store.id
    assert [k for k in kinds if k[1] != "transferred"] == [
        (far, "reserved"), (here_id, "reserved"), (here_id, "reserved"), (here_id, "sold")]
    moved = session.execute(sa.select(StockMovement.center_id, sa.func.sum(
        StockMovement.on_hand_delta), sa.func.sum(StockMovement.reserved_delta)).where(
        StockMovement.kind == "transferred", StockMovement.fulfillment_id == f.id)
        .group_by(StockMovement.center_id)).all()
    assert sorted(moved) == sorted([(far, -3, -3)])  # the store's arrival names the transfer
    clean(runner)


def test_a_walk_in_leaves_a_phone_to_be_told(session, shop, lacking):
    product, *_ = lacking
    with pytest.raises(ValidationFailed) as refused:
        sell_for_transfer(shop.store, shop.clerk, [{"sku": product.sku, "quantity": 1}],
                          payments=[{"method": "cash", "tendered": 20000}])
    assert "contact" in refused.value.errors
    with pytest.raises(ValidationFailed):
        sell_for_transfer(shop.store, shop.clerk, [{"sku": product.sku, "quantity": 1}],
                          payments=[{"method": "cash"}], contact={"phone": "12345"})
    assert session.execute(sa.select(sa.func.count(Order.id))).scalar_one() == 0
    order = sell_for_transfer(shop.store, shop.clerk, [{"sku": product.sku, "quantity": 1}],
                              payments=[{"method": "cash", "tendered": 20000}],
                              contact={"name": "陈先生", "phone": "139 0000 0002"})
    assert (order.user_id, order.contact_phone, order.contact_name) == (
        None, "13900000002", "陈先生")


def test_nobody_holds_it_all(session, shop, lacking):
    product, *_ = lacking
    with pytest.raises(InsufficientStock) as short:
        sell_for_transfer(shop.store, shop.clerk, [{"sku": product.sku, "quantity": 6}],
                          member=shop.shopper, payments=[{"method": "cash"}])
    assert short.value.extra["lines"] == [{"sku": product.sku, "requested": 6, "available": 5}]
    assert session.execute(sa.select(sa.func.count(Order.id))).scalar_one() == 0


def test_refunded_before_it_leaves_releases_the_units_there(session, shop, lacking, runner):
    product, soon, late = lacking
    order = sell_for_transfer(shop.store, shop.clerk, [{"sku": product.sku, "quantity": 2}],
                              member=shop.shopper, payments=[{"method": "wechat_scan"}])
    refund = refund_order(order, shop.clerk, reason="顾客改主意")
    assert (refund.method, refund.amount, refund.status) == ("wechat_scan", 25600, "succeeded")
    order = session.get(Order, order.id)
    assert (order.status, order.fulfillment.status) == ("refunded", "cancelled")
    assert figures(session, shop.far_store, product) == (5, 0)
    assert session.execute(sa.select(Transfer.status)).scalars().all() == ["cancelled"]
    session.expire_all()
    assert (session.get(Lot, soon.id).reserved, session.get(Lot, late.id).reserved) == (0, 0)
    clean(runner)


def test_once_shipped_it_must_arrive_before_a_refund(session, shop, lacking):
    product, *_ = lacking
    order = sell_for_transfer(shop.store, shop.clerk, [{"sku": product.sku, "quantity": 1}],
                              member=shop.shopper, payments=[{"method": "cash"}])
    [transfer] = session.execute(sa.select(Transfer)).scalars()
    transfers.ship_transfer(transfer, shop.far_clerk)
    session.commit()
    with pytest.raises(IllegalTransition):
        refund_order(order, shop.clerk, reason="x")
    session.rollback()
    assert session.get(Order, order.id).status == "paid"
