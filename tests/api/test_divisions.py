"""Addresses as Chinese shops take them: the national divisions (province -> city ->
district, with codes) for the picker, and names read tolerantly on both databases
("上海 / 上海 / 徐汇" is 上海市 / 上海市 / 徐汇区) by the quote, the order and the pages."""

import pytest

from fulfillment import divisions
from storefront.orders import place_order
from tests.conftest import delivery_address

from .conftest import API, assert_error


@pytest.mark.parametrize("typed", [
    ("上海", "上海", "徐汇"), ("上海市", "上海市", "徐汇区"), ("上海", "", "徐汇区"),
    (" 上海市 ", "上海", " 徐汇 "), ("310000", "310000", "310104"),
])
def test_shanghai_xuhui_however_it_is_typed(typed):
    place = divisions.resolve(*typed)
    assert place.names() == {"province": "上海市", "city": "上海市", "district": "徐汇区"}
    assert place.codes() == {"province_code": "310000", "city_code": "310000",
                             "district_code": "310104"}


def test_provinces_cities_and_districts():
    assert len(divisions.provinces()) == 34
    assert [d.name for d in divisions.cities_of("310000")] == ["上海市"]
    assert "杭州市" in [d.name for d in divisions.cities_of("330000")]
    assert divisions.resolve("浙江", "杭州", "滨江").district.code == "330108"
    assert divisions.resolve("上海", "北京", "徐汇") is None
    assert divisions.resolve("上海", "上海", "火星区") is None


def test_the_divisions_api_feeds_the_picker(client):
    provinces = client.get(f"{API}/divisions").get_json()["items"]
    assert {"code": "310000", "name": "上海市"} in provinces and len(provinces) == 34
    cities = client.get(f"{API}/divisions", query_string={"province": "310000"}).get_json()
    assert cities["items"] == [{"code": "310000", "name": "上海市"}]
    districts = client.get(f"{API}/divisions", query_string={"city": "310000"}).get_json()
    assert {"code": "310104", "name": "徐汇区"} in districts["items"]
    assert client.get(f"{API}/divisions", query_string={"city": "999999"}).get_json() == {
        "items": []}
    assert_error(client.get(f"{API}/divisions", query_string={"city": "x' or 1=1"}), 400,
                 "validation_error")


@pytest.mark.parametrize("typed", [("上海", "上海", "徐汇"), ("上海市", "上海", "徐汇")])
def test_the_quote_reads_short_names(client, session, shop, typed):
    session.commit()
    response = client.get(f"{API}/delivery/quote", query_string={
        "province": typed[0], "city": typed[1], "district": typed[2],
        "sku": shop.products[0].sku})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["center_id"] == shop.hub.id


def test_an_order_keeps_the_divisions_names_and_codes(session, shop):
    order = place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                        fulfillment={"method": "delivery", "address": delivery_address(
                            province="上海", city="上海", district="徐汇")},
                        payment_method="cash_on_delivery")
    address = order.fulfillment.address
    assert (address["province"], address["city"], address["district"]) == (
        "上海市", "上海市", "徐汇区")
    assert address["district_code"] == "310104" and order.center_id == shop.hub.id


def test_the_checkout_page_takes_short_names(client, session, shop):
    from tests.support.forms import checkout_data
    from tests.support.pages import login

    login(client, shop.shopper)
    client.post("/cart/add", data={"product_id": shop.products[0].id, "quantity": 1})
    response = client.post("/checkout", data=checkout_data(
        [(shop.products[0], 1)], method="delivery", name="王女士", phone="13812345678",
        province="上海", city="上海", district="徐汇", street="漕溪北路 88 号"))
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def test_saved_addresses_and_served_districts_carry_codes(session, shop):
    from storefront.addresses.services import add_address

    saved = add_address(shop.shopper, delivery_address(province="上海", city="上海",
                                                       district="徐汇"))
    session.flush()
    assert (saved.province, saved.city, saved.district) == ("上海市", "上海市", "徐汇区")
    assert (saved.province_code, saved.city_code, saved.district_code) == (
        "310000", "310000", "310104")
    assert {d.district_code for d in shop.hub.districts} == {"310104", "310106"}


def test_a_zone_matches_by_code_however_the_center_wrote_it(client, session, shop):
    from fulfillment.models import CenterDistrict

    row = next(d for d in shop.hub.districts if d.district == "徐汇区")
    row.province, row.city, row.district = "上海", "上海", "徐汇"  # as an admin typed it
    session.commit()
    assert row.district_code == "310104"
    response = client.get(f"{API}/delivery/quote", query_string={
        "province": "上海市", "city": "上海市", "district": "徐汇区",
        "sku": shop.products[0].sku})
    assert response.status_code == 200 and response.get_json()["center_id"] == shop.hub.id
    assert session.query(CenterDistrict).filter_by(district_code="310104").count() >= 1
