"""The catalog and the centers through the API: anyone may read them."""

import flask_babel

from .conftest import API, assert_error


def by_sku(items):
    return {item["sku"]: item for item in items}


def test_products_list_fields(client, shop, make_product):
    member_priced = make_product(price=50000, member_price=45000)
    response = client.get(f"{API}/products")
    assert response.status_code == 200
    body = response.get_json()
    assert body["page"] == 1 and body["pages"] == 1
    items = by_sku(body["items"])
    assert set(items) == {p.sku for p in shop.products} | {member_priced.sku}
    plain = items[shop.products[0].sku]
    assert plain["id"] == shop.products[0].id and plain["slug"] == shop.products[0].slug
    assert plain["price"] == {"amount": 12800, "currency": "CNY"}
    assert "member_price" not in plain
    assert plain["category"]["slug"] == shop.products[0].category.slug
    assert plain["name"] == shop.products[0].name_zh  # zh_CN is the shop's default
    assert items[member_priced.sku]["member_price"] == {"amount": 45000, "currency": "CNY"}


def test_products_search_and_category(client, session, shop, make_product):
    from storefront.models import Category

    gifts = Category(slug="gift-boxes", name_zh="礼盒", name_en="Gift boxes")
    session.add(gifts)
    boxed = make_product(name="海参礼盒", category=gifts)
    hidden = make_product(name="海参礼盒旧款", category=gifts, active=False)
    found = client.get(f"{API}/products", query_string={"q": "礼盒"}).get_json()["items"]
    assert [p["sku"] for p in found] == [boxed.sku]
    found = client.get(f"{API}/products", query_string={"q": boxed.sku.lower()}).get_json()
    assert [p["sku"] for p in found["items"]] == [boxed.sku]
    in_cat = client.get(f"{API}/products", query_string={"category": "gift-boxes"}).get_json()
    assert [p["sku"] for p in in_cat["items"]] == [boxed.sku]
    assert in_cat["items"][0]["category"] == {"slug": "gift-boxes", "name": "礼盒"}
    assert hidden.sku not in {p["sku"] for p in in_cat["items"]}
    none = client.get(f"{API}/products", query_string={"q": "nothing like this"}).get_json()
    assert none == {"items": [], "page": 1, "pages": 1}


def test_products_page_beyond_the_last_is_the_last(client, shop):
    body = client.get(f"{API}/products", query_string={"page": 7}).get_json()
    assert body["page"] == 1 and len(body["items"]) == 3


def test_products_bad_query(client, shop):
    for args in ({"page": "zero"}, {"page": 0}, {"page": -1}, {"page": "1.5"},
                 {"q": "x" * 101}, {"q": "海参\x00"}, {"category": "\x00"}):
        body = assert_error(client.get(f"{API}/products", query_string=args),
                            400, "validation_error")
        assert set(body["errors"]) == set(args)


def test_product_names_follow_the_language(client, shop):
    product = shop.products[0]
    english = client.get(f"{API}/products", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert by_sku(english.get_json()["items"])[product.sku]["name"] == product.name_en
    flask_babel.refresh()  # the test client shares one app context between requests
    chinese = client.get(f"{API}/products", headers={"Accept-Language": "zh-CN"})
    assert by_sku(chinese.get_json()["items"])[product.sku]["name"] == product.name_zh
    flask_babel.refresh()
    by_param = client.get(f"{API}/products/{product.slug}", query_string={"lang": "en"},
                          headers={"Accept-Language": "zh-CN"})
    assert by_param.get_json()["name"] == product.name_en


def test_product_detail(client, shop, make_product):
    formula = make_product(price=29800, days_of_supply=20, name="婴儿配方奶粉 1段")
    body = client.get(f"{API}/products/{formula.slug}").get_json()
    assert body["sku"] == formula.sku and body["name"] == "婴儿配方奶粉 1段"
    assert body["description"] == "描述" and body["days_of_supply"] == 20
    assert body["price"] == {"amount": 29800, "currency": "CNY"}
    plain = client.get(f"{API}/products/{shop.products[0].slug}").get_json()
    assert plain["days_of_supply"] is None


def test_product_detail_unknown_or_inactive_is_404(client, make_product):
    gone = make_product(active=False)
    assert_error(client.get(f"{API}/products/no-such-product"), 404, "not_found")
    assert_error(client.get(f"{API}/products/{gone.slug}"), 404, "not_found")
    assert_error(client.get(f"{API}/products/a%00b"), 404, "not_found")


def test_centers_list(client, shop):
    response = client.get(f"{API}/centers")
    assert response.status_code == 200
    items = {c["code"]: c for c in response.get_json()["items"]}
    assert set(items) == {"SH-JA", "SH-PD", "SH-DC"}
    store, hub = items["SH-JA"], items["SH-DC"]
    assert store["id"] == shop.store.id and store["kinds"] == ["pickup"]
    assert store["address"] == shop.store.address_zh and store["name"] == shop.store.name_zh
    assert store["lat"] == shop.store.lat and store["lng"] == shop.store.lng
    assert store["serves"] == []
    assert hub["kinds"] == ["delivery"]
    assert {(a["province"], a["city"], a["district"]) for a in hub["serves"]} == {
        ("上海市", "上海市", "徐汇区"), ("上海市", "上海市", "静安区")}
    assert "distance_km" not in store and "has_stock" not in store


def test_centers_nearest_first_with_stock(client, shop, stock):
    stock(shop.store, shop.products[0], 1)
    near_pudong = {"lat": 31.221, "lng": 121.541}
    response = client.get(f"{API}/centers", query_string={
        **near_pudong, "sku": [shop.products[0].sku, shop.products[0].sku]})
    items = response.get_json()["items"]
    distances = [c["distance_km"] for c in items]
    assert items[0]["code"] == "SH-PD" and distances == sorted(distances)
    assert all(isinstance(d, int | float) for d in distances)
    has_stock = {c["code"]: c["has_stock"] for c in items}
    # Two units asked (the SKU twice); the store holds only one now.
    assert has_stock == {"SH-PD": True, "SH-DC": True, "SH-JA": False}


def test_centers_of_one_kind(client, shop):
    items = client.get(f"{API}/centers", query_string={"kind": "pickup"}).get_json()["items"]
    assert {c["code"] for c in items} == {"SH-JA", "SH-PD"}


def test_centers_bad_query(client, shop):
    for args in ({"lat": 31.2}, {"lng": 121.4}, {"lat": 91, "lng": 0}, {"lat": "north", "lng": 1},
                 {"sku": "x' OR 1=1 --"}, {"sku": "A\x00B"}, {"kind": "teleport"}):
        body = assert_error(client.get(f"{API}/centers", query_string=args),
                            400, "validation_error")
        assert body["errors"]
