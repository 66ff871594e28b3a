"""Courier shipments from a warehouse: offered at checkout (page and API) when no delivery
center can take the address, dispatched by the warehouse's desk with a carrier and tracking
number, shown to the shopper; refused clearly when no warehouse holds everything."""

import pytest
import sqlalchemy as sa

from core.models import Role
from fulfillment.ledger import verify_ledger
from fulfillment.models import Fulfillment, Lot, Stock
from storefront.models import Order

from ..api.conftest import API, assert_error, snapshot
from .test_pages import (  # noqa: F401 (the fixture resets request state)
    _fresh_request_state,
    _refused,
    add_to_cart,
    checkout_data,
    login,
    page,
)

FAR = {"name": "李先生", "phone": "13912345678", "province": "新疆维吾尔自治区",
       "city": "喀什市", "district": "疏附县", "street": "人民路 1 号"}


@pytest.fixture()
def warehouse(shop, make_center, make_user, stock, session, clock):
    from datetime import timedelta

    from fulfillment.lots import receive_lot

    center = make_center(code="WH-SH", name="上海总仓", pickup=False, delivery=False,
                         warehouse=True, district="嘉定区", lat=31.38, lng=121.25)
    clerk = make_user(Role.STAFF, center=center)
    stock(center, shop.products[1], 5)
    receive_lot(center.id, shop.products[0].id, batch="B-1",
                expires_on=clock.today() + timedelta(days=700), quantity=20, actor=clerk)
    session.commit()
    return center, clerk


def test_api_offers_the_courier_then_ships_it(client, session, shop, warehouse, token_for, app):
    center, clerk = warehouse
    headers = token_for(shop.shopper)
    session.commit()  # an error response rolls back what its request did, not this
    body = {"lines": [{"sku": shop.products[0].sku, "quantity": 2}],
            "fulfillment": {"method": "delivery", "address": FAR},
            "payment_method": "cash_on_delivery"}
    refused = assert_error(client.post(f"{API}/orders", json=body, headers=headers),
                           422, "no_center_serves_address")
    assert refused["courier_from"] == {
        "center_id": center.id, "code": "WH-SH", "name": "上海总仓",
        "fee": {"amount": app.config["COURIER_FEE_AMOUNT"], "currency": "CNY"}}

    body["fulfillment"]["method"] = "courier"
    placed = client.post(f"{API}/orders", json=body, headers=headers)
    assert placed.status_code == 201, placed.get_json()
    order = placed.get_json()
    assert order["fulfillment_method"] == "courier" and order["center_id"] == center.id
    assert order["delivery_fee"]["amount"] == app.config["COURIER_FEE_AMOUNT"]
    assert order["total"]["amount"] == 2 * shop.products[0].price_amount \
        + app.config["COURIER_FEE_AMOUNT"]
    session.expire_all()
    f = session.execute(sa.select(Fulfillment).join(Order, Order.id == Fulfillment.order_id)
                        .where(Order.public_id == order["id"])).scalar_one()
    assert (f.method, f.center_id, f.routing["reason"]) == ("courier", center.id, "courier")
    assert [(a.lot.batch, a.quantity) for a in f.lines[0].lots] == [("B-1", 2)]
    assert session.execute(sa.select(Stock.reserved).where(
        Stock.center_id == center.id, Stock.product_id == shop.products[0].id)).scalar() == 2

    # The warehouse's desk ships it with a carrier and a tracking number, then delivers it.
    login(client, clerk)
    desk = page(client, "/desk?tab=courier")
    assert order["number"] in desk and 'data-testid="ship"' in desk
    assert client.post(f"/desk/fulfillments/{f.id}/ship",
                       data={"carrier": "", "tracking_number": ""}).status_code == 302
    session.expire_all()
    assert session.get(Fulfillment, f.id).status == "reserved"  # refused: nothing changed
    client.post(f"/desk/fulfillments/{f.id}/ship",
                data={"carrier": "顺丰速运", "tracking_number": "SF1234567890"})
    mine = client.get(f"{API}/orders/{order['id']}", headers=headers).get_json()
    assert mine["fulfillment"]["status"] == "dispatched"
    assert (mine["fulfillment"]["carrier"], mine["fulfillment"]["tracking_number"]) == (
        "顺丰速运", "SF1234567890")
    login(client, shop.shopper)
    shown = page(client, f"/orders/{order['id']}")
    assert "顺丰速运" in shown and "SF1234567890" in shown
    login(client, clerk)
    client.post(f"/desk/fulfillments/{f.id}/delivered", data={"paid_method": "cash"})
    session.expire_all()
    assert session.get(Fulfillment, f.id).status == "delivered"
    assert session.execute(sa.select(Order.status).where(Order.public_id == order["id"])
                           ).scalar() == "fulfilled"
    assert session.execute(sa.select(Lot.on_hand).where(Lot.batch == "B-1")).scalar() == 18
    assert verify_ledger() == []


def test_api_courier_nothing_can_ship_is_a_409(client, session, shop, warehouse, token_for):
    headers = token_for(shop.shopper)
    session.commit()  # an error response rolls back what its request did, not this
    before = snapshot(session)
    body = {"lines": [{"sku": shop.products[2].sku, "quantity": 1}],  # not at the warehouse
            "fulfillment": {"method": "courier", "address": FAR},
            "payment_method": "cash_on_delivery"}
    assert_error(client.post(f"{API}/orders", json=body, headers=headers), 409,
                 "courier_unavailable")
    body["fulfillment"].pop("address")
    assert_error(client.post(f"{API}/orders", json=body, headers=headers), 400,
                 "validation_error")
    assert snapshot(session) == before


def test_other_staff_cannot_ship_a_courier_parcel(client, session, shop, warehouse, token_for):
    center, _clerk = warehouse
    from storefront.orders import place_order

    order = place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                        fulfillment={"method": "courier", "address": FAR},
                        payment_method="cash_on_delivery")
    session.commit()
    login(client, shop.clerk)
    assert client.post(f"/desk/fulfillments/{order.fulfillment.id}/ship",
                       data={"carrier": "EMS", "tracking_number": "1"}).status_code == 404
    session.expire_all()
    assert session.get(Fulfillment, order.fulfillment.id).status == "reserved"


def test_checkout_page_offers_the_courier_and_places_it(client, session, shop, warehouse):
    center, _clerk = warehouse
    login(client, shop.shopper)
    add_to_cart(client, shop.products[0], 1)
    html = page(client, "/checkout")
    assert 'value="courier"' in html and 'data-testid="courier-choice"' in html
    assert center.name_en in html and "20.00" in html
    data = checkout_data([(shop.products[0], 1)], method="delivery", **FAR)
    html = _refused(client, session, data, 422, 'data-testid="courier-offer"', center.name_en)
    assert 'name="ship_by_courier"' in html
    response = client.post("/checkout", data=dict(data, ship_by_courier="1"))
    assert response.status_code == 302, response.get_data(as_text=True)
    session.expire_all()
    order = session.execute(sa.select(Order)).scalar_one()
    assert (order.fulfillment_method, order.center_id, order.delivery_fee_amount) == (
        "courier", center.id, 2000)
    shown = page(client, f"/orders/{order.public_id}")
    assert "Courier shipment" in shown and center.name_en in shown


def test_checkout_page_courier_nothing_can_ship(client, session, shop, warehouse):
    login(client, shop.shopper)
    add_to_cart(client, shop.products[2], 1)
    data = checkout_data([(shop.products[2], 1)], method="courier", **FAR)
    _refused(client, session, data, 409, 'data-kind="no_courier"',
             "we cannot ship this order to your address")
