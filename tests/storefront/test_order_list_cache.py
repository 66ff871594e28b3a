"""The back office's order list is cached for everyone who may see the same orders until an
order or a refund request is written through the session: a hit reads fewer statements; a
new order, a status change and a set-based update show on the next request; a clerk sees
their own center's orders only, never the list cached for the admin."""

import pytest
import sqlalchemy as sa

from core.extensions import cache, db
from storefront.models import Order
from storefront.orders import cancel_order, place_order
from tests.support.pages import login
from tests.support.queries import count_statements

pytestmark = pytest.mark.usefixtures("fresh_requests")


def order_list(client, query="") -> str:
    db.session.commit()
    db.session.expire_all()
    response = client.get(f"/admin/orders/{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def place(shop, shopper, center):
    order = place_order(shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                        fulfillment={"method": "pickup", "center_id": center.id},
                        payment_method="pay_at_pickup")
    db.session.commit()
    return order


def test_the_list_shows_every_change_on_the_next_request(client, shop, make_user):
    shopper = make_user(phone="13812345678")
    first = place(shop, shopper, shop.store)
    login(client, shop.admin)
    page = order_list(client)
    assert first.number in page
    with count_statements() as warm:
        assert order_list(client) == page
    cache.clear()
    with count_statements() as cold:
        order_list(client)
    assert len(warm) < len(cold)

    second = place(shop, shopper, shop.far_store)
    assert second.number in order_list(client)

    assert second.number not in order_list(client, "?status=cancelled")
    cancel_order(second, shopper)
    assert second.number in order_list(client, "?status=cancelled")

    db.session.execute(sa.update(Order).where(Order.id == first.id).values(disputed=True))
    assert first.number in order_list(client, "?status=disputed")


def test_a_clerk_sees_their_centers_orders_not_the_admins_list(client, shop, make_user):
    shopper = make_user(phone="13812345678")
    here = place(shop, shopper, shop.store)
    there = place(shop, shopper, shop.far_store)
    login(client, shop.admin)
    admin_page = order_list(client)
    assert here.number in admin_page and there.number in admin_page
    login(client, shop.clerk)
    page = order_list(client)
    assert here.number in page and there.number not in page
    assert shop.clerk.name in page and shop.admin.name not in page
