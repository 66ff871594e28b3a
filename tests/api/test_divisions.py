"""Addresses as Chinese shops take them: the national divisions (province -> city ->
district, with codes and English names) for the picker, and names read tolerantly on both
databases ("上海 / 上海 / 徐汇" and "Shanghai / Shanghai / Xuhui District" are 上海市 /
上海市 / 徐汇区) by the quote, the order, the address book and the pages."""

import pytest

from fulfillment import divisions
from storefront.orders import place_order
from tests.conftest import delivery_address

from .conftest import API, assert_error


@pytest.mark.parametrize("typed", [
    ("上海", "上海", "徐汇"), ("上海市", "上海市", "徐汇区"), ("上海", "", "徐汇区"),
    (" 上海市 ", "上海", " 徐汇 "), ("310000", "310000", "310104"),
    ("Shanghai", "Shanghai", "Xuhui District"), ("shanghai", "", "xuhui"),
    ("SHANGHAI", "Shanghai", " Xuhui  district "), ("上海", "Shanghai", "Xuhui"),
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


@pytest.mark.parametrize(("typed", "code"), [
    (("Zhejiang", "Hangzhou", "Binjiang District"), "330108"),
    (("Guangdong", "Guangzhou", "Tianhe"), "440106"),
    (("Shaanxi", "Xi'an", "Chang'an District"), "610116"),
    (("shaanxi", "xian", "changan"), "610116"),
    (("Beijing", "Beijing", "Chaoyang District"), "110105"),
    (("Inner Mongolia", "Hohhot", "Xincheng District"), "150102"),
])
def test_english_names_name_the_same_places(typed, code):
    assert divisions.resolve(*typed).district.code == code


def test_english_names_are_the_pinyin_chinese_shops_write():
    place = divisions.resolve("上海", "上海", "徐汇")
    assert place.names_en() == {"province_en": "Shanghai", "city_en": "Shanghai",
                                "district_en": "Xuhui District"}
    english = {d.name: d.name_en for d in divisions.provinces()}
    assert (english["广东省"], english["陕西省"], english["山西省"]) == (
        "Guangdong", "Shaanxi", "Shanxi")
    assert english["内蒙古自治区"] == "Inner Mongolia"
    assert english["广西壮族自治区"] == "Guangxi"
    assert divisions.english_of("310115") == "Pudong New Area"
    assert divisions.english_of("222400") == "Yanbian Autonomous Prefecture"  # 延边朝鲜族自治州
    assert divisions.english_of("371722") == "Shan County"  # 单县, not Dan
    assert divisions.english_of("510100") == "Chengdu"
    assert all(d.name_en for d in divisions.provinces())


def test_no_two_places_under_one_parent_share_an_english_name():
    """Else an English name could not say which one is meant."""
    for province in divisions.provinces():
        cities = divisions.cities_of(province.code)
        assert len({c.name_en.lower() for c in cities}) == len(cities), province.name
        for city in cities:
            districts = divisions.districts_of(city.code)
            same = {d.name_en.lower() for d in districts}
            assert len(same) == len(districts), (city.name, [d.name_en for d in districts])


def test_an_ambiguous_or_unknown_english_name_is_no_place():
    assert divisions.resolve("Shanghai", "Shanghai", "Atlantis District") is None
    assert divisions.resolve("Shangai", "Shanghai", "Xuhui") is None


def test_the_divisions_api_feeds_the_picker(client):
    provinces = client.get(f"{API}/divisions").get_json()["items"]
    shanghai = {"code": "310000", "name": "上海市", "name_en": "Shanghai", "label": "上海市"}
    assert shanghai in provinces and len(provinces) == 34
    cities = client.get(f"{API}/divisions", query_string={"province": "310000"}).get_json()
    assert cities["items"] == [shanghai]
    districts = client.get(f"{API}/divisions", query_string={"city": "310000"}).get_json()
    assert {"code": "310104", "name": "徐汇区", "name_en": "Xuhui District",
            "label": "徐汇区"} in districts["items"]


def test_the_divisions_api_labels_in_the_readers_language(client):
    response = client.get(f"{API}/divisions", query_string={"city": "310000"},
                          headers={"Accept-Language": "en"})
    assert "Accept-Language" in response.headers["Vary"]
    english = response.get_json()["items"]
    assert {"code": "310104", "name": "徐汇区", "name_en": "Xuhui District",
            "label": "Xuhui District"} in english
    assert client.get(f"{API}/divisions", query_string={"city": "999999"}).get_json() == {
        "items": []}
    assert_error(client.get(f"{API}/divisions", query_string={"city": "x' or 1=1"}), 400,
                 "validation_error")


@pytest.mark.parametrize("typed", [("上海", "上海", "徐汇"), ("上海市", "上海", "徐汇"),
                                   ("Shanghai", "Shanghai", "Xuhui District"),
                                   ("shanghai", "shanghai", "xuhui")])
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


@pytest.mark.parametrize("typed", [("Shanghai", "Shanghai", "Xuhui District"),
                                   ("shanghai", "Shanghai", "Xuhui"), ("上海", "上海", "徐汇"),
                                   ("310000", "310000", "310104")])
def test_the_address_book_api_takes_english_names_and_aliases(client, shop, token_for, typed):
    headers = token_for(shop.shopper)
    response = client.post(f"{API}/me/addresses", headers=headers, json=delivery_address(
        province=typed[0], city=typed[1], district=typed[2]))
    assert response.status_code == 201, response.get_json()
    saved = response.get_json()
    assert (saved["province"], saved["city"], saved["district"]) == ("上海市", "上海市", "徐汇区")
    assert (saved["province_code"], saved["city_code"], saved["district_code"]) == (
        "310000", "310000", "310104")
    assert (saved["province_en"], saved["district_en"]) == ("Shanghai", "Xuhui District")
    moved = client.patch(f"{API}/me/addresses/{saved['id']}", headers=headers, json={
        "province": "Zhejiang", "city": "Hangzhou", "district": "Binjiang"}).get_json()
    assert (moved["district"], moved["district_code"], moved["district_en"]) == (
        "滨江区", "330108", "Binjiang District")


def test_an_unknown_place_is_kept_as_typed_without_codes(client, shop, token_for):
    headers = token_for(shop.shopper)
    response = client.post(f"{API}/me/addresses", headers=headers, json=delivery_address(
        province="Shanghai", city="Shanghai", district="Atlantis"))
    assert response.status_code == 201
    saved = response.get_json()
    assert saved["district"] == "Atlantis" and saved["district_code"] is None
    assert saved["district_en"] is None


def test_an_order_in_english_names_keeps_the_chinese_names_and_codes(client, session, shop,
                                                                       token_for):
    session.commit()
    response = client.post(f"{API}/orders", headers=token_for(shop.shopper), json={
        "lines": [{"sku": shop.products[0].sku, "quantity": 1}],
        "fulfillment": {"method": "delivery", "address": delivery_address(
            province="Shanghai", city="Shanghai", district="Xuhui District")},
        "payment_method": "cash_on_delivery"})
    assert response.status_code == 201, response.get_json()
    from storefront.models import Order

    body = response.get_json()
    shown = body["fulfillment"]["address"]
    assert (shown["district"], shown["district_code"], shown["district_en"]) == (
        "徐汇区", "310104", "Xuhui District")
    order = session.query(Order).filter_by(public_id=body["id"]).one()
    address = order.fulfillment.address
    assert (address["province"], address["district"], address["district_code"]) == (
        "上海市", "徐汇区", "310104")
    assert order.center_id == shop.hub.id
