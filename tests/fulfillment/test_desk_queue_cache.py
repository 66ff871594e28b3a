"""The desk's queue is cached per clerk (the courier list preselects them) until a
fulfillment, its lines, an order, a slot or the staff change, and for the minute it was made
in: a hit reads fewer statements, and a new order, a step taken at the desk, a payment, a
cancellation and the refreshed queue alone all show the change on the next request. Each
clerk sees their own name and posts with their own CSRF token."""

import re

import pytest
import sqlalchemy as sa
from flask import g

from core.extensions import cache, db
from core.models import Role
from fulfillment.models import Fulfillment
from storefront.models import Order
from storefront.orders import cancel_order, place_order
from tests.support.pages import login
from tests.support.queries import count_statements

pytestmark = pytest.mark.usefixtures("fresh_requests")


def desk(client, url="/desk") -> str:
    db.session.commit()
    db.session.expire_all()
    g.pop("csrf_token", None)  # the test's app context outlives requests; so does g
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def item(html: str, f) -> str:
    match = re.search(rf'data-testid="fulfillment-{f.id}".*?</article>', html, re.S)
    return match.group(0) if match else ""


def place(shop, shopper, product=0):
    order = place_order(shopper, lines=[{"sku": shop.products[product].sku, "quantity": 1}],
                        fulfillment={"method": "pickup", "center_id": shop.store.id},
                        payment_method="pay_at_pickup")
    db.session.commit()
    f = db.session.execute(sa.select(Fulfillment).where(
        Fulfillment.order_id == order.id)).scalar_one()
    return order, f


def test_every_change_shows_on_the_next_request(client, shop, make_user):
    shopper = make_user(phone="13812345678")
    order, f = place(shop, shopper)
    login(client, shop.clerk)
    page = desk(client)
    assert order.number in page and "Mark ready" in item(page, f)
    with count_statements() as warm:
        desk(client)
    cache.clear()
    with count_statements() as cold:
        desk(client)
    assert len(warm) < len(cold)

    # a new order
    second, f2 = place(shop, shopper, product=1)
    page = desk(client)
    assert second.number in page
    assert second.number in desk(client, "/desk/queue")  # the refresh in place, too

    # a step taken at the desk
    assert client.post(f"/desk/fulfillments/{f.id}/ready").status_code == 302
    assert "Hand over" in item(desk(client), f)

    # a payment recorded (a set-based update of the order)
    assert "Collect" in item(desk(client), f2)
    db.session.execute(sa.update(Order).where(Order.id == second.id)
                       .values(paid_amount=second.total_amount))
    assert "Collect" not in item(desk(client), f2)

    # a cancellation
    cancel_order(second, shopper)
    assert "Mark ready" not in item(desk(client), f2)


def test_each_clerk_sees_their_own_name_and_token(client, app, shop, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    shopper = make_user(phone="13812345678")
    _order, f = place(shop, shopper)
    other = make_user(Role.STAFF, center=shop.store, name="第二位店员")
    login(client, shop.clerk)
    mine = desk(client)
    browser = app.test_client()  # the other clerk's own browser and session
    login(browser, other)
    theirs = desk(browser)
    assert "第二位店员" in theirs and shop.clerk.name not in theirs
    assert f'data-testid="fulfillment-{f.id}"' in theirs
    tokens = set(re.findall(r'name="csrf_token" value="([^"]*)"', theirs))
    assert len(tokens) == 1 and "placeholder" not in next(iter(tokens)) and "" not in tokens
    assert tokens.isdisjoint(re.findall(r'name="csrf_token" value="([^"]*)"', mine))
    response = browser.post(f"/desk/fulfillments/{f.id}/ready",
                            data={"csrf_token": tokens.pop()})
    assert response.status_code == 302
    assert "Hand over" in item(desk(browser), f)
