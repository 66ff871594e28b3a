"""The address picker on a phone, in English and in Chinese (390 x 844): the picker is the way
in (the typed province, city and district become hidden fields it fills with the divisions'
names and codes), its lists are named in the reader's language (Shanghai -> Xuhui District
in English), the delivery quote follows, and the order carries the Chinese names with their
codes, shown back in the reader's language. Without JavaScript the fields are typed, in
English too. The admin picks a zone's districts the same way."""

import re

import pytest
from playwright.sync_api import expect

from .support import PASSWORD, PHONE, SHOP, seed_shop, signed_in_in_english, translator
from .test_desks_phone import fits_the_phone

pytestmark = pytest.mark.browser

SHOPPER_EMAIL = "li.picker@example.com"
ADMIN_EMAIL = "admin.picker@haiyun.test"
#: what each language calls Shanghai and its district Xuhui, in the picker and on the order
NAMES = {"en": {"province": "Shanghai", "district": "Xuhui District",
                "place": "Xuhui District, Shanghai"},
         "zh_CN": {"province": "上海市", "district": "徐汇区", "place": "上海市徐汇区"}}


def _seed(app):
    """The shop, its Pudong center delivering to 徐汇区 as well, a shopper with a gift box in
    the cart, and an admin."""
    from core.cli import create_user
    from core.extensions import db
    from fulfillment.models import Center, CenterDistrict
    from storefront.models import CartItem, Product

    seed_shop(app)
    center = db.session.query(Center).filter_by(code=SHOP.second["code"]).one()
    center.districts.append(CenterDistrict(province="上海市", city="上海市", district="徐汇区"))
    shopper = create_user(SHOPPER_EMAIL, PASSWORD, "Li Na", "customer", None)
    shopper.phone = "13800005555"
    create_user(ADMIN_EMAIL, PASSWORD, "Admin", "admin", None)
    db.session.flush()
    product = db.session.query(Product).filter_by(sku=SHOP.products[1]["sku"]).one()
    db.session.add(CartItem(user_id=shopper.id, product_id=product.id, quantity=1))


def _the_order_address(live_shop) -> dict:
    with live_shop.app.app_context():
        from core.extensions import db
        from storefront.models import Order

        order = db.session.query(Order).order_by(Order.id.desc()).first()
        return dict(order.fulfillment.address)


@pytest.mark.parametrize("live_shop", [_seed], indirect=True, ids=["picker"])
@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_the_address_is_picked_from_the_divisions(people, live_shop, lang):
    t, names = translator(lang), NAMES[lang]
    shopper = people("shopper", locale="en-US" if lang == "en" else "zh-CN", **PHONE)
    page = shopper.page
    page.goto(f"/lang/{lang}?next=/login")
    shopper.sign_in(t, SHOPPER_EMAIL)
    page.goto("/checkout")
    page.get_by_role("radio", name=t("Home delivery")).check()
    picker = page.get_by_test_id("address-picker")
    expect(picker).to_be_visible()
    # the picker is the way in: the typed fields are hidden fields it fills
    for level in ("province", "city", "district"):
        expect(page.locator(f"input[name={level}]")).to_have_attribute("type", "hidden")
        expect(page.locator(f"input[name={level}]")).to_be_hidden()
    province = picker.get_by_label(t("Province"), exact=True)
    expect(province.locator("option", has_text=names["province"])).to_have_count(1)
    province.select_option(label=names["province"])
    city = picker.get_by_label(t("City"), exact=True)
    expect(city).to_have_value("310000")  # a municipality's only city, chosen for you
    page.get_by_label(t("Street and number"), exact=True).fill("88 Caoxi North Road")
    if lang == "en":  # ordered before the district is chosen: its error shows under its list
        page.get_by_role("button", name=t("Place order")).click()
        page.wait_for_load_state()
        picker = page.get_by_test_id("address-picker")
        expect(picker.locator(".errors")).to_contain_text(t("Please fill this in for delivery."))
        expect(picker.get_by_label(t("Province"), exact=True)).to_have_value("310000")
        shopper.shot("district-missing")
    district = picker.get_by_label(t("District"), exact=True)
    expect(district.locator("option", has_text=names["district"])).to_have_count(1)
    district.select_option(label=names["district"])
    # the hidden fields hold the Chinese names a courier reads, and the codes
    expect(page.locator("input[name=district]")).to_have_value("徐汇区")
    expect(page.locator("input[name=district_code]")).to_have_value("310104")
    expect(page.locator("input[name=city_code]")).to_have_value("310000")
    quote = page.get_by_test_id("delivery-quote")
    expect(quote).to_contain_text(SHOP.second["name_en"] if lang == "en"
                                  else SHOP.second["name_zh"])
    expect(page.get_by_test_id("served-areas")).to_contain_text(
        "Xuhui District, Shanghai" if lang == "en" else "上海市徐汇区")
    fits_the_phone(page)
    shopper.shot(f"picked-{lang}")
    page.get_by_role("button", name=t("Place order")).click()
    page.wait_for_url(re.compile(r"/orders/[\w-]+$"))
    expect(page.get_by_test_id("order-place")).to_have_text(names["place"])
    shopper.shot(f"order-{lang}")
    address = _the_order_address(live_shop)
    assert (address["province"], address["city"], address["district"]) == (
        "上海市", "上海市", "徐汇区")
    assert (address["province_code"], address["city_code"], address["district_code"]) == (
        "310000", "310000", "310104")
    assert not shopper.problems, shopper.problems


@pytest.mark.parametrize("live_shop", [_seed], indirect=True, ids=["no-js"])
def test_without_javascript_english_names_are_typed(people, live_shop):
    t, shopper = signed_in_in_english(people, "shopper", SHOPPER_EMAIL,
                                      java_script_enabled=False, **PHONE)
    page = shopper.page
    page.goto("/checkout")
    expect(page.get_by_test_id("address-picker")).to_have_count(0)
    page.get_by_role("radio", name=t("Home delivery")).check()
    page.get_by_label(t("Recipient"), exact=True).fill("Li Na")
    page.get_by_label(t("Phone"), exact=True).fill("138 0000 5555")
    page.get_by_label(t("Province"), exact=True).fill("Shanghai")
    page.get_by_label(t("City"), exact=True).fill("Shanghai")
    page.get_by_label(t("District"), exact=True).fill("Xuhui District")
    page.get_by_label(t("Street and number"), exact=True).fill("88 Caoxi North Road")
    page.get_by_label(t("Cash on delivery")).check()
    fits_the_phone(page)
    shopper.shot("typed")
    page.get_by_role("button", name=t("Place order")).click()
    page.wait_for_url(re.compile(r"/orders/[\w-]+$"))
    expect(page.get_by_test_id("order-place")).to_have_text("Xuhui District, Shanghai")
    address = _the_order_address(live_shop)
    assert (address["district"], address["district_code"]) == ("徐汇区", "310104")
    assert not shopper.problems, shopper.problems


@pytest.mark.parametrize("live_shop", [_seed], indirect=True, ids=["book"])
def test_the_address_book_uses_the_picker_in_english(people, live_shop):
    t, shopper = signed_in_in_english(people, "shopper", SHOPPER_EMAIL, **PHONE)
    page = shopper.page
    page.goto("/account/addresses")
    form = page.get_by_test_id("address-form")
    form.get_by_label(t("Recipient"), exact=True).fill("Li Na")
    form.get_by_label(t("Phone"), exact=True).fill("138 0000 5555")
    form.get_by_label(t("Province"), exact=True).select_option(label="Zhejiang")
    form.get_by_label(t("City"), exact=True).select_option(label="Hangzhou")
    form.get_by_label(t("District"), exact=True).select_option(label="Binjiang District")
    form.get_by_label(t("Street and number"), exact=True).fill("588 Jiangnan Avenue")
    fits_the_phone(page)
    shopper.shot("book-picked")
    form.get_by_role("button", name=t("Save address")).click()
    expect(page.locator(".flash.success")).to_have_text(t("The address is saved."))
    expect(page.get_by_test_id("address").first).to_contain_text(
        "588 Jiangnan Avenue, Binjiang District, Hangzhou, Zhejiang")
    with live_shop.app.app_context():
        from core.extensions import db
        from storefront.addresses.models import Address

        saved = db.session.query(Address).one()
        assert (saved.province, saved.city, saved.district) == ("浙江省", "杭州市", "滨江区")
        assert (saved.province_code, saved.city_code, saved.district_code) == (
            "330000", "330100", "330108")
        saved_id = saved.id
    # editing: the picker opens on the saved place, and a new district replaces it
    page.goto(f"/account/addresses/{saved_id}/edit")
    edit = page.locator("main form").first
    expect(edit.get_by_label(t("Province"), exact=True)).to_have_value("330000")
    expect(edit.get_by_label(t("City"), exact=True)).to_have_value("330100")
    expect(edit.get_by_label(t("District"), exact=True)).to_have_value("330108")
    edit.get_by_label(t("District"), exact=True).select_option(label="Xihu District")
    shopper.shot("book-edit")
    edit.get_by_role("button", name=t("Save address")).click()
    expect(page.get_by_test_id("address").first).to_contain_text("Xihu District, Hangzhou")
    with live_shop.app.app_context():
        from core.extensions import db
        from storefront.addresses.models import Address

        assert db.session.get(Address, saved_id).district_code == "330106"
    assert not shopper.problems, shopper.problems


@pytest.mark.parametrize("live_shop", [_seed], indirect=True, ids=["zone"])
def test_the_admin_picks_a_zones_districts(people, live_shop):
    t, admin = signed_in_in_english(people, "admin", ADMIN_EMAIL, **PHONE)
    page = admin.page
    with live_shop.app.app_context():
        from core.extensions import db
        from fulfillment.models import Center

        center_id = db.session.query(Center).filter_by(code=SHOP.second["code"]).one().id
    page.goto(f"/admin/centers/{center_id}/delivery")
    form = page.locator("form", has=page.get_by_role("button", name=t("Add zone")))
    form.get_by_label(t("Zone name"), exact=True).fill("Near Xuhui")
    form.get_by_label(t("Delivery fee (yuan)"), exact=True).fill("12")
    picker = form.get_by_test_id("district-picker")
    expect(picker).to_be_visible()
    expect(form.locator("textarea")).to_be_hidden()  # the picker is the way in
    picker.get_by_label(t("Province"), exact=True).select_option(label="Shanghai")
    picker.get_by_label(t("District"), exact=True).select_option(label="Xuhui District")
    picker.get_by_test_id("add-district").click()
    picker.get_by_label(t("District"), exact=True).select_option(label="Changning District")
    picker.get_by_test_id("add-district").click()
    picked = picker.get_by_test_id("picked-district")
    expect(picked).to_have_count(2)
    expect(picked.first).to_contain_text("Shanghai / Shanghai / Xuhui District")
    picked.nth(1).get_by_role("button").click()  # taken out again
    expect(picked).to_have_count(1)
    expect(form.locator("textarea")).to_have_value(
        "310104 Shanghai / Shanghai / Xuhui District")
    fits_the_phone(page)
    admin.shot("zone-picked")
    form.get_by_role("button", name=t("Add zone")).click()
    expect(page.locator(".flash.success")).to_be_visible()
    expect(page.get_by_test_id("zone-districts").first).to_have_text("Xuhui District")
    admin.shot("zone-added")
    with live_shop.app.app_context():
        from core.extensions import db
        from fulfillment.models import DeliveryZone

        zone = db.session.query(DeliveryZone).one()
        assert [(d.district_code, d.district) for d in zone.districts] == [
            ("310104", "徐汇区")]

    # the center's own districts (outside its zones) are picked the same way
    page.goto(f"/admin/centers/{center_id}/edit")
    picker = page.get_by_test_id("district-picker")
    expect(picker.get_by_test_id("picked-district")).to_have_text(
        ["Shanghai / Shanghai / Pudong New Area Remove"], use_inner_text=True)
    picker.get_by_label(t("Province"), exact=True).select_option(label="Shanghai")
    picker.get_by_label(t("District"), exact=True).select_option(label="Changning District")
    picker.get_by_test_id("add-district").click()
    expect(picker.get_by_test_id("picked-district")).to_have_count(2)
    admin.shot("center-districts")
    page.get_by_role("button", name=t("Save center")).click()
    expect(page.locator(".flash.success")).to_be_visible()
    with live_shop.app.app_context():
        from core.extensions import db
        from fulfillment.models import CenterDistrict

        rows = db.session.query(CenterDistrict).filter_by(center_id=center_id).all()
        assert sorted((r.district_code, r.zone_id is None) for r in rows) == [
            ("310104", False), ("310105", True), ("310115", True)]
    assert not admin.problems, admin.problems


def _answer(page, route) -> None:
    """Let a held division list through, and let the page's code take the answer."""
    with page.expect_response(lambda response: "city=" in response.url):
        route.continue_()
    page.evaluate("() => new Promise((done) => setTimeout(done, 100))")


def _pick_between(page, district, first, last, label: str) -> str:
    """Answer ``first``, pick ``label`` from the list it brought, then answer ``last``: the
    district's code once both answers are in."""
    _answer(page, first)
    district.select_option(label=label)
    _answer(page, last)
    return district.input_value()


def _held(page, held: list, count: int) -> None:
    for _ in range(100):
        if len(held) >= count:
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"{count} district lists asked for, {len(held)} seen")


@pytest.mark.parametrize("live_shop", [_seed], indirect=True, ids=["late-answers"])
def test_a_late_district_list_keeps_the_district_picked(people, live_shop):
    """On a slow network the district list is asked for twice (the municipality's only city
    chosen for you, then chosen by hand) and the answers may come in any order: the district
    picked meanwhile stays picked, whichever answer comes last."""
    t, shopper = signed_in_in_english(people, "shopper", SHOPPER_EMAIL, **PHONE)
    page = shopper.page
    page.goto("/checkout")
    page.get_by_role("radio", name=t("Home delivery")).check()
    picker = page.get_by_test_id("address-picker")
    province = picker.get_by_label(t("Province"), exact=True)
    city = picker.get_by_label(t("City"), exact=True)
    district = picker.get_by_label(t("District"), exact=True)
    expect(province.locator("option", has_text="Shanghai")).to_have_count(1)
    held = []

    def hold(route):
        held.append(route)

    page.route(re.compile(r".*/api/v1/divisions\?city=.*"), hold)

    # the later question answered first, the earlier one after the district was picked
    province.select_option(label="Shanghai")
    expect(city).to_have_value("310000")
    _held(page, held, 1)
    city.select_option("310000")
    _held(page, held, 2)
    assert _pick_between(page, district, held[1], held[0], "Xuhui District") == "310104"
    expect(page.locator("input[name=district_code]")).to_have_value("310104")

    # the same list answered twice, in order: the second keeps what was picked from the first
    city.select_option("310000")
    _held(page, held, 3)
    city.select_option("310000")
    _held(page, held, 4)
    assert _pick_between(page, district, held[2], held[3], "Pudong New Area") == "310115"
    expect(page.locator("input[name=district]")).to_have_value("浦东新区")
    assert not shopper.problems, shopper.problems
