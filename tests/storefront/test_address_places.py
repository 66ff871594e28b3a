"""Addresses on the pages: the picker's codes say the place (the typed names follow them),
a wrong code is the district's error, a shopper without JavaScript types Chinese or English
names, and every page shows the place in the reader's language from its codes."""

import sqlalchemy as sa

from storefront.addresses import services
from storefront.addresses.models import Address
from storefront.models import Order

from .test_pages import (  # noqa: F401 (the fixture resets request state)
    ADDRESS,
    _fresh_request_state,
    _refused,
    add_to_cart,
    checkout_data,
    login,
    page,
)

#: what the picker sends: the divisions' Chinese names, and their codes beside them
PICKED = dict(ADDRESS, province_code="310000", city_code="310000", district_code="310104")


def _order(session) -> Order:
    session.expire_all()
    return session.execute(sa.select(Order).order_by(Order.id.desc()).limit(1)).scalar_one()


def _checkout(client, shop, **address):
    login(client, shop.shopper)
    add_to_cart(client, shop.products[0])
    return client.post("/checkout", data=checkout_data(
        [(shop.products[0], 1)], method="delivery", **address))


def test_the_pickers_codes_say_the_place(client, session, shop):
    # names an old page left behind are overruled by the codes the picker chose
    response = _checkout(client, shop, **dict(PICKED, province="x", city="y", district="z"))
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    address = _order(session).fulfillment.address
    assert (address["province"], address["city"], address["district"]) == (
        "上海市", "上海市", "徐汇区")
    assert (address["province_code"], address["city_code"], address["district_code"]) == (
        "310000", "310000", "310104")


def test_codes_that_are_not_one_place_are_the_districts_error(client, session, shop):
    login(client, shop.shopper)
    add_to_cart(client, shop.products[0])
    for wrong in ({"district_code": "999999"}, {"city_code": "330100"},
                  {"district_code": "330108"}, {"district_code": "x' or 1=1"}):
        _refused(client, session, checkout_data([(shop.products[0], 1)], method="delivery",
                                                **dict(PICKED, **wrong)),
                 400, "Please choose the district from the list.")


def test_without_javascript_english_names_are_typed(client, session, shop):
    response = _checkout(client, shop, **dict(ADDRESS, province="Shanghai", city="Shanghai",
                                              district="Xuhui District"))
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    order = _order(session)
    assert order.center_id == shop.hub.id
    assert order.fulfillment.address["district_code"] == "310104"


def test_the_order_shows_the_place_in_the_readers_language(client, session, shop):
    _checkout(client, shop, **PICKED)
    order = _order(session)
    html = page(client, f"/orders/{order.public_id}")
    assert "Xuhui District, Shanghai" in html
    client.set_cookie("lang", "zh_CN")
    html = page(client, f"/orders/{order.public_id}")
    assert "上海市徐汇区" in html and "Xuhui" not in html


def test_we_deliver_to_lists_the_districts_in_the_readers_language(client, session, shop):
    login(client, shop.shopper)
    add_to_cart(client, shop.products[0])
    html = page(client, "/checkout")
    served = html[html.index('data-testid="served-areas"'):]
    served = served[:served.index("</p>")]
    assert "Xuhui District, Shanghai" in served and "徐汇" not in served
    assert '<option value="Xuhui District">' in html  # typed without JavaScript
    client.set_cookie("lang", "zh_CN")
    html = page(client, "/checkout")
    served = html[html.index('data-testid="served-areas"'):]
    assert "上海市徐汇区" in served[:served.index("</p>")]


def test_the_address_book_takes_codes_and_english_and_shows_the_readers_language(
        client, session, shop):
    login(client, shop.shopper)
    form = {k: v for k, v in PICKED.items()}
    assert client.post("/account/addresses", data=form).status_code == 302
    english = dict(ADDRESS, province="Zhejiang", city="Hangzhou", district="Binjiang",
                   street="江南大道 588 号")
    assert client.post("/account/addresses", data=english).status_code == 302
    session.expire_all()
    saved = {a.street: (a.district, a.district_code) for a in services.addresses_of(
        shop.shopper)}
    assert saved == {ADDRESS["street"]: ("徐汇区", "310104"),
                     "江南大道 588 号": ("滨江区", "330108")}
    html = page(client, "/account/addresses")
    assert "江南大道 588 号, Binjiang District, Hangzhou, Zhejiang" in html
    assert f"{ADDRESS['street']}, Xuhui District, Shanghai" in html
    # the edit page sends no codes: a typed change is never overruled by the old ones
    address = session.execute(sa.select(Address).where(
        Address.district_code == "330108")).scalar_one()
    html = page(client, f"/account/addresses/{address.id}/edit")
    assert 'name="district_code" type="hidden" value=""' in html
    response = client.post(f"/account/addresses/{address.id}/edit",
                           data=dict(english, district="999999", district_code="999999"))
    assert response.status_code == 400
    assert "Please choose the district from the list." in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Address, address.id).district_code == "330108"
