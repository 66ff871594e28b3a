"""A pickup waits ``PICKUP_NO_SHOW_DAYS`` (7) whole days after it is ready: not released a
minute before, released a minute after, and the setting moves the edge."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from fulfillment import services
from fulfillment.models import Fulfillment, Stock
from fulfillment.pickup import release_no_shows
from storefront.orders import place_order

pytestmark = pytest.mark.dates

MINUTE = timedelta(minutes=1)


def ready_pickup(shop) -> Fulfillment:
    order = place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 2}],
                        fulfillment={"method": "pickup", "center_id": shop.store.id},
                        payment_method="pay_at_pickup")
    services.mark_ready(order.fulfillment, shop.clerk)
    return order.fulfillment


def reserved(session, shop) -> int:
    return session.execute(sa.select(Stock.reserved).where(
        Stock.center_id == shop.store.id, Stock.product_id == shop.products[0].id)).scalar_one()


@pytest.mark.parametrize("days", [7, 3])
def test_a_pickup_is_released_after_its_days_not_before(session, shop, clock, app, monkeypatch,
                                                        days):
    if days != 7:
        monkeypatch.setitem(app.config, "PICKUP_NO_SHOW_DAYS", days)
    f = ready_pickup(shop)
    assert f.ready_at == clock.now and reserved(session, shop) == 2
    edge = clock.now + timedelta(days=days)
    assert release_no_shows(edge - timedelta(days=1)).startswith("0 ")  # day 6 of 7
    assert release_no_shows(edge - MINUTE).startswith("0 ")
    assert f.status == "ready" and reserved(session, shop) == 2
    assert release_no_shows(edge + MINUTE).startswith("1 ")
    assert f.status == "cancelled" and reserved(session, shop) == 0
    assert release_no_shows(edge + MINUTE).startswith("0 ")
