"""The routing decision: ranked by distance, load, stock cover; recorded; fallbacks offered."""

import pytest

from fulfillment import routing
from fulfillment.errors import InsufficientStock, NoCenterServesAddress
from storefront.orders import place_order
from tests.conftest import delivery_address

XUHUI = [("上海市", "上海市", "徐汇区")]


def lines(*products, qty=1):
    return [(p.id, qty) for p in products]


def test_nearest_wins_and_the_runner_up_is_recorded(session, shop, make_center, stock):
    near = make_center(code="NEAR", pickup=False, delivery=True, lat=31.195, lng=121.435,
                       districts=XUHUI)
    stock(near, shop.products[0], 5)
    address = delivery_address(lat=31.196, lng=121.436)
    decision = routing.decide_delivery(address, lines(shop.products[0]))
    assert decision.center.id == near.id and decision.reason == "nearest"
    [runner] = decision.runners_up
    assert runner["center_id"] == shop.hub.id and runner["distance_km"] > 0
    assert set(runner) == {"center_id", "code", "distance_km", "open_orders", "cover"}


def test_equal_distance_and_load_then_stock_cover_decides(session, shop, make_center, stock):
    twin = make_center(code="TWIN", pickup=False, delivery=True, lat=shop.hub.lat,
                       lng=shop.hub.lng, districts=XUHUI)
    stock(twin, shop.products[0], 40)
    decision = routing.decide_delivery(delivery_address(), lines(shop.products[0], qty=2))
    assert decision.center.id == twin.id and decision.reason == "best_cover"
    assert decision.runners_up[0]["cover"] == 5.0


def test_a_short_center_is_listed_as_short(session, shop, make_center, stock):
    poor = make_center(code="POOR", pickup=False, delivery=True, districts=XUHUI)
    stock(poor, shop.products[0], 0)
    decision = routing.decide_delivery(delivery_address(), lines(shop.products[0]))
    assert decision.center.id == shop.hub.id and decision.reason == "only_center"
    assert {"center_id": poor.id, "code": "POOR", "short": True} in decision.runners_up


def test_the_decision_is_kept_on_the_fulfillment(session, shop):
    order = place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                        fulfillment={"method": "delivery", "address": delivery_address()},
                        payment_method="cash_on_delivery")
    assert order.fulfillment.routing["center_id"] == shop.hub.id
    assert order.fulfillment.routing["reason"] == "only_center"
    pickup = place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                         fulfillment={"method": "pickup", "center_id": shop.store.id},
                         payment_method="pay_at_pickup")
    assert pickup.fulfillment.routing["reason"] == "shopper_chose"


def test_no_stock_offers_pickup_and_a_courier_from_the_warehouse(session, shop, make_center,
                                                                 stock):
    warehouse = make_center(code="WH", pickup=False, delivery=False, warehouse=True)
    stock(warehouse, shop.products[0], 100)
    stock(shop.hub, shop.products[0], 0)
    with pytest.raises(InsufficientStock) as err:
        routing.decide_delivery(delivery_address(), lines(shop.products[0]))
    assert err.value.extra["courier_from"]["code"] == "WH"
    assert {a["code"] for a in err.value.extra["alternatives"]} == {"SH-JA", "SH-PD"}


def test_an_address_nobody_serves_says_so_and_offers_pickup(session, shop):
    with pytest.raises(NoCenterServesAddress) as err:
        routing.decide_delivery(delivery_address(district="崇明区"), lines(shop.products[0]))
    assert err.value.status == 422
    assert err.value.extra["alternatives"] and "courier_from" not in err.value.extra


def test_staff_see_the_decision_in_the_api(client, session, shop, token_for):
    place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                fulfillment={"method": "delivery", "address": delivery_address()},
                payment_method="cash_on_delivery")
    headers = token_for(shop.hub_clerk)
    session.commit()
    body = client.get("/api/v1/staff/fulfillments", headers=headers).get_json()
    assert body["items"][0]["routing"]["reason"] == "only_center"


def test_the_desk_shows_why_and_when(client, session, shop):
    from datetime import timedelta

    from core.clock import utcnow
    from fulfillment.models import Slot
    from tests.support.pages import login

    start = utcnow() + timedelta(days=1)
    slot = Slot(center_id=shop.hub.id, kind="delivery", starts_at=start,
                ends_at=start + timedelta(hours=2), capacity=3, taken=0)
    session.add(slot)
    session.flush()
    place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                fulfillment={"method": "delivery", "address": delivery_address()},
                payment_method="cash_on_delivery", slot_id=slot.id)
    login(client, shop.hub_clerk)
    html = client.get("/desk?method=delivery").get_data(as_text=True)
    assert 'data-testid="routing"' in html and "the only center serving" in html
    assert 'data-testid="slot"' in html
