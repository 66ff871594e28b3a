"""A signed-in shopper's cart page is cached per shopper until their cart, their membership
or the catalog changes: a hit reads fewer statements; adding, a price change and a new tier
show on the next request; one shopper never sees another's lines, name or CSRF token."""

import re

import pytest
from flask import g

from core.extensions import cache, db
from storefront import cart as carts
from storefront.loyalty import tiers
from storefront.loyalty.membership import membership_of, sign_up_member
from storefront.loyalty.models import Tier
from tests.support.pages import login
from tests.support.queries import count_statements

pytestmark = pytest.mark.usefixtures("fresh_requests")


def cart_page(client, user) -> str:
    login(client, user)
    db.session.expire_all()
    g.pop("csrf_token", None)  # the test's app context outlives requests; so does g
    response = client.get("/cart")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_each_shopper_sees_their_own_cart_and_its_changes(app, client, shop, make_user,
                                                          monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    wang, li = make_user(name="王丽"), make_user(name="李娜")
    a, b = shop.products[0], shop.products[1]
    carts.add_item(wang, {}, a.id, 2)
    carts.add_item(li, {}, b.id, 1)
    db.session.commit()
    page = cart_page(client, wang)
    assert a.name_en in page and b.name_en not in page and "¥256.00" in page
    browser = app.test_client()
    other = cart_page(browser, li)
    assert b.name_en in other and a.name_en not in other and "王丽" not in other
    mine = set(re.findall(r'name="csrf_token" value="([^"]*)"', page))
    theirs = set(re.findall(r'name="csrf_token" value="([^"]*)"', other))
    assert mine and theirs and mine.isdisjoint(theirs) and "" not in mine | theirs

    with count_statements() as warm:
        cart_page(client, wang)
    cache.clear()
    with count_statements() as cold:
        cart_page(client, wang)
    assert len(warm) < len(cold)

    carts.add_item(wang, {}, b.id, 1)
    db.session.commit()
    page = cart_page(client, wang)
    assert b.name_en in page and "¥654.00" in page

    membership = sign_up_member(wang, name="王丽", phone="13800000001")
    tiers.set_member_prices(b, {Tier.GOLD: 29800})
    db.session.commit()
    assert "¥298.00" not in cart_page(client, wang)  # classic: not gold's price
    membership_of(wang).tier = Tier.GOLD
    db.session.commit()
    assert "¥298.00" in cart_page(client, wang)
    assert membership is not None and "¥298.00" not in cart_page(browser, li)
