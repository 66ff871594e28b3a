"""The address book in the API: /me/addresses as API.md says, and orders to an address_id."""

import pytest

from storefront.addresses import services

from ..conftest import delivery_address
from .conftest import API, assert_error, snapshot

HOME = delivery_address()
OFFICE = delivery_address(name="王经理", district="静安区", street="南京西路 1266 号")
URL = f"{API}/me/addresses"


def listed(client, headers) -> list[dict]:
    response = client.get(URL, headers=headers)
    assert response.status_code == 200
    return response.get_json()["items"]


def test_save_list_and_choose_the_default(client, shop, token_for):
    headers = token_for(shop.shopper)
    assert listed(client, headers) == []
    first = client.post(URL, json=HOME, headers=headers)
    assert first.status_code == 201, first.get_json()
    home = first.get_json()
    assert home == dict(HOME, id=home["id"], is_default=True,  # the first one; no position
                        province_code="310000", city_code="310000", district_code="310104",
                        province_en="Shanghai", city_en="Shanghai", district_en="Xuhui District")
    office = client.post(URL, json=dict(OFFICE, lat=31.2286, lng=121.4547, is_default=True),
                         headers=headers)
    assert office.status_code == 201, office.get_json()
    office = office.get_json()
    assert (office["is_default"], office["lat"], office["lng"]) == (True, 31.2286, 121.4547)
    items = listed(client, headers)
    assert [(a["id"], a["is_default"]) for a in items] == [(office["id"], True),
                                                           (home["id"], False)]
    changed = client.patch(f"{URL}/{home['id']}",
                           json={"is_default": True, "phone": "021 6288 1266"}, headers=headers)
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json() == dict(home, is_default=True, phone="021 6288 1266")
    assert [a["id"] for a in listed(client, headers) if a["is_default"]] == [home["id"]]


def test_patch_changes_only_what_it_names_and_a_move_forgets_the_position(
        client, shop, token_for):
    headers = token_for(shop.shopper)
    saved = client.post(URL, json=dict(HOME, lat=31.19, lng=121.43), headers=headers).get_json()
    renamed = client.patch(f"{URL}/{saved['id']}", json={"name": "王太太"}, headers=headers)
    assert renamed.get_json() == dict(saved, name="王太太")
    moved = client.patch(f"{URL}/{saved['id']}", json={"street": "漕溪北路 90 号"},
                         headers=headers).get_json()
    assert "lat" not in moved and "lng" not in moved and moved["street"] == "漕溪北路 90 号"
    placed = client.patch(f"{URL}/{saved['id']}", json={"lat": 31.2, "lng": 121.4},
                          headers=headers).get_json()
    assert (placed["lat"], placed["lng"]) == (31.2, 121.4)
    cleared = client.patch(f"{URL}/{saved['id']}", json={"lat": None, "lng": None},
                           headers=headers).get_json()
    assert "lat" not in cleared


def test_delete_moves_the_default_to_the_newest_left(client, shop, token_for):
    headers = token_for(shop.shopper)
    ids = [client.post(URL, json=dict(HOME, street=f"漕溪北路 {n} 号"), headers=headers)
           .get_json()["id"] for n in range(3)]
    response = client.delete(f"{URL}/{ids[0]}", headers=headers)
    assert response.status_code == 204 and response.get_data() == b""
    assert [(a["id"], a["is_default"]) for a in listed(client, headers)] == [
        (ids[2], True), (ids[1], False)]
    assert_error(client.delete(f"{URL}/{ids[0]}", headers=headers), 404, "not_found")


def test_another_users_address_is_not_found(client, shop, token_for, make_user, session):
    owner = make_user()
    theirs = services.add_address(owner, HOME)
    headers = token_for(shop.shopper)
    assert_error(client.patch(f"{URL}/{theirs.id}", json={"name": "x"}, headers=headers),
                 404, "not_found")
    assert_error(client.patch(f"{URL}/{theirs.id}", json={"name": ""}, headers=headers),
                 404, "not_found")
    assert_error(client.delete(f"{URL}/{theirs.id}", headers=headers), 404, "not_found")
    assert_error(client.patch(f"{URL}/99999999", json={}, headers=headers), 404, "not_found")
    assert listed(client, headers) == []
    session.expire_all()
    assert [(a.id, a.name) for a in services.addresses_of(owner)] == [(theirs.id, HOME["name"])]


def test_addresses_need_a_token(client, shop):
    for method in ("get", "post"):
        assert_error(getattr(client, method)(URL, json=HOME), 401, "unauthorized")
    assert_error(client.delete(f"{URL}/1"), 401, "unauthorized")


@pytest.mark.parametrize("body, field", [
    ({k: v for k, v in HOME.items() if k != "district"}, "district"),
    (dict(HOME, phone="call me"), "phone"), (dict(HOME, phone="12 3"), "phone"),
    (dict(HOME, city="  "), "city"), (dict(HOME, street="路" * 201), "street"),
    (dict(HOME, name="<b>王</b>"), "name"), (dict(HOME, lat=31.2), "lng"),
    (dict(HOME, lat=95, lng=121.4), "lat"), (dict(HOME, is_default="yes"), "is_default"),
    (dict(HOME, floor=3), "floor"),
])
def test_bad_input_is_a_validation_error_and_saves_nothing(client, shop, token_for, body, field):
    headers = token_for(shop.shopper)
    refused = assert_error(client.post(URL, json=body, headers=headers), 400, "validation_error")
    assert field in refused["errors"], refused
    assert listed(client, headers) == []
    saved = client.post(URL, json=HOME, headers=headers).get_json()
    change = {k: v for k, v in body.items() if k in (field, "lat", "lng")} or {field: None}
    refused = assert_error(client.patch(f"{URL}/{saved['id']}", json=change, headers=headers),
                           400, "validation_error")
    assert listed(client, headers) == [saved]


def test_the_default_cannot_be_unset_but_another_chosen(client, shop, token_for):
    headers = token_for(shop.shopper)
    saved = client.post(URL, json=HOME, headers=headers).get_json()
    refused = assert_error(client.patch(f"{URL}/{saved['id']}", json={"is_default": False},
                                        headers=headers), 400, "validation_error")
    assert "is_default" in refused["errors"]
    assert listed(client, headers) == [saved]


def test_a_full_book_is_a_409(client, shop, token_for):
    headers = token_for(shop.shopper)
    for n in range(services.MAX_ADDRESSES):
        assert client.post(URL, json=dict(HOME, street=f"漕溪北路 {n} 号"),
                           headers=headers).status_code == 201
    refused = assert_error(client.post(URL, json=OFFICE, headers=headers), 409,
                           "address_book_full")
    assert str(services.MAX_ADDRESSES) in refused["message"]  # says how many it holds
    assert len(listed(client, headers)) == services.MAX_ADDRESSES


# --- orders to a saved address -------------------------------------------------------------


def order_body(shop, fulfillment: dict, method="delivery") -> dict:
    return {"lines": [{"sku": shop.products[1].sku, "quantity": 1}],
            "fulfillment": {"method": method, **fulfillment},
            "payment_method": "cash_on_delivery"}


def test_an_order_to_a_saved_address(client, shop, token_for, place, session):
    headers = token_for(shop.shopper)
    saved = client.post(URL, json=dict(HOME, name="王太太"), headers=headers).get_json()
    typed = place(shop.shopper, order_body(shop, {"address": HOME}), headers=headers)
    assert typed.status_code == 201, typed.get_json()
    response = place(shop.shopper, order_body(shop, {"address_id": saved["id"]}),
                     headers=headers)
    assert response.status_code == 201, response.get_json()
    order = response.get_json()
    assert without_codes(order["fulfillment"]["address"]) == dict(HOME, name="王太太")
    assert order["fulfillment"]["address"]["district_code"]  # the divisions' codes beside
    assert order["fulfillment"]["address"]["district_en"] == "Xuhui District"
    assert order["contact_name"] == "王太太"
    assert (order["center_id"], order["delivery_fee"]) == (
        typed.get_json()["center_id"], typed.get_json()["delivery_fee"])
    assert order["center_id"] == shop.hub.id


@pytest.mark.parametrize("whose", ["another user's", "unknown"])
def test_an_order_to_an_address_not_ones_own_is_refused(
        client, shop, token_for, place, session, make_user, whose):
    theirs = services.add_address(make_user(), HOME)
    headers = token_for(shop.shopper)
    address_id = theirs.id if whose == "another user's" else theirs.id + 1000
    before = snapshot(session)
    refused = assert_error(place(shop.shopper, order_body(shop, {"address_id": address_id}),
                                 key="k-1", headers=headers), 400, "validation_error")
    assert "address_id" in refused["errors"]["fulfillment"], refused
    assert snapshot(session) == before


@pytest.mark.parametrize("fulfillment, field", [
    ({"address": HOME, "address_id": 1}, "address_id"), ({}, "address"),
    ({"address_id": "1"}, "address_id"), ({"address_id": 0}, "address_id"),
])
def test_an_order_names_one_address(client, shop, token_for, place, session, fulfillment,
                                     field):
    headers = token_for(shop.shopper)
    saved = client.post(URL, json=HOME, headers=headers).get_json()
    fulfillment = {k: (saved["id"] if v == 1 else v) for k, v in fulfillment.items()}
    before = snapshot(session)
    refused = assert_error(place(shop.shopper, order_body(shop, fulfillment), headers=headers),
                           400, "validation_error")
    assert field in refused["errors"]["fulfillment"], refused
    assert snapshot(session) == before


def test_a_courier_order_to_a_saved_address(client, shop, token_for, place, session,
                                            make_center, stock):
    warehouse = make_center(code="WH-SH", pickup=False, delivery=False, warehouse=True,
                            district="嘉定区", lat=31.38, lng=121.25)
    stock(warehouse, shop.products[1], 5)
    far = delivery_address(province="新疆维吾尔自治区", city="喀什市", district="疏附县",
                           street="人民路 1 号")
    headers = token_for(shop.shopper)
    saved = client.post(URL, json=far, headers=headers).get_json()
    response = place(shop.shopper, order_body(shop, {"address_id": saved["id"]}, "courier"),
                     headers=headers)
    assert response.status_code == 201, response.get_json()
    order = response.get_json()
    assert (order["fulfillment_method"], order["center_id"]) == ("courier", warehouse.id)
    # 疏附县 lies in 喀什地区: the address book saved the divisions' names
    assert without_codes(order["fulfillment"]["address"]) == dict(far, city="喀什地区")


def test_the_openapi_document_lists_the_address_book(client):
    paths = client.get(f"{API}/openapi.json").get_json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/me/addresses"])
    one = paths["/api/v1/me/addresses/{address_id}"]
    assert {"patch", "delete"} <= set(one)
    assert {"200", "400", "401", "404"} <= set(one["patch"]["responses"])
    assert "409" in paths["/api/v1/me/addresses"]["post"]["responses"]


def without_codes(address: dict) -> dict:
    """An order's address without the divisions' codes the order keeps beside the names,
    and the English names the API adds from them."""
    return {k: v for k, v in address.items() if not k.endswith(("_code", "_en"))}
