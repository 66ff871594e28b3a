"""The stock ledger: every change is a movement with who and why; the sums agree."""

import pytest
import sqlalchemy as sa

from core.extensions import db
from core.models import Role
from fulfillment import services as desk
from fulfillment.errors import InsufficientStock
from fulfillment.ledger import verify_ledger
from fulfillment.models import Stock, StockMovement
from storefront.orders import cancel_order, expire_unpaid_orders, place_order
from tests.conftest import delivery_address


def movements(session, **where):
    query = sa.select(StockMovement).order_by(StockMovement.id)
    for name, value in where.items():
        query = query.where(getattr(StockMovement, name) == value)
    return session.execute(query).scalars().all()


def order_at_store(shop, product, quantity=1):
    return place_order(shop.shopper, lines=[{"sku": product.sku, "quantity": quantity}],
                       fulfillment={"method": "pickup", "center_id": shop.store.id},
                       payment_method="pay_at_pickup")


def test_reserve_sell_release_and_count_are_movements(session, shop):
    a, b = shop.products[:2]
    first = order_at_store(shop, a, 2)
    f = first.fulfillment
    [reserved] = movements(session, fulfillment_id=f.id)
    assert (reserved.kind, reserved.on_hand_delta, reserved.reserved_delta,
            reserved.actor_id) == ("reserved", 0, 2, shop.shopper.id)
    desk.mark_ready(f, shop.clerk)
    desk.hand_over(f, f.pickup_code, shop.clerk, collected={"method": "cash"})
    sold = movements(session, fulfillment_id=f.id, kind="sold")
    assert [(m.on_hand_delta, m.reserved_delta, m.actor_id) for m in sold] == [
        (-2, -2, shop.clerk.id)]
    second = order_at_store(shop, b)
    cancel_order(second, shop.shopper)
    [released] = movements(session, fulfillment_id=second.fulfillment.id, kind="released")
    assert (released.reserved_delta, released.actor_id, released.reason) == (
        -1, shop.shopper.id, "cancelled")
    desk.set_stock(shop.store.id, a.id, 20, shop.clerk, reason="monthly count")
    [adjusted] = movements(session, kind="adjusted", reason="monthly count")
    assert (adjusted.on_hand_delta, adjusted.actor_id) == (12, shop.clerk.id)
    assert verify_ledger() == []


def test_expired_orders_release_as_the_system(session, shop, app):
    from datetime import timedelta

    from core.clock import utcnow

    app.config["STRIPE_SECRET_KEY"] = "sk_test_x"
    try:
        order = place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                            fulfillment={"method": "pickup", "center_id": shop.store.id},
                            payment_method="stripe")
        expire_unpaid_orders(utcnow() + timedelta(hours=2))
    finally:
        app.config["STRIPE_SECRET_KEY"] = None
    [released] = movements(session, fulfillment_id=order.fulfillment.id, kind="released")
    assert (released.actor_id, released.reason) == (None, "expired")
    assert verify_ledger() == []


def test_delivery_sells_on_delivered(session, shop):
    order = place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 3}],
                        fulfillment={"method": "delivery", "address": delivery_address()},
                        payment_method="cash_on_delivery")
    f = order.fulfillment
    desk.dispatch(f, shop.hub_clerk)
    desk.mark_delivered(f, shop.hub_clerk, collected={"method": "cash"})
    kinds = [(m.kind, m.on_hand_delta, m.reserved_delta)
             for m in movements(session, fulfillment_id=f.id)]
    assert kinds == [("reserved", 0, 3), ("sold", -3, -3)]
    assert verify_ledger() == []


def test_a_refused_checkout_leaves_no_movement(session, shop, stock):
    stock(shop.store, shop.products[1], 0)
    session.commit()
    before = session.execute(sa.select(sa.func.count(StockMovement.id))).scalar_one()
    with pytest.raises(InsufficientStock) as refused:
        place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1},
                                         {"sku": shop.products[1].sku, "quantity": 1}],
                    fulfillment={"method": "pickup", "center_id": shop.store.id},
                    payment_method="pay_at_pickup")
    assert [line["sku"] for line in refused.value.extra["lines"]] == [shop.products[1].sku]
    session.rollback()
    assert session.execute(sa.select(sa.func.count(StockMovement.id))).scalar_one() == before
    assert verify_ledger() == []


def test_verify_finds_a_change_made_behind_the_ledger(session, shop, runner):
    assert runner.invoke(args=["stock", "verify"]).exit_code == 0
    db.session.execute(sa.update(Stock).where(Stock.center_id == shop.store.id,
                                              Stock.product_id == shop.products[0].id)
                       .values(on_hand=Stock.on_hand + 1))
    problems = verify_ledger()
    assert problems == [{"center_id": shop.store.id, "product_id": shop.products[0].id,
                         "on_hand": 11, "reserved": 0, "ledger_on_hand": 10,
                         "ledger_reserved": 0}]
    result = runner.invoke(args=["stock", "verify"])
    assert result.exit_code == 1 and f"center {shop.store.id}" in result.output


def test_staff_count_through_the_api_is_an_adjustment(client, session, shop, token_for):
    headers = token_for(shop.clerk)
    session.commit()
    response = client.put(f"/api/v1/staff/stock/{shop.products[0].sku}", json={"on_hand": 4},
                          headers=headers)
    assert response.status_code == 200
    [m] = movements(session, kind="adjusted", actor_id=shop.clerk.id)
    assert m.on_hand_delta == -6
    assert verify_ledger() == []
    assert shop.clerk.role == Role.STAFF
