"""Goods handed over, refunded by line and brought back: the clerk of the store puts them
back into stock, into the lot they came from (a ``returned`` movement)."""

from datetime import timedelta

import sqlalchemy as sa

from core.clock import shop_today
from fulfillment import services as desk
from fulfillment.ledger import verify_ledger
from fulfillment.lots import receive_lot
from fulfillment.models import Lot, Stock, StockMovement
from storefront.orders import place_order
from storefront.payments.models import Refund

from .test_admin_pages import login


def _handed_over(session, shop, make_product):
    product = make_product(sku="NF-RET-1")
    today = shop_today()
    soon = receive_lot(shop.store.id, product.id, batch="R-SOON", quantity=2,
                       expires_on=today + timedelta(days=120), actor=shop.clerk)
    late = receive_lot(shop.store.id, product.id, batch="R-LATE", quantity=5,
                       expires_on=today + timedelta(days=400), actor=shop.clerk)
    order = place_order(shop.shopper, lines=[{"sku": product.sku, "quantity": 3}],
                        fulfillment={"method": "pickup", "center_id": shop.store.id},
                        payment_method="pay_at_pickup")
    f = desk.mark_ready(order.fulfillment, shop.clerk)
    desk.hand_over(f, f.pickup_code, shop.clerk, collected={"method": "cash"})
    session.commit()
    return order, product, soon, late


def _figures(session, shop, product, soon, late):
    session.expire_all()
    on_hand = session.execute(sa.select(Stock.on_hand).where(
        Stock.center_id == shop.store.id, Stock.product_id == product.id)).scalar_one()
    return (on_hand, session.get(Lot, soon.id).on_hand, session.get(Lot, late.id).on_hand,
            session.execute(sa.select(sa.func.count(Refund.id))).scalar_one())


def test_refunded_items_go_back_into_the_lot_they_came_from(client, session, shop,
                                                            make_product):
    order, product, soon, late = _handed_over(session, shop, make_product)
    assert _figures(session, shop, product, soon, late) == (4, 0, 4, 0)
    line = order.lines[0]
    login(client, shop.clerk)
    assert 'data-testid="restock"' in client.get(f"/admin/orders/{order.public_id}").get_data(
        as_text=True)
    response = client.post(f"/admin/orders/{order.public_id}/refund", data={
        "scope": "lines", f"line-{line.id}": "2", "reason": "罐子压瘪", "restock": "y"})
    assert response.status_code == 302
    # Both units left from the lot expiring first: both go back there.
    assert _figures(session, shop, product, soon, late) == (6, 2, 4, 1)
    moves = session.execute(sa.select(StockMovement.kind, StockMovement.lot_id,
                                      StockMovement.on_hand_delta, StockMovement.actor_id)
                            .where(StockMovement.kind == "returned")).all()
    assert moves == [("returned", soon.id, 2, shop.clerk.id)]
    assert verify_ledger() == []
    # The last unit is refunded but kept by the shopper: no checkbox ticked, no stock moves.
    client.post(f"/admin/orders/{order.public_id}/refund", data={
        "scope": "lines", f"line-{line.id}": "1", "reason": "赠送"})
    assert _figures(session, shop, product, soon, late) == (6, 2, 4, 2)


def test_restock_refused_beyond_what_was_handed_over_and_for_others(client, session, shop,
                                                                    make_product):
    order, product, soon, late = _handed_over(session, shop, make_product)
    line = order.lines[0]
    before = _figures(session, shop, product, soon, late)
    login(client, shop.clerk)
    response = client.post(f"/admin/orders/{order.public_id}/refund", data={
        "scope": "amount", "amount": "10", "reason": "x", "restock": "y"})
    assert response.status_code == 400 and "can go back into stock" in response.get_data(
        as_text=True)
    assert _figures(session, shop, product, soon, late) == before
    # An admin refunds from the back office but does not handle the goods at the store.
    login(client, shop.admin)
    html = client.get(f"/admin/orders/{order.public_id}").get_data(as_text=True)
    assert 'data-testid="restock"' not in html
    response = client.post(f"/admin/orders/{order.public_id}/refund", data={
        "scope": "lines", f"line-{line.id}": "1", "reason": "x", "restock": "y"})
    assert response.status_code == 400
    assert _figures(session, shop, product, soon, late) == before
    login(client, shop.far_clerk)
    assert client.post(f"/admin/orders/{order.public_id}/refund", data={
        "scope": "lines", f"line-{line.id}": "1", "reason": "x", "restock": "y"}
    ).status_code == 404
    assert _figures(session, shop, product, soon, late) == before


def test_only_goods_handed_over_can_return(session, shop):
    import pytest

    from core.errors import ValidationFailed
    from fulfillment.returns import return_to_stock

    product = shop.products[0]
    order = place_order(shop.shopper, lines=[{"sku": product.sku, "quantity": 2}],
                        fulfillment={"method": "pickup", "center_id": shop.store.id},
                        payment_method="pay_at_pickup")
    f = desk.mark_ready(order.fulfillment, shop.clerk)
    with pytest.raises(ValidationFailed):
        return_to_stock(f, {product.id: 1}, shop.clerk)
    desk.hand_over(f, f.pickup_code, shop.clerk, collected={"method": "cash"})
    with pytest.raises(ValidationFailed):
        return_to_stock(f, {product.id: 3}, shop.clerk)
    return_to_stock(f, {product.id: 2}, shop.clerk)  # a product not kept in lots
    session.expire_all()
    assert session.execute(sa.select(Stock.on_hand).where(
        Stock.center_id == shop.store.id, Stock.product_id == product.id)).scalar_one() == 10
    with pytest.raises(ValidationFailed):
        return_to_stock(f, {product.id: 1}, shop.clerk)  # all back already
    assert verify_ledger() == []


def test_refund_and_restock_are_one_service_call(session, shop, make_product):
    import pytest

    from core.errors import ValidationFailed
    from storefront.payments.refunds import refund_order

    order, product, soon, late = _handed_over(session, shop, make_product)
    line = order.lines[0]
    before = _figures(session, shop, product, soon, late)
    # Not staff of the store: refused before anything is written.
    with pytest.raises(ValidationFailed) as err:
        refund_order(order, shop.admin, reason="x", lines={line.id: 1}, restock=True)
    assert "restock" in err.value.errors
    assert _figures(session, shop, product, soon, late) == before
    refund = refund_order(order, shop.clerk, reason="罐子压瘪", lines={line.id: 2}, restock=True)
    session.commit()
    assert _figures(session, shop, product, soon, late) == (6, 2, 4, 1)
    assert session.execute(sa.select(StockMovement.reason).where(
        StockMovement.kind == "returned")).scalars().all() == [f"refund {refund.id}"]
    assert verify_ledger() == []
