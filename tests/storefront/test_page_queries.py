"""The shopper's pages issue as many SQL statements for 50 items as for 5, and none at all
for an anonymous visitor when the catalog page comes from the cache."""

import pytest
from flask import g

from core.extensions import cache, db
from storefront.models import Category
from storefront.orders import place_order
from tests.support.queries import count_statements

from ..support.pages import session_token


def fresh_request_state():
    """The test's app context outlives requests, and so does ``g``; in production each
    request starts with nothing cached there."""
    for name in ("_login_user", "_flask_babel", "csrf_token"):
        g.pop(name, None)


def statements_for(client, url, *, clear_cache=True) -> tuple[int, str]:
    db.session.commit()
    db.session.expire_all()
    if clear_cache:
        cache.clear()
    fresh_request_state()
    with count_statements() as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements), response.get_data(as_text=True)


def sign_in(client, user):
    db.session.commit()
    fresh_request_state()
    with client.session_transaction() as s:
        s["_user_id"] = session_token(user)
        s["_fresh"] = True


@pytest.fixture()
def two_categories(session, make_product, shop, stock, app, monkeypatch):
    """A category with 5 products and one with 50, every product in stock; one page shows all."""
    monkeypatch.setitem(app.config, "CATALOG_PER_PAGE", 100)
    few = Category(slug="few-things", name_zh="少", name_en="Few", position=1)
    many = Category(slug="many-things", name_zh="多", name_en="Many", position=2)
    session.add_all([few, many])
    products = {"few": [], "many": []}
    for name, category, n in (("few", few, 5), ("many", many, 50)):
        for i in range(n):
            product = make_product(category=category, member_price=9900 if i % 2 else None,
                                   days_of_supply=30 if i % 3 else None)
            stock(shop.store, product, 5)
            products[name].append(product)
    session.commit()
    return products


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_catalog_queries_do_not_grow_with_the_products_shown(
        client, shop, two_categories, signed_in):
    if signed_in:
        sign_in(client, shop.shopper)
    few, html = statements_for(client, "/products?category=few-things")
    assert all(p.name_zh in html for p in two_categories["few"])
    many, html = statements_for(client, "/products?category=many-things")
    assert all(p.name_zh in html for p in two_categories["many"])
    assert 0 < few == many, f"{few} statements for 5 products, {many} for 50"


def test_search_and_home_queries_do_not_grow(client, shop, two_categories):
    few, _ = statements_for(client, f"/products?q={two_categories['few'][0].sku}")
    many, html = statements_for(client, "/products?q=SKU-")
    assert all(p.name_zh in html for p in two_categories["many"])
    assert 0 < few == many
    assert statements_for(client, "/")[0] <= few + 1


def test_product_page_queries_do_not_grow_with_the_stores(client, shop, two_categories,
                                                          make_center, stock):
    product = two_categories["few"][0]
    few, _ = statements_for(client, f"/products/{product.slug}")
    for _ in range(20):
        stock(make_center(pickup=True), product, 3)
    many, html = statements_for(client, f"/products/{product.slug}")
    assert "21" in html  # "in stock at 21 stores"
    assert 0 < few == many


@pytest.mark.parametrize("url", ["/", "/products", "/products?category=many-things"])
def test_anonymous_cache_hit_issues_no_query(client, shop, two_categories, url):
    statements_for(client, url)
    hits, _ = statements_for(client, url, clear_cache=False)
    assert hits == 0


def test_anonymous_product_page_hit_issues_no_query(client, shop, two_categories):
    url = f"/products/{two_categories['many'][7].slug}"
    statements_for(client, url)
    assert statements_for(client, url, clear_cache=False)[0] == 0


def test_signed_in_cache_hit_needs_only_the_user_and_the_cart(client, shop, two_categories):
    sign_in(client, shop.shopper)
    url = "/products?category=many-things"
    statements_for(client, url)
    hits, html = statements_for(client, url, clear_cache=False)
    assert shop.shopper.name in html
    assert hits <= 3  # the user, the cart count (and SQLite's BEGIN)


def _place(shopper, shop, products, n):
    orders = []
    for i in range(n):
        a = products[i % len(products)]
        b = products[(i + 1) % len(products)]
        center = shop.store if i % 2 else shop.far_store
        orders.append(place_order(shopper, lines=[{"sku": a.sku, "quantity": 1},
                                                  {"sku": b.sku, "quantity": 2}],
                                  fulfillment={"method": "pickup", "center_id": center.id},
                                  payment_method="pay_at_pickup"))
    db.session.commit()
    return orders


def test_order_list_queries_do_not_grow_with_the_orders(client, shop, stock, make_user, session):
    for center in (shop.store, shop.far_store):
        for product in shop.products:
            stock(center, product, 500)
    shopper = make_user(phone="13812345678")
    first = _place(shopper, shop, shop.products, 5)
    sign_in(client, shopper)
    few, html = statements_for(client, "/orders")
    assert all(o.number in html for o in first)

    more = _place(shopper, shop, shop.products, 45)
    sign_in(client, shopper)
    many, html = statements_for(client, "/orders")
    assert all(o.number in html for o in first + more)
    assert 0 < few == many, f"{few} statements for 5 orders, {many} for 50"
