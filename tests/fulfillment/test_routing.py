"""Routing: which center serves a delivery, which pickup stores hold the items."""

import pytest

from core.clock import shop_today
from fulfillment import routing
from fulfillment.errors import InsufficientStock, NoCenterServesAddress


def lines(*products, qty=1):
    return [(p.id, qty) for p in products]


def test_delivery_goes_to_a_center_serving_the_district(session, shop):
    center = routing.route_delivery(
        {"province": "上海市", "city": "上海市", "district": "徐汇区"}, lines(*shop.products))
    assert center.id == shop.hub.id


def test_no_center_serves_the_district(session, shop):
    with pytest.raises(NoCenterServesAddress) as err:
        routing.route_delivery({"province": "上海市", "city": "上海市", "district": "崇明区"},
                               lines(shop.products[0]))
    assert err.value.code == "no_center_serves_address" and err.value.status == 422


def test_radius_serves_an_address_outside_the_districts(session, shop, make_center, stock):
    ring = make_center(code="RING", pickup=False, delivery=True, lat=31.30, lng=121.50,
                       radius_km=5)
    stock(ring, shop.products[0], 3)
    address = {"province": "上海市", "city": "上海市", "district": "宝山区",
               "lat": 31.31, "lng": 121.51}
    assert routing.route_delivery(address, lines(shop.products[0])).id == ring.id
    far = dict(address, lat=31.60, lng=121.90)
    with pytest.raises(NoCenterServesAddress):
        routing.route_delivery(far, lines(shop.products[0]))


def test_served_but_out_of_stock_names_the_lines_short(session, shop, stock):
    stock(shop.hub, shop.products[1], 0)
    with pytest.raises(InsufficientStock) as err:
        routing.route_delivery({"province": "上海市", "city": "上海市", "district": "静安区"},
                               lines(*shop.products))
    assert err.value.extra["lines"] == [
        {"product_id": shop.products[1].id, "requested": 1, "available": 0}]


def test_nearest_stocked_center_wins_then_least_loaded(session, shop, make_center, stock):
    near = make_center(code="NEAR", pickup=False, delivery=True, lat=31.195, lng=121.435,
                       districts=[("上海市", "上海市", "徐汇区")])
    for p in shop.products:
        stock(near, p, 5)
    address = {"province": "上海市", "city": "上海市", "district": "徐汇区",
               "lat": 31.196, "lng": 121.436}
    assert routing.route_delivery(address, lines(*shop.products)).id == near.id
    # Without coordinates distance cannot decide; the lighter queue does.
    no_coords = {k: v for k, v in address.items() if k not in ("lat", "lng")}
    from fulfillment.services import create_fulfillment

    assert routing.route_delivery(no_coords, lines(shop.products[0])).id == shop.hub.id
    busy_hub_orders = 1
    for _ in range(busy_hub_orders):
        _make_open_fulfillment(session, shop, shop.hub, create_fulfillment)
    assert routing.route_delivery(no_coords, lines(shop.products[0])).id == near.id


def _make_open_fulfillment(session, shop, center, create_fulfillment):
    from storefront.models import Order

    order = Order(user_id=shop.shopper.id, status="confirmed", subtotal_amount=0,
                  total_amount=0, payment_method="cash_on_delivery",
                  fulfillment_method="delivery", center_id=center.id)
    session.add(order)
    session.flush()
    p = shop.products[2]
    create_fulfillment(order_id=order.id, center=center, method="delivery",
                       lines=[{"product_id": p.id, "sku": p.sku, "name_zh": p.name_zh,
                               "quantity": 1}])


def test_pickup_options_sorted_by_distance_with_stock(session, shop, stock):
    stock(shop.store, shop.products[0], 0)
    # A shopper standing next to the Pudong store.
    options = routing.pickup_options(lines(shop.products[0]), lat=31.221, lng=121.541)
    codes = [o.center.code for o in options]
    assert codes[0] == "SH-PD" and "SH-DC" not in codes  # the hub does not do pickup
    by_code = {o.center.code: o for o in options}
    assert by_code["SH-PD"].has_stock is True and by_code["SH-JA"].has_stock is False
    assert by_code["SH-PD"].distance_km < by_code["SH-JA"].distance_km


def test_pickup_options_without_location_have_no_distance(session, shop):
    options = routing.pickup_options(lines(shop.products[0]))
    assert options and all(o.distance_km is None for o in options)


def test_haversine_shanghai_to_hangzhou():
    assert 160 < routing.haversine_km(31.23, 121.47, 30.27, 120.15) < 175


def test_delivery_shortage_is_named_by_sku(session, shop, stock):
    from storefront.orders import place_order
    from tests.conftest import delivery_address

    stock(shop.hub, shop.products[1], 0)
    with pytest.raises(InsufficientStock) as err:
        with session.begin_nested():
            place_order(shop.shopper, lines=[{"sku": shop.products[1].sku, "quantity": 1}],
                        fulfillment={"method": "delivery", "address": delivery_address()},
                        payment_method="cash_on_delivery")
    assert err.value.extra["lines"] == [
        {"sku": shop.products[1].sku, "requested": 1, "available": 0}]


def test_a_center_whose_only_lot_is_past_sell_by_is_not_chosen(session, shop, make_center,
                                                                make_product):
    from datetime import timedelta

    from fulfillment.lots import receive_lot

    product = make_product(sku="NF-STALE-1")
    near = make_center(code="NEAR", pickup=True, delivery=True, lat=31.195, lng=121.435,
                       districts=[("上海市", "上海市", "徐汇区")])
    far = make_center(code="FAR", pickup=True, delivery=True, lat=31.30, lng=121.60,
                      districts=[("上海市", "上海市", "徐汇区")])
    today = shop_today()
    admin = shop.admin
    receive_lot(near.id, product.id, batch="OLD", quantity=9,
                expires_on=today + timedelta(days=5), actor=admin)
    receive_lot(far.id, product.id, batch="OLD", quantity=2,
                expires_on=today + timedelta(days=5), actor=admin)
    receive_lot(far.id, product.id, batch="NEW", quantity=4,
                expires_on=today + timedelta(days=300), actor=admin)
    available = routing.available_by_center([near.id, far.id], [product.id])
    assert available == {near.id: {product.id: 0}, far.id: {product.id: 4}}
    address = {"province": "上海市", "city": "上海市", "district": "徐汇区",
               "lat": 31.196, "lng": 121.436}
    decision = routing.decide_delivery(address, [(product.id, 3)])
    assert decision.center.id == far.id
    assert {"center_id": near.id, "code": "NEAR", "short": True} in decision.runners_up
    options = {o.center.id: o.has_stock
               for o in routing.pickup_options([(product.id, 3)], 31.196, 121.436)}
    assert (options[near.id], options[far.id]) == (False, True)
    with pytest.raises(InsufficientStock):  # 9 stale units at NEAR do not make up the 5
        routing.decide_delivery(address, [(product.id, 5)])
