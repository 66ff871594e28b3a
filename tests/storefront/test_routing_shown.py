"""The routing decision (center, why, runners-up) shows to staff, the customer center and
admins, on the back office's order page and in the order JSON; never to the shopper."""

from storefront.orders import place_order
from tests.conftest import delivery_address

from ..api.conftest import API
from .test_admin_pages import login


def _delivery(session, shop, make_center, stock):
    """A delivery the hub wins over a farther center that also serves 徐汇区."""
    rival = make_center(code="SH-FAR", pickup=False, delivery=True, lat=31.40, lng=121.70,
                        districts=[("上海市", "上海市", "徐汇区")])
    stock(rival, shop.products[0], 5)
    order = place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                        fulfillment={"method": "delivery",
                                     "address": delivery_address(lat=31.191, lng=121.431)},
                        payment_method="cash_on_delivery")
    session.commit()
    return order


def test_order_json_shows_the_routing_to_staff_crm_and_admin_only(client, session, shop,
                                                                  make_center, stock, headers):
    order = _delivery(session, shop, make_center, stock)
    for viewer in (shop.hub_clerk, shop.agent, shop.admin):
        response = client.get(f"{API}/orders/{order.public_id}",
                              headers={**headers(viewer), "Accept-Language": "en"})
        assert response.status_code == 200
        routing = response.get_json()["fulfillment"]["routing"]
        assert (routing["code"], routing["reason"]) == ("SH-DC", "nearest")
        assert routing["reason_text"] == "nearest center holding everything"
        [runner] = routing["runners_up"]
        assert runner["code"] == "SH-FAR" and runner["distance_km"] > 20
    mine = client.get(f"{API}/orders/{order.public_id}", headers=headers(shop.shopper))
    assert "routing" not in mine.get_json()["fulfillment"]
    listed = client.get(f"{API}/me/orders", headers=headers(shop.shopper)).get_json()
    assert all("routing" not in o["fulfillment"] for o in listed["items"])


def test_admin_order_page_shows_why_this_center(client, session, shop, make_center, stock):
    order = _delivery(session, shop, make_center, stock)
    for viewer in (shop.admin, shop.hub_clerk):
        login(client, viewer)
        html = client.get(f"/admin/orders/{order.public_id}").get_data(as_text=True)
        assert 'data-testid="routing-decision"' in html
        assert "nearest center holding everything" in html
        assert 'data-testid="runner-up"' in html and "SH-FAR" in html
