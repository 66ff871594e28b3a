"""Honest prices on a phone in Chinese (390 x 844): a guest is shown what a new member pays,
with the tier named, never the top tier's price; a diamond member sees their own price, in
whole yuan as the admin set the tier's rounding."""

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from .support import PASSWORD, PHONE, SHOP, seed_shop, translator
from .test_desks_phone import fits_the_phone

pytestmark = pytest.mark.browser

t = translator("zh_CN")
FORMULA = SHOP.products[1]  # ¥398.00, members ¥368.00
MEMBER_EMAIL = "qian.diamond@example.com"


def _seed(app):
    """The shop; the formula at ¥345.92 for diamond members, whose prices are whole yuan."""
    seed_shop(app)
    from core.cli import create_user
    from core.extensions import db
    from storefront.loyalty import tiers
    from storefront.loyalty.membership import sign_up_member
    from storefront.loyalty.models import Tier, TierRule
    from storefront.models import Product

    product = db.session.execute(
        sa.select(Product).where(Product.sku == FORMULA["sku"])).scalar_one()
    tiers.set_member_prices(product, {Tier.DIAMOND: 34592})
    db.session.execute(sa.update(TierRule).where(TierRule.code == Tier.DIAMOND)
                       .values(price_rounding=100))
    member = create_user(MEMBER_EMAIL, PASSWORD, "钱女士", "customer", None)
    sign_up_member(member, name="钱女士", phone="13900003333").tier = Tier.DIAMOND


@pytest.mark.parametrize("live_shop", [_seed], indirect=True, ids=["prices"])
def test_guest_and_member_see_prices_they_will_pay(people, live_shop):
    guest = people("guest", locale="zh-CN", **PHONE)
    page = guest.page
    page.goto(f"/products/{FORMULA['slug']}")
    entry = page.get_by_test_id("entry-member-price")
    expect(entry).to_contain_text(t("Member price (%(tier)s) from %(price)s",
                                    tier="普卡", price="¥368.00"))
    expect(page.locator("main")).not_to_contain_text("345")
    fits_the_phone(page)
    guest.shot("guest-product")
    page.goto("/products")
    card = page.get_by_test_id("product-card").filter(has_text=FORMULA["name_zh"])
    expect(card.get_by_test_id("entry-member-price")).to_contain_text("¥368.00")
    guest.shot("guest-catalog")

    member = people("member", locale="zh-CN", **PHONE)
    member.sign_in(t, MEMBER_EMAIL)
    page = member.page
    page.goto(f"/products/{FORMULA['slug']}")
    expect(page.get_by_test_id("my-member-price")).to_contain_text("¥345.00")
    expect(page.locator("main")).not_to_contain_text("345.92")
    member.shot("member-product")
    assert not guest.problems and not member.problems, guest.problems + member.problems
