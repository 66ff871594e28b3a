"""The desk's queue issues the same number of SQL statements for 5 orders as for 50
(over 1 slot or 15)."""

from datetime import timedelta

import pytest
from flask import g

from core.clock import utcnow
from fulfillment import services
from fulfillment.models import Fulfillment, Slot
from storefront.orders import place_order
from tests.support.queries import count_statements

from ..support.pages import session_token

pytestmark = pytest.mark.dates  # calendar rules: CI runs these shifted too


def _slots(session, shop, n: int) -> list:
    """``n`` pickup windows at the store from tomorrow on, room for everyone."""
    already = session.query(Slot).filter(Slot.center_id == shop.store.id).count()
    start = utcnow().replace(microsecond=0) + timedelta(days=1, hours=2 * already)
    made = [Slot(center_id=shop.store.id, kind="pickup", capacity=100, taken=0,
                 starts_at=start + timedelta(hours=2 * i),
                 ends_at=start + timedelta(hours=2 * i + 2)) for i in range(n)]
    session.add_all(made)
    session.flush()
    return made


def _fill_queue(shop, session, shopper, n: int) -> list:
    """``n`` pickup orders at the store, in every state the desk shows, over as many slots
    as there are groups of three (and some without a slot)."""
    orders = []
    slots = _slots(session, shop, max(n // 3, 1))
    for i in range(n):
        product = shop.products[i % len(shop.products)]
        slot = slots[i % len(slots)].id if i % 4 else None
        orders.append(place_order(shopper, lines=[{"sku": product.sku, "quantity": 1}],
                                  fulfillment={"method": "pickup", "center_id": shop.store.id},
                                  payment_method="pay_at_pickup", slot_id=slot))
    session.flush()
    fulfillments = {f.order_id: f for f in session.query(Fulfillment).filter(
        Fulfillment.order_id.in_([o.id for o in orders]))}
    for i, order in enumerate(orders):
        f = fulfillments[order.id]
        if i % 3 == 1:
            services.mark_ready(f, shop.clerk)
        elif i % 3 == 2:
            services.mark_ready(f, shop.clerk)
            services.hand_over(f, f.pickup_code, shop.clerk, collected={"method": "cash"})
    session.commit()
    return orders


def _desk_statements(client, shop, session) -> tuple[int, str]:
    session.expire_all()
    g.pop("_login_user", None)
    with client.session_transaction() as s:
        s["_user_id"] = session_token(shop.clerk)
        s["_fresh"] = True
    with count_statements() as statements:
        response = client.get("/desk")
    assert response.status_code == 200
    return len(statements), response.get_data(as_text=True)


@pytest.fixture()
def big_shop(shop, stock):
    for product in shop.products:
        stock(shop.store, product, 100)
    return shop


def test_desk_queries_do_not_grow_with_the_queue(client, big_shop, session, make_user):
    shopper = make_user(phone="13812345678")
    first = _fill_queue(big_shop, session, shopper, 5)
    few, html = _desk_statements(client, big_shop, session)
    assert all(o.number in html for o in first)

    more = _fill_queue(big_shop, session, shopper, 45)
    many, html = _desk_statements(client, big_shop, session)
    assert all(o.number in html for o in first + more)
    assert html.count('data-testid="slot-group"') > 10
    assert 0 < few == many, f"{few} statements for 5 orders, {many} for 50"


def test_stock_page_queries_do_not_grow_with_products(client, shop, session, make_product,
                                                      stock):
    def statements() -> int:
        session.commit()
        session.expire_all()
        g.pop("_login_user", None)
        with client.session_transaction() as s:
            s["_user_id"] = session_token(shop.clerk)
            s["_fresh"] = True
        with count_statements() as seen:
            assert client.get("/desk/stock").status_code == 200
        return len(seen)

    few = statements()
    for _ in range(20):
        stock(shop.store, make_product(), 5)
    assert 0 < few == statements()
