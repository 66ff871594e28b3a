"""A shopper's order list is cached per shopper until an order, its fulfillment or lines, or
a coupon is written through the session: a hit reads fewer statements; a new order, a
cancellation, a desk step and a new coupon show on the next request; one shopper never sees
another's orders, coupons or name."""

import re

import pytest

from core.extensions import cache, db
from fulfillment import services
from fulfillment.models import Fulfillment
from storefront.coupons import issue_coupon
from storefront.orders import cancel_order, place_order
from tests.support.pages import login
from tests.support.queries import count_statements

pytestmark = pytest.mark.usefixtures("fresh_requests")


def my_orders(client, user) -> str:
    login(client, user)
    db.session.expire_all()
    response = client.get("/orders")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def place(shop, shopper, product=0):
    order = place_order(shopper, lines=[{"sku": shop.products[product].sku, "quantity": 2}],
                        fulfillment={"method": "pickup", "center_id": shop.store.id},
                        payment_method="pay_at_pickup")
    db.session.commit()
    return order


def status_of(html: str, order) -> str:
    row = re.search(rf"{order.number}</strong>\s*(<span[^>]*>[^<]*</span>)", html)
    return row.group(1) if row else ""


def test_each_change_shows_and_each_shopper_sees_their_own(client, shop, make_user):
    wang = make_user(name="王丽", phone="13800000001")
    li = make_user(name="李娜", phone="13800000002")
    mine = place(shop, wang)
    theirs = place(shop, li, product=1)
    page = my_orders(client, wang)
    assert mine.number in page and theirs.number not in page and "王丽" in page
    other = my_orders(client, li)
    assert theirs.number in other and mine.number not in other
    assert "李娜" in other and "王丽" not in other

    with count_statements() as warm:
        my_orders(client, wang)
    cache.clear()
    with count_statements() as cold:
        my_orders(client, wang)
    assert len(warm) < len(cold)

    second = place(shop, wang, product=2)
    assert second.number in my_orders(client, wang)
    assert second.number not in my_orders(client, li)

    cancel_order(second, wang)
    db.session.commit()
    assert "Cancelled" in status_of(my_orders(client, wang), second)

    f = db.session.query(Fulfillment).filter_by(order_id=mine.id).one()
    services.mark_ready(f, shop.clerk)
    db.session.commit()
    assert "Ready" in status_of(my_orders(client, wang), mine)

    issue_coupon(wang.id, amount=2000, source="manual", valid_days=30)
    db.session.commit()
    assert "¥20.00" in my_orders(client, wang)
    assert "¥20.00" not in my_orders(client, li)
