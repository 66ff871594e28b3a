"""The nearest store first without a position: the city chosen in the header, else the city
of the last order or the default address; and the store used last, chosen again."""

import re

import pytest

from storefront.addresses.services import remember_address
from storefront.orders import place_order
from tests.conftest import delivery_address
from tests.support.pages import login


@pytest.fixture()
def hangzhou(shop, make_center, stock, session):
    """A Hangzhou store whose code sorts before the Shanghai ones (the old default)."""
    center = make_center(code="HZ-BJ", city="杭州市", district="滨江区", lat=30.208,
                         lng=120.211, name="海韵·杭州滨江中心")
    for product in shop.products:
        stock(center, product, 5)
    session.commit()
    return center


def checkout_page(client, shop):
    client.post("/cart/add", data={"product_id": shop.products[0].id, "quantity": 1})
    return client.get("/checkout").get_data(as_text=True)


def stores_in_order(html) -> list[str]:
    return re.findall(r'name="center_id" value="(\d+)"', html)


def chosen_store(html) -> str:
    return re.search(r'name="center_id" value="(\d+)" checked', html).group(1)


def test_without_any_hint_the_old_order_stays(client, shop, hangzhou):
    login(client, shop.shopper)
    html = checkout_page(client, shop)
    assert stores_in_order(html)[0] == str(hangzhou.id)


def test_the_city_chosen_in_the_header_comes_first(client, shop, hangzhou):
    login(client, shop.shopper)
    page = client.get("/city?next=/checkout").get_data(as_text=True)
    # named in the reader's language (the cookie keeps the Chinese name the stores have)
    assert 'data-testid="city-option"' in page and "Hangzhou" in page and "Shanghai" in page
    assert "杭州市" not in page
    response = client.get("/city", query_string={"set": "上海市", "next": "/checkout"})
    assert response.status_code == 302 and response.headers["Location"] == "/checkout"
    html = checkout_page(client, shop)
    order = stores_in_order(html)
    assert order[-1] == str(hangzhou.id) and chosen_store(html) != str(hangzhou.id)
    assert 'data-testid="city-first"' in html
    header = html.split('data-testid="city-pick"')[1][:80]
    assert "Shanghai" in header  # in Chinese 上海市: tests/browser/test_nearest_store_phone.py


def test_an_unknown_city_or_outside_link_is_ignored(client, shop, hangzhou):
    response = client.get("/city", query_string={"set": "火星市", "next": "https://evil.example"})
    assert response.status_code == 302 and response.headers["Location"] == "/products"
    assert "city=" not in response.headers.get("Set-Cookie", "")


def test_the_last_orders_city_and_store_come_back(client, shop, hangzhou, session):
    place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                fulfillment={"method": "pickup", "center_id": shop.far_store.id},
                payment_method="pay_at_pickup")
    session.commit()
    login(client, shop.shopper)
    html = checkout_page(client, shop)
    assert stores_in_order(html)[0] == str(shop.far_store.id)  # the store used last
    assert chosen_store(html) == str(shop.far_store.id)
    assert stores_in_order(html)[-1] == str(hangzhou.id)  # another city comes last


def test_the_default_address_gives_the_city(client, shop, hangzhou, session):
    remember_address(shop.shopper, delivery_address())
    session.commit()
    login(client, shop.shopper)
    html = checkout_page(client, shop)
    assert stores_in_order(html)[-1] == str(hangzhou.id)
