"""The desk through the API: the queue, ready, hand-over, dispatch, delivered, stock counts."""

import pytest
import sqlalchemy as sa

from crm.followups.models import FollowUp
from fulfillment.models import Fulfillment, Stock
from storefront.models import Order
from storefront.payments.models import Payment
from tests.conftest import delivery_address

from .conftest import API, assert_error, delivery_body, pickup_body


def fulfillment_id(session, public_id) -> int:
    return session.execute(
        sa.select(Fulfillment.id).join(Order, Order.id == Fulfillment.order_id)
        .where(Order.public_id == public_id)).scalar_one()


def stock_row(session, center, product) -> Stock:
    session.expire_all()
    return session.execute(sa.select(Stock).where(
        Stock.center_id == center.id, Stock.product_id == product.id)).scalar_one()


@pytest.fixture()
def delivery_order(shop, place):
    response = place(shop.shopper, delivery_body(shop, delivery_address(), quantity=2))
    assert response.status_code == 201
    return response.get_json()


# --- the queue ------------------------------------------------------------------------------


def test_staff_see_their_own_center_only(session, client, shop, token_for, place):
    here = place(shop.shopper, pickup_body(shop)).get_json()
    there = place(shop.shopper, pickup_body(shop, center=shop.far_store)).get_json()
    response = client.get(f"{API}/staff/fulfillments", headers=token_for(shop.clerk))
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [i["order_id"] for i in items] == [here["id"]]
    item = items[0]
    assert item["id"] == fulfillment_id(session, here["id"])
    assert item["status"] == "reserved" and item["method"] == "pickup"
    assert item["order_number"] == here["number"] and item["center_id"] == shop.store.id
    assert [{k: ln[k] for k in ("sku", "name", "quantity", "collected_quantity")}
            for ln in item["lines"]] == [{"sku": shop.products[0].sku,
                                          "name": shop.products[0].name_zh, "quantity": 1,
                                          "collected_quantity": 0}]
    assert "pickup_code" not in item
    far = client.get(f"{API}/staff/fulfillments", headers=token_for(shop.far_clerk)).get_json()
    assert [i["order_id"] for i in far["items"]] == [there["id"]]


def test_staff_asking_for_another_center_get_404(client, shop, token_for):
    assert_error(client.get(f"{API}/staff/fulfillments", query_string={
        "center_id": shop.far_store.id}, headers=token_for(shop.clerk)), 404, "not_found")
    own = client.get(f"{API}/staff/fulfillments", query_string={"center_id": shop.store.id},
                     headers=token_for(shop.clerk))
    assert own.status_code == 200


def test_admin_sees_one_center_or_all(client, shop, token_for, place, delivery_order):
    here = place(shop.shopper, pickup_body(shop)).get_json()
    headers = token_for(shop.admin)
    one = client.get(f"{API}/staff/fulfillments", query_string={"center_id": shop.store.id},
                     headers=headers).get_json()
    assert [i["order_id"] for i in one["items"]] == [here["id"]]
    every = client.get(f"{API}/staff/fulfillments", headers=headers).get_json()
    assert {i["order_id"] for i in every["items"]} == {here["id"], delivery_order["id"]}


def test_queue_filters(client, shop, token_for, place, delivery_order):
    assert_error(place(shop.shopper, pickup_body(shop, center=shop.hub)),  # no pickups there
                 400, "unknown_center")
    headers = token_for(shop.hub_clerk)
    both = client.get(f"{API}/staff/fulfillments", headers=headers).get_json()["items"]
    assert [i["order_id"] for i in both] == [delivery_order["id"]]
    pickups = client.get(f"{API}/staff/fulfillments", query_string={"method": "pickup"},
                         headers=headers).get_json()
    assert pickups == {"items": []}
    reserved = client.get(f"{API}/staff/fulfillments", query_string={
        "status": "reserved", "method": "delivery"}, headers=headers).get_json()["items"]
    assert [i["order_id"] for i in reserved] == [delivery_order["id"]]
    for args in ({"status": "lost"}, {"method": "drone"}, {"center_id": "x"}):
        assert_error(client.get(f"{API}/staff/fulfillments", query_string=args, headers=headers),
                     400, "validation_error")


@pytest.mark.parametrize("who", ["shopper", "agent"])
def test_queue_is_for_the_desk(client, shop, token_for, who):
    assert_error(client.get(f"{API}/staff/fulfillments"), 401, "unauthorized")
    assert_error(client.get(f"{API}/staff/fulfillments", headers=token_for(getattr(shop, who))),
                 403, "forbidden")


# --- pickup: ready and hand-over -------------------------------------------------------------


def test_ready_then_hand_over_with_the_code(session, client, shop, token_for, pickup_order):
    fid = fulfillment_id(session, pickup_order["id"])
    clerk = token_for(shop.clerk)
    ready = client.post(f"{API}/staff/fulfillments/{fid}/ready", headers=clerk)
    assert ready.status_code == 200
    assert ready.get_json()["status"] == "ready" and "pickup_code" not in ready.get_json()
    code = client.get(f"{API}/orders/{pickup_order['id']}", headers=token_for(shop.shopper)
                      ).get_json()["fulfillment"]["pickup_code"]
    handed = client.post(f"{API}/staff/fulfillments/{fid}/handover", headers=clerk,
                         json={"code": code.lower(), "collected": {"method": "cash"}})
    assert handed.status_code == 200 and handed.get_json()["status"] == "picked_up"
    row = stock_row(session, shop.store, shop.products[0])
    assert (row.on_hand, row.reserved) == (8, 0)
    order = client.get(f"{API}/orders/{pickup_order['id']}",
                       headers=token_for(shop.shopper)).get_json()
    assert order["status"] == "fulfilled" and order["paid"]["amount"] == order["total"]["amount"]
    followup = session.execute(sa.select(FollowUp).join(Order, Order.id == FollowUp.order_id)
                               .where(Order.public_id == pickup_order["id"])).scalar_one()
    assert followup.kind == "satisfaction"


def test_part_handed_over_through_the_api_is_paid_as_on_the_page(session, client, shop,
                                                                  token_for, place):
    """Two units of three leave with the shopper, paid in cash: the API, given no amount,
    records what the desk page records, the price of the units taken."""
    from tests.support.pages import login

    clerk = token_for(shop.clerk)
    paid = {}
    for way in ("page", "api"):
        public_id = place(shop.shopper, pickup_body(shop, quantity=3)).get_json()["id"]
        fid = fulfillment_id(session, public_id)
        client.post(f"{API}/staff/fulfillments/{fid}/ready", headers=clerk)
        session.expire_all()
        f = session.get(Fulfillment, fid)
        line = f.lines[0]
        if way == "page":
            login(client, shop.clerk)
            response = client.post(f"/desk/fulfillments/{fid}/handover", data={
                "code": f.pickup_code, f"take-{line.id}": "2", "paid_method": "cash"})
            assert response.status_code == 302
        else:
            response = client.post(f"{API}/staff/fulfillments/{fid}/handover", json={
                "code": f.pickup_code, "lines": [{"line_id": line.id, "quantity": 2}],
                "collected": {"method": "cash"}}, headers=clerk)
            assert response.status_code == 200, response.get_json()
            assert response.get_json()["status"] == "ready"
        session.expire_all()
        order = session.get(Order, f.order_id)
        paid[way] = (order.status, order.paid_amount)
    assert paid["api"] == paid["page"] == ("confirmed", 2 * shop.products[0].price_amount)


def test_wrong_codes_are_refused_then_limited(session, client, shop, token_for, pickup_order):
    fid = fulfillment_id(session, pickup_order["id"])
    clerk = token_for(shop.clerk)
    client.post(f"{API}/staff/fulfillments/{fid}/ready", headers=clerk)
    url = f"{API}/staff/fulfillments/{fid}/handover"
    for _ in range(5):
        assert_error(client.post(url, json={"code": "WRONG234"}, headers=clerk), 400, "wrong_code")
    assert_error(client.post(url, json={"code": "WRONG234"}, headers=clerk),
                 429, "too_many_attempts")
    session.expire_all()
    assert session.get(Fulfillment, fid).status == "ready"


def test_hand_over_bad_body(session, client, shop, token_for, pickup_order):
    fid = fulfillment_id(session, pickup_order["id"])
    clerk = token_for(shop.clerk)
    client.post(f"{API}/staff/fulfillments/{fid}/ready", headers=clerk)
    url = f"{API}/staff/fulfillments/{fid}/handover"
    for body in ({}, {"code": ""}, {"code": 123456}, ["CODE"]):
        assert_error(client.post(url, json=body, headers=clerk), 400, "validation_error")
    session.expire_all()
    f = session.get(Fulfillment, fid)
    assert f.status == "ready" and f.completed_at is None
    assert stock_row(session, shop.store, shop.products[0]).reserved == 2


def test_hand_over_before_ready_is_illegal(session, client, shop, token_for, pickup_order):
    fid = fulfillment_id(session, pickup_order["id"])
    assert_error(client.post(f"{API}/staff/fulfillments/{fid}/handover", json={"code": "ABC"},
                             headers=token_for(shop.clerk)), 409, "illegal_transition")
    session.expire_all()
    assert session.get(Fulfillment, fid).status == "reserved"
    assert stock_row(session, shop.store, shop.products[0]).reserved == 2


def test_steps_of_another_center_are_404(session, client, shop, token_for, pickup_order):
    fid = fulfillment_id(session, pickup_order["id"])
    far = token_for(shop.far_clerk)
    for step, body in (("ready", None), ("handover", {"code": "ABCDEFGH"}), ("dispatch", None),
                       ("delivered", None)):
        assert_error(client.post(f"{API}/staff/fulfillments/{fid}/{step}", json=body,
                                 headers=far), 404, "not_found")
    session.expire_all()
    assert session.get(Fulfillment, fid).status == "reserved"


@pytest.mark.parametrize("step", ["ready", "handover", "dispatch", "delivered"])
def test_steps_boundaries(session, client, shop, token_for, pickup_order, step):
    fid = fulfillment_id(session, pickup_order["id"])
    url = f"{API}/staff/fulfillments/{fid}/{step}"
    assert_error(client.post(url, json={"code": "X"}), 401, "unauthorized")
    assert_error(client.post(url, json={"code": "X"}, headers=token_for(shop.shopper)),
                 403, "forbidden")
    assert_error(client.post(url, json={"code": "X"}, headers=token_for(shop.agent)),
                 403, "forbidden")
    assert_error(client.post(f"{API}/staff/fulfillments/999999/{step}", json={"code": "X"},
                             headers=token_for(shop.clerk)), 404, "not_found")


def test_admin_marks_ready_anywhere(session, client, shop, token_for, pickup_order):
    fid = fulfillment_id(session, pickup_order["id"])
    response = client.post(f"{API}/staff/fulfillments/{fid}/ready", headers=token_for(shop.admin))
    assert response.status_code == 200 and response.get_json()["status"] == "ready"


# --- delivery: dispatch and delivered --------------------------------------------------------


def test_dispatch_then_delivered(session, client, shop, token_for, delivery_order):
    fid = fulfillment_id(session, delivery_order["id"])
    hub = token_for(shop.hub_clerk)
    assert_error(client.post(f"{API}/staff/fulfillments/{fid}/ready", headers=hub),
                 409, "illegal_transition")
    assert_error(client.post(f"{API}/staff/fulfillments/{fid}/delivered", headers=hub),
                 409, "illegal_transition")
    dispatched = client.post(f"{API}/staff/fulfillments/{fid}/dispatch", headers=hub)
    assert dispatched.status_code == 200 and dispatched.get_json()["status"] == "dispatched"
    assert dispatched.get_json()["dispatched_at"]
    # cash on delivery: the courier says how the money came, nothing is booked as cash
    refused = assert_error(client.post(f"{API}/staff/fulfillments/{fid}/delivered",
                                       headers=hub, json={"received_by": "门卫"}),
                           422, "payment_method_required")
    assert list(refused["errors"]["collected"]) == ["method"]
    assert refused["amount_due"] > 0
    assert stock_row(session, shop.hub, shop.products[1]).reserved == 2  # nothing changed
    delivered = client.post(f"{API}/staff/fulfillments/{fid}/delivered", headers=hub,
                            json={"collected": {"method": "wechat_scan",
                                                "amount": refused["amount_due"]}})
    assert delivered.status_code == 200 and delivered.get_json()["status"] == "delivered"
    assert session.execute(sa.select(Payment.method).join(Order, Order.id == Payment.order_id)
                           .where(Order.public_id == delivery_order["id"])).scalars().all() \
        == ["wechat_scan"]
    row = stock_row(session, shop.hub, shop.products[1])
    assert (row.on_hand, row.reserved) == (8, 0)
    order = client.get(f"{API}/orders/{delivery_order['id']}",
                       headers=token_for(shop.shopper)).get_json()
    assert order["status"] == "fulfilled"


def test_dispatch_of_a_pickup_is_illegal(session, client, shop, token_for, pickup_order):
    fid = fulfillment_id(session, pickup_order["id"])
    assert_error(client.post(f"{API}/staff/fulfillments/{fid}/dispatch",
                             headers=token_for(shop.clerk)), 409, "illegal_transition")
    session.expire_all()
    f = session.get(Fulfillment, fid)
    assert f.status == "reserved" and f.dispatched_at is None


# --- stock ---------------------------------------------------------------------------------


def test_staff_set_their_centers_stock(session, client, shop, token_for, pickup_order):
    product = shop.products[0]
    response = client.put(f"{API}/staff/stock/{product.sku}", json={"on_hand": 25},
                          headers=token_for(shop.clerk))
    assert response.status_code == 200
    assert response.get_json() == {"sku": product.sku, "center_id": shop.store.id,
                                   "on_hand": 25, "reserved": 2, "available": 23}
    assert stock_row(session, shop.store, product).on_hand == 25
    assert stock_row(session, shop.far_store, product).on_hand == 10


def test_stock_of_a_product_not_yet_held(session, client, shop, token_for, make_product):
    product = make_product()
    response = client.put(f"{API}/staff/stock/{product.sku}", json={"on_hand": 4},
                          headers=token_for(shop.clerk))
    assert response.status_code == 200 and response.get_json()["available"] == 4


def test_admin_names_the_center(session, client, shop, token_for):
    sku = shop.products[0].sku
    admin = token_for(shop.admin)
    assert_error(client.put(f"{API}/staff/stock/{sku}", json={"on_hand": 3}, headers=admin),
                 400, "validation_error")
    by_body = client.put(f"{API}/staff/stock/{sku}",
                         json={"on_hand": 3, "center_id": shop.far_store.id}, headers=admin)
    assert by_body.status_code == 200 and by_body.get_json()["center_id"] == shop.far_store.id
    by_query = client.put(f"{API}/staff/stock/{sku}", query_string={"center_id": shop.hub.id},
                          json={"on_hand": 7}, headers=admin)
    assert by_query.status_code == 200 and by_query.get_json()["on_hand"] == 7
    assert stock_row(session, shop.hub, shop.products[0]).on_hand == 7
    assert_error(client.put(f"{API}/staff/stock/{sku}", json={"on_hand": 3, "center_id": 999999},
                            headers=admin), 404, "not_found")


def test_stock_boundaries_and_bad_values(session, client, shop, token_for, pickup_order):
    sku = shop.products[0].sku
    url = f"{API}/staff/stock/{sku}"
    clerk = token_for(shop.clerk)
    assert_error(client.put(url, json={"on_hand": 1}), 401, "unauthorized")
    assert_error(client.put(url, json={"on_hand": 1}, headers=token_for(shop.shopper)),
                 403, "forbidden")
    assert_error(client.put(url, json={"on_hand": 1, "center_id": shop.far_store.id},
                            headers=clerk), 404, "not_found")
    assert_error(client.put(f"{API}/staff/stock/NO-SUCH", json={"on_hand": 1}, headers=clerk),
                 404, "not_found")
    assert_error(client.put(f"{API}/staff/stock/A%00B", json={"on_hand": 1}, headers=clerk),
                 404, "not_found")
    for value in ("5", -1, 2.5, True, None, 10**12):
        assert_error(client.put(url, json={"on_hand": value}, headers=clerk),
                     400, "validation_error")
    below_reserved = assert_error(client.put(url, json={"on_hand": 1}, headers=clerk),
                                  400, "validation_error")
    assert "on_hand" in below_reserved["errors"]
    assert stock_row(session, shop.store, shop.products[0]).on_hand == 10
    assert stock_row(session, shop.far_store, shop.products[0]).on_hand == 10
