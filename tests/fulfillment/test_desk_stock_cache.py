"""The desk's stock table is cached per center (by the "stock" and "catalog" versions): a
cache hit issues fewer statements, and every change behind it (an order's reservation, a
count, an alert level, a renamed product) shows on the next request; one center's clerk
never sees another's figures, and every form carries the viewer's own CSRF token."""

import re

import pytest
import sqlalchemy as sa
from flask import g

from core.extensions import cache, db
from fulfillment.models import Stock
from storefront.admin_services import update_product
from storefront.orders import place_order
from tests.support.pages import login
from tests.support.queries import count_statements

pytestmark = pytest.mark.usefixtures("fresh_requests")


def row_of(html: str, product) -> str:
    """The table row of ``product`` (its figures: on hand, reserved, available)."""
    match = re.search(rf'<tr id="p{product.id}".*?</tr>', html, re.S)
    assert match, f"no row for {product.sku}"
    return match.group(0)


def figures(html: str, product) -> tuple[int, int]:
    row = row_of(html, product)
    on_hand = re.search(r'data-label="On hand">(\d+)<', row).group(1)
    reserved = re.search(r'data-label="Reserved">(\d+)<', row).group(1)
    return int(on_hand), int(reserved)


def stock_page(client) -> str:
    db.session.commit()
    db.session.expire_all()
    g.pop("csrf_token", None)  # the test's app context outlives requests; so does g
    response = client.get("/desk/stock")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_hit_reads_less_and_every_change_shows_next_time(client, session, shop):
    product = shop.products[0]
    login(client, shop.clerk)
    assert figures(stock_page(client), product) == (10, 0)
    cache.clear()
    with count_statements() as cold:
        client.get("/desk/stock")
    with count_statements() as warm:
        html = client.get("/desk/stock").get_data(as_text=True)
    assert len(warm) < len(cold) and figures(html, product) == (10, 0)

    # an order's reservation
    place_order(shop.shopper, lines=[{"sku": product.sku, "quantity": 2}],
                fulfillment={"method": "pickup", "center_id": shop.store.id},
                payment_method="pay_at_pickup")
    assert figures(stock_page(client), product) == (10, 2)

    # a count at the desk
    assert client.post(f"/desk/stock/{product.id}", data={"on_hand": "7"}).status_code == 302
    assert figures(stock_page(client), product) == (7, 2)

    # an alert level
    assert client.post(f"/desk/stock/{product.id}/alert",
                       data={"alert_below": "4"}).status_code == 302
    assert 'value="4"' in row_of(stock_page(client), product)

    # a product renamed in the back office
    update_product(product, {
        "sku": product.sku, "slug": product.slug, "name_zh": "改名的海参",
        "name_en": "Renamed sea cucumber", "description_zh": "描述",
        "price_amount": product.price_amount, "active": True,
        "category_id": product.category_id}, shop.admin)
    assert "Renamed sea cucumber" in row_of(stock_page(client), product)  # read in English


def test_each_center_sees_its_own_figures_and_its_own_token(client, app, session, shop,
                                                           monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    product = shop.products[1]
    session.execute(sa.update(Stock).where(Stock.center_id == shop.far_store.id,
                                           Stock.product_id == product.id).values(on_hand=25))
    login(client, shop.clerk)
    mine = stock_page(client)
    login(client, shop.far_clerk)
    theirs = stock_page(client)
    assert figures(mine, product) == (10, 0) and figures(theirs, product) == (25, 0)
    assert shop.far_clerk.name in theirs and shop.clerk.name not in theirs

    tokens = set(re.findall(r'name="csrf_token" value="([^"]*)"', theirs))
    assert len(tokens) == 1 and "placeholder" not in next(iter(tokens))
    # the token is this session's: a count posted with it goes through
    response = client.post(f"/desk/stock/{product.id}",
                           data={"on_hand": "30", "csrf_token": tokens.pop()})
    assert response.status_code == 302
    assert figures(stock_page(client), product) == (30, 0)
    login(client, shop.clerk)  # a new session: its own token, not the one cached
    again = set(re.findall(r'name="csrf_token" value="([^"]*)"', stock_page(client)))
    assert again and again.isdisjoint(tokens | {""})
