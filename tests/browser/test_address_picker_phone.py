"""The address picker on a phone, in English and in Chinese (390 x 844): province, city and
district are chosen from the national divisions instead of typed in Chinese; the delivery
quote follows, and the order carries the divisions' names."""

import re

import pytest
from playwright.sync_api import expect

from .support import PASSWORD, PHONE, SHOP, seed_shop, translator
from .test_desks_phone import fits_the_phone

pytestmark = pytest.mark.browser

SHOPPER_EMAIL = "li.picker@example.com"


def _seed(app):
    from core.cli import create_user
    from core.extensions import db
    from storefront.models import CartItem, Product

    seed_shop(app)
    shopper = create_user(SHOPPER_EMAIL, PASSWORD, "Li Na", "customer", None)
    shopper.phone = "13800005555"
    db.session.flush()
    product = db.session.query(Product).filter_by(sku=SHOP.products[1]["sku"]).one()
    db.session.add(CartItem(user_id=shopper.id, product_id=product.id, quantity=1))


@pytest.mark.parametrize("live_shop", [_seed], indirect=True, ids=["picker"])
@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_the_address_is_picked_from_the_divisions(people, live_shop, lang):
    t = translator(lang)
    shopper = people("shopper", locale="en-US" if lang == "en" else "zh-CN", **PHONE)
    page = shopper.page
    page.goto(f"/lang/{lang}?next=/login")
    shopper.sign_in(t, SHOPPER_EMAIL)
    page.goto("/checkout")
    page.get_by_role("radio", name=t("Home delivery")).check()
    picker = page.get_by_test_id("address-picker")
    expect(picker).to_be_visible()
    province = page.get_by_test_id("pick-province")
    expect(province.locator("option", has_text="上海市")).to_have_count(1)
    province.select_option(label="上海市")
    city = page.get_by_test_id("pick-city")
    expect(city).to_have_value("310000")  # a municipality's only city, chosen for you
    district = page.get_by_test_id("pick-district")
    expect(district.locator("option", has_text="浦东新区")).to_have_count(1)
    district.select_option(label="浦东新区")
    expect(page.locator("input#district")).to_have_value("浦东新区")  # the typed field follows
    quote = page.get_by_test_id("delivery-quote")
    expect(quote).to_contain_text(SHOP.second["name_en"] if lang == "en"
                                  else SHOP.second["name_zh"])
    page.get_by_label(t("Street and number"), exact=True).fill("88 Century Avenue")
    fits_the_phone(page)
    shopper.shot(f"picked-{lang}")
    page.get_by_role("button", name=t("Place order")).click()
    page.wait_for_url(re.compile(r"/orders/[\w-]+$"))
    expect(page.locator("main")).to_contain_text("浦东新区")
    shopper.shot(f"order-{lang}")
    assert not shopper.problems, shopper.problems


@pytest.mark.parametrize("live_shop", [_seed], indirect=True, ids=["book"])
def test_the_address_book_uses_the_picker_in_english(people, live_shop):
    t = translator("en")
    shopper = people("shopper", locale="en-US", **PHONE)
    page = shopper.page
    page.goto("/lang/en?next=/login")
    shopper.sign_in(t, SHOPPER_EMAIL)
    page.goto("/account/addresses")
    form = page.get_by_test_id("address-form")
    form.get_by_label(t("Recipient"), exact=True).fill("Li Na")
    form.get_by_label(t("Phone"), exact=True).fill("138 0000 5555")
    form.get_by_test_id("pick-province").select_option(label="浙江省")
    form.get_by_test_id("pick-city").select_option(label="杭州市")
    form.get_by_test_id("pick-district").select_option(label="滨江区")
    form.get_by_label(t("Street and number"), exact=True).fill("588 Jiangnan Avenue")
    fits_the_phone(page)
    shopper.shot("book-picked")
    form.get_by_role("button", name=t("Save address")).click()
    expect(page.locator(".flash.success")).to_have_text(t("The address is saved."))
    expect(page.get_by_test_id("address").first).to_contain_text("浙江省杭州市滨江区")
    with live_shop.app.app_context():
        from core.extensions import db
        from storefront.addresses.models import Address

        saved = db.session.query(Address).one()
        assert (saved.province_code, saved.city_code, saved.district_code) == (
            "330000", "330100", "330108")
    assert not shopper.problems, shopper.problems
