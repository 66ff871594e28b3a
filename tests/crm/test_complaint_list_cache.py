"""The complaint log (/crm/complaints) is cached for every agent until a complaint, a
customer's name or phone, a lot, its allocations or a recall is written, and for the minute
it was made in: a hit reads fewer statements; a new complaint, a step on it, a renamed
customer and a complaint turning overdue show on the next request. Each agent's page
carries their own name, and the recall form their own CSRF token."""

import re
from datetime import timedelta

import pytest
from flask import g

from core.extensions import cache, db
from crm.care import complaints
from crm.customers import profiles
from fulfillment import services as desk
from fulfillment.lots import receive_lot
from storefront.orders import place_order
from tests.support.pages import login
from tests.support.queries import count_statements

pytestmark = pytest.mark.usefixtures("fresh_requests")


def log(client) -> str:
    db.session.commit()
    db.session.expire_all()
    g.pop("csrf_token", None)  # the test's app context outlives requests; so does g
    response = client.get("/crm/complaints")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_every_change_shows_on_the_next_request(client, shop, clock):
    customer = profiles.create_prospect(shop.agent, {"name": "投诉人", "phone": "13800000081"})
    first = complaints.open_complaint(actor=shop.agent, customer=customer, category="quality",
                                      description="包装破损", severity="high")
    login(client, shop.agent)
    page = log(client)
    assert "投诉人" in page and f"/crm/complaints/{first.id}" in page
    with count_statements() as warm:
        assert log(client) == page
    cache.clear()
    with count_statements() as cold:
        log(client)
    assert len(warm) < len(cold)

    second = complaints.open_complaint(actor=shop.agent, customer=customer,
                                       category="delivery", description="晚到")
    assert f"/crm/complaints/{second.id}" in log(client)

    assert "· Acknowledged" not in log(client)
    complaints.transition(second, shop.agent, to="acknowledged")
    assert "· Acknowledged" in log(client)

    profiles.update_profile(customer, shop.agent, {"name": "改名投诉人",
                                                   "phone": "13800000081"})
    assert "改名投诉人" in log(client)

    assert 'data-testid="overdue"' not in log(client)
    clock.shift(timedelta(days=3))
    assert 'data-testid="overdue"' in log(client)


def test_each_agent_gets_their_own_token_in_the_recall_form(app, client, shop, make_user,
                                                           make_product, clock, monkeypatch):
    product = make_product(sku="NF-CACHE", name="奶粉")
    receive_lot(shop.store.id, product.id, batch="B-9", quantity=5,
                expires_on=clock.today() + timedelta(days=300), actor=shop.clerk)
    buyer = make_user(name="买家", phone="13800000091")
    placed = place_order(buyer, lines=[{"sku": product.sku, "quantity": 1}],
                         fulfillment={"method": "pickup", "center_id": shop.store.id},
                         payment_method="pay_at_pickup")
    desk.mark_ready(placed.fulfillment, shop.clerk)
    desk.hand_over(placed.fulfillment, placed.fulfillment.pickup_code, shop.clerk,
                   collected={"method": "cash"})
    complaints.open_complaint(actor=shop.agent, order=placed, product_id=product.id,
                              category="quality", description="结块")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    login(client, shop.agent)
    mine = log(client)
    other = make_user(shop.agent.role, name="第二位客服")
    browser = app.test_client()
    login(browser, other)
    theirs = log(browser)
    assert "第二位客服" in theirs and shop.agent.name not in theirs
    tokens = [set(re.findall(r'name="csrf_token" type="hidden" value="([^"]*)"', html)
                  + re.findall(r'name="csrf_token" value="([^"]*)"', html))
              for html in (mine, theirs)]
    assert all(t and "" not in t and "placeholder" not in " ".join(t) for t in tokens)
    assert tokens[0].isdisjoint(tokens[1])
