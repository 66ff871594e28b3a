"""The nearest store first on a phone in Chinese (390 x 844) with no position shared: the
shopper picks 上海市 in the header and the Shanghai stores come first (not Hangzhou's, whose
code sorts first); the store they ordered from is chosen again at the next checkout."""

import re

import pytest
from playwright.sync_api import expect

from .support import PASSWORD, PHONE, SHOP, seed_shop, translator
from .test_desks_phone import fits_the_phone

pytestmark = pytest.mark.browser

t = translator("zh_CN")
SHOPPER_EMAIL = "zheng.city@example.com"
HANGZHOU = "海韵·杭州滨江中心"


def _seed(app):
    """The shop, a Hangzhou store sorting first, a shopper with a tin in the cart."""
    from core.cli import create_user
    from core.extensions import db
    from fulfillment.models import Center, Stock
    from storefront.models import CartItem, Product

    seed_shop(app)
    center = Center(code="HZ-BJ", name_zh=HANGZHOU, name_en="Haiyun Hangzhou Binjiang",
                    is_pickup=True, is_delivery=False, province="浙江省", city="杭州市",
                    district="滨江区", address_zh="杭州市滨江区江南大道 588 号",
                    lat=30.208, lng=120.211, opens_at="10:00", closes_at="20:00")
    db.session.add(center)
    db.session.flush()
    for product in db.session.query(Product):
        db.session.add(Stock(center_id=center.id, product_id=product.id, on_hand=9, reserved=0))
    shopper = create_user(SHOPPER_EMAIL, PASSWORD, "郑先生", "customer", None)
    db.session.flush()
    product = db.session.query(Product).filter_by(sku=SHOP.products[1]["sku"]).one()
    db.session.add(CartItem(user_id=shopper.id, product_id=product.id, quantity=1))


def chosen_store(page):
    return page.get_by_test_id("pickup-option").filter(has=page.locator("input:checked"))


@pytest.mark.parametrize("live_shop", [_seed], indirect=True, ids=["no-position"])
def test_stores_of_my_city_first_and_the_last_one_remembered(people, live_shop):
    shopper = people("shopper", locale="zh-CN", **PHONE)
    shopper.sign_in(t, SHOPPER_EMAIL)
    page = shopper.page
    page.goto("/checkout")
    expect(chosen_store(page)).to_contain_text(HANGZHOU)  # what a new shopper got before

    page.get_by_test_id("city-pick").click()
    page.get_by_test_id("city-option").filter(has_text="上海市").click()
    page.wait_for_url(re.compile(r"/checkout$"))
    expect(page.get_by_test_id("city-pick")).to_have_text("上海市")
    expect(chosen_store(page)).not_to_contain_text(HANGZHOU)
    expect(page.get_by_test_id("pickup-option").last).to_contain_text(HANGZHOU)
    expect(page.get_by_test_id("city-first")).to_be_visible()
    fits_the_phone(page)
    shopper.shot("shanghai-first")

    page.get_by_test_id("change-store").click()
    page.get_by_test_id("pickup-option").filter(has_text=SHOP.second["name_zh"]).click()
    page.get_by_role("button", name=t("Place order")).click()
    page.wait_for_url(re.compile(r"/orders/[\w-]+$"))

    page.goto(f"/products/{SHOP.products[0]['slug']}")
    page.get_by_role("button", name=t("Add to cart")).click()
    page.goto("/checkout")
    expect(chosen_store(page)).to_contain_text(SHOP.second["name_zh"])  # remembered
    shopper.shot("last-store-remembered")
    assert not shopper.problems, shopper.problems
