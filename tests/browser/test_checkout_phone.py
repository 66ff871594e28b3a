"""Checkout that fits a phone (390 x 844, in Chinese): 加入购物车 shows without scrolling on
the product page; at checkout the total and 提交订单 stay at the bottom of the screen, and the
choices made (store, time, payment) fold away with a button to change them."""

import re

import pytest
from playwright.sync_api import expect

from .support import PASSWORD, PHONE, SHOP, seed_shop, translator
from .test_desks_phone import fits_the_phone

pytestmark = pytest.mark.browser

t = translator("zh_CN")
SHOPPER_EMAIL = "sun.phone@example.com"
FORMULA = SHOP.products[1]


def _seed(app):
    from core.cli import create_user

    seed_shop(app)
    create_user(SHOPPER_EMAIL, PASSWORD, "孙女士", "customer", None)


def in_view(page, locator) -> bool:
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


@pytest.mark.parametrize("live_shop", [_seed], indirect=True, ids=["phone"])
def test_checkout_fits_a_phone(people, live_shop):
    shopper = people("shopper", locale="zh-CN", **PHONE)
    page = shopper.page
    page.goto(f"/products/{FORMULA['slug']}")  # as a guest, as a new shopper comes
    add = page.get_by_role("button", name=t("Add to cart"))
    box = add.bounding_box()
    # above the fold on 390 x 844, with room to spare (not cut by the browser's bar)
    assert in_view(page, add) and box["y"] + box["height"] <= 760, box
    shopper.shot("product-above-the-fold")
    add.click()
    expect(page.locator(".flash.success")).to_be_visible()  # in the cart
    shopper.sign_in(t, SHOPPER_EMAIL)
    page.goto("/checkout")

    bar = page.get_by_test_id("sticky-pay")
    expect(bar).to_be_visible()
    expect(bar).to_contain_text("¥398.00")
    place = page.get_by_role("button", name=t("Place order"))
    expect(place).to_have_count(1)  # the summary's own button is not shown on a phone
    assert in_view(page, place)
    stores = page.get_by_test_id("pickup-option")
    expect(stores.filter(has=page.locator("input:checked"))).to_be_visible()
    visible = [s for s in stores.all() if s.is_visible()]
    assert len(visible) == 1, "the chosen store alone, the others folded away"
    change = page.get_by_test_id("change-store")
    expect(change).to_have_text(t("Change store"))
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 2400, height  # was about 2,900 px
    fits_the_phone(page)
    shopper.shot("checkout-folded")

    change.click()
    expect(stores).to_have_count(2)
    other = stores.filter(has_not=page.locator("input:checked")).first
    expect(other).to_be_visible()
    other_name = other.locator("strong").first.inner_text()
    other.click()
    expect(change).to_be_visible()
    assert len([s for s in stores.all() if s.is_visible()]) == 1
    page.mouse.wheel(0, 600)
    assert in_view(page, place)  # still there after scrolling
    shopper.shot("checkout-store-changed")
    place.click()
    page.wait_for_url(re.compile(r"/orders/[\w-]+$"))
    expect(page.locator("main")).to_contain_text(other_name)
    shopper.shot("order-placed")
    assert not shopper.problems, shopper.problems
