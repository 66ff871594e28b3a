"""Search that finds Chinese, on a phone in Chinese (390 x 844) with the demo catalog:
海参 lists the five sea-cucumber products first (they are named 刺参, in the category 干海参),
一段 the stage-one formulas."""

import pytest
from playwright.sync_api import expect

from .support import PHONE, translator
from .test_desks_phone import fits_the_phone

pytestmark = pytest.mark.browser

t = translator("zh_CN")


def _seed(app):
    """The demo shop's catalog (``flask demo`` writes the same)."""
    from demo.shop import DemoShop

    shop = DemoShop(seed=7)
    shop.build_catalog()
    app.config["DEMO_SEA"] = [p.name_zh for p in shop.sea]
    app.config["DEMO_STAGE_ONE"] = [p.name_zh for (_line, stage), p in shop.formula.items()
                                    if stage == 1]


def search_for(page, words):
    box = page.locator("form.search input[name=q]")
    box.fill(words)
    box.press("Enter")
    page.wait_for_load_state()


@pytest.mark.parametrize("live_shop", [_seed], indirect=True, ids=["demo-catalog"])
def test_search_finds_chinese_words(people, live_shop):
    shopper = people("shopper", locale="zh-CN", **PHONE)
    page = shopper.page
    page.goto("/products")
    search_for(page, "海参")
    cards = page.get_by_test_id("product-card")
    expect(cards.first).to_be_visible()
    first_five = [cards.nth(i).inner_text() for i in range(5)]
    for name in live_shop.app.config["DEMO_SEA"]:
        assert any(name in card for card in first_five), (name, first_five)
    fits_the_phone(page)
    shopper.shot("search-haishen")

    search_for(page, "一段")
    expect(cards.first).to_be_visible()
    first_two = [cards.nth(i).inner_text() for i in range(2)]
    for name in live_shop.app.config["DEMO_STAGE_ONE"]:
        assert any(name in card for card in first_two), (name, first_two)
    expect(page.locator("main")).not_to_contain_text("2段")
    shopper.shot("search-yiduan")
    assert not shopper.problems, shopper.problems
