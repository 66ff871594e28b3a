"""Placing and cancelling orders: pricing, routing, reservation, states, signals to the CRM."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.clock import utcnow
from core.errors import Forbidden, IllegalTransition, ValidationFailed
from fulfillment import services as desk
from fulfillment.errors import InsufficientStock, NoCenterServesAddress, UnknownCenter
from fulfillment.models import Stock
from storefront import orders
from storefront.errors import PaymentsUnavailable
from storefront.loyalty.membership import sign_up_member
from storefront.models import Order, OrderStatus
from tests.conftest import delivery_address


def pickup_at(center):
    return {"method": "pickup", "center_id": center.id}


def reserved(session, center, product):
    session.expire_all()
    return session.execute(sa.select(Stock.reserved).where(
        Stock.center_id == center.id, Stock.product_id == product.id)).scalar_one()


def test_pickup_order_is_confirmed_and_reserves(session, shop):
    a, b = shop.products[:2]
    order = orders.place_order(shop.shopper, lines=[{"sku": a.sku, "quantity": 2},
                                                    {"sku": b.sku, "quantity": 1}],
                               fulfillment=pickup_at(shop.store), payment_method="pay_at_pickup")
    assert order.status == OrderStatus.CONFIRMED
    assert order.total_amount == 2 * a.price_amount + b.price_amount
    assert order.number.startswith("SH-") and len(order.public_id) >= 16
    assert order.fulfillment.center_id == shop.store.id and order.fulfillment.status == "reserved"
    assert reserved(session, shop.store, a) == 2 and reserved(session, shop.store, b) == 1


def test_same_sku_twice_becomes_one_line(session, shop):
    p = shop.products[0]
    order = orders.place_order(shop.shopper, lines=[{"sku": p.sku, "quantity": 1},
                                                    {"sku": p.sku, "quantity": 2}],
                               fulfillment=pickup_at(shop.store), payment_method="pay_at_pickup")
    assert [(ln.sku, ln.quantity) for ln in order.lines] == [(p.sku, 3)]


def test_delivery_is_routed_to_the_serving_center(session, shop):
    order = orders.place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                               fulfillment={"method": "delivery", "address": delivery_address()},
                               payment_method="cash_on_delivery")
    assert order.center_id == shop.hub.id and order.contact_name == "王女士"
    assert order.fulfillment.address["district"] == "徐汇区"


def test_member_pays_the_member_price(session, shop, make_product, stock):
    product = make_product(price=39800, member_price=35800)
    stock(shop.store, product, 5)
    sign_up_member(shop.shopper, name="王芳", phone="13900001111")
    order = orders.place_order(shop.shopper, lines=[{"sku": product.sku, "quantity": 2}],
                               fulfillment=pickup_at(shop.store), payment_method="pay_at_pickup")
    assert order.total_amount == 71600 and order.lines[0].member_price is True


def test_non_member_pays_the_list_price(session, shop, make_product, stock):
    product = make_product(price=39800, member_price=35800)
    stock(shop.store, product, 5)
    order = orders.place_order(shop.shopper, lines=[{"sku": product.sku, "quantity": 1}],
                               fulfillment=pickup_at(shop.store), payment_method="pay_at_pickup")
    assert order.total_amount == 39800 and order.lines[0].member_price is False


@pytest.mark.parametrize("fulfillment,payment", [
    ("pickup", "cash_on_delivery"), ("delivery", "pay_at_pickup")])
def test_payment_must_fit_the_method(session, shop, fulfillment, payment):
    f = pickup_at(shop.store) if fulfillment == "pickup" else \
        {"method": "delivery", "address": delivery_address()}
    with pytest.raises(ValidationFailed) as err:
        orders.place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                           fulfillment=f, payment_method=payment)
    assert "payment_method" in err.value.errors


def test_online_payment_unavailable_without_stripe(session, shop):
    with pytest.raises(PaymentsUnavailable):
        orders.place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                           fulfillment=pickup_at(shop.store), payment_method="stripe")


def test_unknown_sku_and_unknown_center(session, shop):
    with pytest.raises(ValidationFailed) as err:
        orders.place_order(shop.shopper, lines=[{"sku": "NOPE", "quantity": 1}],
                           fulfillment=pickup_at(shop.store), payment_method="pay_at_pickup")
    assert list(err.value.errors["lines"]["0"]) == ["sku"]
    with pytest.raises(UnknownCenter):
        orders.place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                           fulfillment={"method": "pickup", "center_id": shop.hub.id},
                           payment_method="pay_at_pickup")


def test_short_stock_offers_centers_that_have_it(session, shop, stock):
    p = shop.products[0]
    stock(shop.store, p, 1)
    with pytest.raises(InsufficientStock) as err:
        with session.begin_nested():
            orders.place_order(shop.shopper, lines=[{"sku": p.sku, "quantity": 3}],
                               fulfillment=pickup_at(shop.store), payment_method="pay_at_pickup")
    assert err.value.extra["lines"] == [{"sku": p.sku, "requested": 3, "available": 1}]
    assert [c["code"] for c in err.value.extra["alternatives"]] == ["SH-PD"]
    assert session.execute(sa.select(sa.func.count(Order.id))).scalar_one() == 0


def test_pickup_alternatives_are_the_nearest_first(session, shop, stock, make_center):
    p = shop.products[0]
    stock(shop.store, p, 1)
    stock(shop.far_store, p, 0)
    # Codes sort the other way round from the distances to the chosen store (31.2286, 121.4547).
    for code, lat, lng in (("ALT-A", 31.45, 121.75), ("ALT-B", 31.30, 121.56),
                           ("ALT-C", 31.235, 121.46)):
        stock(make_center(code=code, lat=lat, lng=lng), p, 5)

    def alternatives(fulfillment):
        with pytest.raises(InsufficientStock) as err:
            with session.begin_nested():
                orders.place_order(shop.shopper, lines=[{"sku": p.sku, "quantity": 3}],
                                   fulfillment=fulfillment, payment_method="pay_at_pickup")
        return err.value.extra["alternatives"]

    near_store = alternatives(pickup_at(shop.store))
    assert [c["code"] for c in near_store] == ["ALT-C", "ALT-B", "ALT-A"]
    distances = [c["distance_km"] for c in near_store]
    assert distances == sorted(distances) and distances[0] < 2 < distances[1]
    # The shopper's own position, when the page knows it, comes before the chosen store's.
    near_shopper = alternatives(dict(pickup_at(shop.store), lat=31.44, lng=121.74))
    assert [c["code"] for c in near_shopper] == ["ALT-A", "ALT-B", "ALT-C"]


def test_no_center_serves_writes_nothing(session, shop):
    with pytest.raises(NoCenterServesAddress):
        with session.begin_nested():
            orders.place_order(
                shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                fulfillment={"method": "delivery", "address": delivery_address(district="崇明区")},
                payment_method="cash_on_delivery")
    assert session.execute(sa.select(sa.func.count(Order.id))).scalar_one() == 0


def test_owner_cancels_before_ready_and_stock_returns(session, shop):
    p = shop.products[0]
    order = orders.place_order(shop.shopper, lines=[{"sku": p.sku, "quantity": 4}],
                               fulfillment=pickup_at(shop.store), payment_method="pay_at_pickup")
    orders.cancel_order(order, shop.shopper)
    assert order.status == "cancelled" and order.fulfillment.status == "cancelled"
    assert reserved(session, shop.store, p) == 0
    with pytest.raises(IllegalTransition):
        orders.cancel_order(order, shop.shopper)


def test_owner_cannot_cancel_once_ready_but_staff_can(session, shop):
    order = orders.place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                               fulfillment=pickup_at(shop.store), payment_method="pay_at_pickup")
    desk.mark_ready(order.fulfillment, shop.clerk)
    with pytest.raises(IllegalTransition):
        orders.cancel_order(order, shop.shopper)
    with pytest.raises(Forbidden):
        orders.cancel_order(order, shop.agent)
    orders.cancel_order(order, shop.clerk)
    assert order.status == "cancelled"


def test_hand_over_fulfills_the_order_and_collects_payment(session, shop):
    order = orders.place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                               fulfillment=pickup_at(shop.store), payment_method="pay_at_pickup")
    desk.mark_ready(order.fulfillment, shop.clerk)
    desk.hand_over(order.fulfillment, order.fulfillment.pickup_code, shop.clerk,
                   collected={"method": "cash"})
    assert order.status == "fulfilled" and order.paid_amount == order.total_amount
    with pytest.raises(IllegalTransition):
        orders.cancel_order(order, shop.admin)


def test_viewing_rights(session, shop, make_user):
    order = orders.place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                               fulfillment=pickup_at(shop.store), payment_method="pay_at_pickup")
    assert orders.can_view(order, shop.shopper) and orders.can_view(order, shop.clerk)
    assert orders.can_view(order, shop.agent) and orders.can_view(order, shop.admin)
    assert not orders.can_view(order, shop.far_clerk)
    assert not orders.can_view(order, make_user())


def test_expiry_job_cancels_stale_unpaid_orders(session, shop, app):
    p = shop.products[0]
    app.config["STRIPE_SECRET_KEY"] = "sk_test_dummy"
    try:
        order = orders.place_order(shop.shopper, lines=[{"sku": p.sku, "quantity": 2}],
                                   fulfillment=pickup_at(shop.store), payment_method="stripe")
    finally:
        app.config["STRIPE_SECRET_KEY"] = None
    assert order.status == "pending_payment"
    assert orders.expire_unpaid_orders(utcnow()) == "0 unpaid order(s) expired"
    later = utcnow() + timedelta(minutes=orders.RESERVATION_MINUTES + 1)
    assert orders.expire_unpaid_orders(later) == "1 unpaid order(s) expired"
    assert order.status == "cancelled" and reserved(session, shop.store, p) == 0
    assert orders.expire_unpaid_orders(later) == "0 unpaid order(s) expired"
