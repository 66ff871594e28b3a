"""Rule 3, the address book, as a matter of whose it is: a shopper's saved addresses (name,
phone, street: where a baby lives) are reached by nobody else, not through the API, the
book's pages, nor an order that names one. The book's own behaviour (one default, checkout
offering it first, ``address_id`` in orders) is tested in tests/api/test_addresses.py and
tests/storefront/test_addresses.py."""

import sqlalchemy as sa

from storefront.addresses import services
from storefront.models import Order
from tests.api.conftest import API
from tests.conftest import delivery_address
from tests.support.forms import checkout_data
from tests.support.pages import login

HOME = delivery_address(name="赵女士", street="世纪大道 100 号")


def _orders(session) -> int:
    return session.execute(sa.select(sa.func.count(Order.id))).scalar_one()


def test_another_shoppers_address_is_reached_by_no_way(client, session, shop, make_user,
                                                       token_for, place):
    owner = make_user()
    theirs = services.add_address(owner, HOME)
    session.commit()
    headers = token_for(shop.shopper)
    url = f"{API}/me/addresses/{theirs.id}"

    listed = client.get(f"{API}/me/addresses", headers=headers).get_json()["items"]
    assert listed == []
    assert client.patch(url, json={"street": "x"}, headers=headers).status_code == 404
    assert client.delete(url, headers=headers).status_code == 404
    body = {"lines": [{"sku": shop.products[1].sku, "quantity": 1}],
            "fulfillment": {"method": "delivery", "address_id": theirs.id},
            "payment_method": "cash_on_delivery"}
    before = _orders(session)
    refused = place(shop.shopper, body, headers=headers)
    assert refused.status_code == 400 and HOME["street"] not in refused.get_data(as_text=True)
    assert "address_id" in refused.get_json()["errors"]["fulfillment"]
    assert _orders(session) == before

    login(client, shop.shopper)
    assert client.get(f"/account/addresses/{theirs.id}/edit").status_code == 404
    for action in ("default", "delete"):
        assert client.post(f"/account/addresses/{theirs.id}/{action}").status_code == 404
    assert HOME["street"] not in client.get("/account/addresses").get_data(as_text=True)
    client.post("/cart/add", data={"product_id": shop.products[1].id, "quantity": 1})
    page = client.post("/checkout", data=dict(
        checkout_data([(shop.products[1], 1)], method="delivery"), address_id=str(theirs.id)))
    html = page.get_data(as_text=True)
    assert page.status_code == 400 and "Please choose one of your addresses." in html
    assert HOME["street"] not in html
    assert _orders(session) == before

    session.expire_all()
    assert [(a.id, a.street, a.is_default) for a in services.addresses_of(owner)] == [
        (theirs.id, HOME["street"], True)]


def test_the_book_needs_a_signed_in_shopper(client, session, shop):
    assert client.get(f"{API}/me/addresses").status_code == 401
    assert client.post(f"{API}/me/addresses", json=HOME).status_code == 401
    response = client.get("/account/addresses")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
