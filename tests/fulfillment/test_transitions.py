"""The desk's state machine, stock moves and the signals it sends, per center."""

import pytest
import sqlalchemy as sa

from core.errors import Forbidden, IllegalTransition, NotFound, TooManyAttempts
from core.models import Role
from core.signals import fulfillment_completed, fulfillment_ready
from fulfillment import services
from fulfillment.errors import WrongCode
from fulfillment.models import Stock
from storefront.orders import place_order


@pytest.fixture()
def pickup(session, shop):
    order = place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 2}],
                        fulfillment={"method": "pickup", "center_id": shop.store.id},
                        payment_method="pay_at_pickup")
    return order.fulfillment


@pytest.fixture()
def delivery(session, shop):
    from tests.conftest import delivery_address

    order = place_order(shop.shopper, lines=[{"sku": shop.products[1].sku, "quantity": 1}],
                        fulfillment={"method": "delivery", "address": delivery_address()},
                        payment_method="cash_on_delivery")
    return order.fulfillment


def stock_of(session, center, product):
    session.expire_all()
    return session.execute(sa.select(Stock).where(
        Stock.center_id == center.id, Stock.product_id == product.id)).scalar_one()


def test_ready_gives_a_code_and_signals(session, shop, pickup):
    seen = []
    with fulfillment_ready.connected_to(lambda sender, **_: seen.append(sender)):
        services.mark_ready(pickup, shop.clerk)
    assert pickup.status == "ready" and len(pickup.pickup_code) >= 6 and seen == [pickup]
    assert set(pickup.pickup_code) <= set(services.CODE_ALPHABET)


def test_hand_over_with_the_code_moves_stock_and_signals(session, shop, pickup):
    services.mark_ready(pickup, shop.clerk)
    seen = []
    with fulfillment_completed.connected_to(lambda sender, **_: seen.append(sender)):
        services.hand_over(pickup, pickup.pickup_code.lower(), shop.clerk,
                           collected={"method": "cash"})
    assert pickup.status == "picked_up" and seen == [pickup]
    row = stock_of(session, shop.store, shop.products[0])
    assert (row.on_hand, row.reserved) == (8, 0)


def test_wrong_code_is_refused_then_rate_limited(session, shop, pickup):
    services.mark_ready(pickup, shop.clerk)
    for _ in range(5):
        with pytest.raises(WrongCode):
            services.hand_over(pickup, "WRONG123", shop.clerk, collected={"method": "cash"})
    with pytest.raises(TooManyAttempts):
        services.hand_over(pickup, pickup.pickup_code, shop.clerk, collected={"method": "cash"})
    assert pickup.status == "ready"


def test_code_lookup_only_finds_orders_of_that_center(session, shop, pickup):
    services.mark_ready(pickup, shop.clerk)
    assert services.find_by_code(shop.store.id, pickup.pickup_code).id == pickup.id
    with pytest.raises(WrongCode):
        services.find_by_code(shop.far_store.id, pickup.pickup_code)


def test_other_center_staff_cannot_touch(session, shop, pickup):
    with pytest.raises(NotFound):
        services.mark_ready(pickup, shop.far_clerk)
    with pytest.raises(Forbidden):
        services.mark_ready(pickup, shop.agent)
    services.mark_ready(pickup, shop.admin)  # admins reach every center
    assert pickup.status == "ready"


@pytest.mark.parametrize("step", ["hand_over", "dispatch", "mark_delivered"])
def test_illegal_steps_on_a_reserved_pickup(session, shop, pickup, step):
    args = (pickup, "X", shop.clerk) if step == "hand_over" else (pickup, shop.clerk)
    with pytest.raises(IllegalTransition):
        getattr(services, step)(*args)


def test_delivery_path(session, shop, delivery):
    with pytest.raises(IllegalTransition):
        services.mark_ready(delivery, shop.hub_clerk)
    with pytest.raises(IllegalTransition):
        services.mark_delivered(delivery, shop.hub_clerk, collected={"method": "cash"})
    services.dispatch(delivery, shop.hub_clerk)
    assert delivery.status == "dispatched" and delivery.courier_id == shop.hub_clerk.id
    with pytest.raises(IllegalTransition):
        services.cancel_fulfillment(delivery)
    services.mark_delivered(delivery, shop.hub_clerk, collected={"method": "cash"})
    assert delivery.status == "delivered"
    row = stock_of(session, shop.hub, shop.products[1])
    assert (row.on_hand, row.reserved) == (9, 0)


def test_cancel_releases_and_clears_the_code(session, shop, pickup):
    services.mark_ready(pickup, shop.clerk)
    services.cancel_fulfillment(pickup)
    assert pickup.status == "cancelled" and pickup.pickup_code is None
    assert stock_of(session, shop.store, shop.products[0]).reserved == 0
    with pytest.raises(IllegalTransition):
        services.cancel_fulfillment(pickup)


def test_set_stock_respects_reservations(session, shop, pickup):
    from core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        services.set_stock(shop.store.id, shop.products[0].id, 1, shop.clerk)
    with pytest.raises(ValidationFailed):
        services.set_stock(shop.store.id, shop.products[0].id, -3, shop.clerk)
    row = services.set_stock(shop.store.id, shop.products[0].id, 25, shop.clerk)
    assert (row.on_hand, row.reserved, row.available) == (25, 2, 23)
    with pytest.raises(NotFound):
        services.set_stock(shop.store.id, shop.products[0].id, 3, shop.far_clerk)


def test_queue_is_per_center(session, shop, pickup, delivery, make_user):
    from datetime import UTC, datetime

    day = datetime.now(UTC).replace(hour=0, minute=0)
    assert [f.id for f in services.center_queue(shop.store.id, day_start=day)] == [pickup.id]
    assert [f.id for f in services.center_queue(shop.hub.id, day_start=day)] == [delivery.id]
    assert services.center_queue(shop.far_store.id, day_start=day) == []
    assert make_user(Role.STAFF, center=shop.store).center_id == shop.store.id
