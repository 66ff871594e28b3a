"""A delivery time chosen at checkout stays chosen (a phone in Chinese, 390 x 844): the
shopper chooses the district last, taps a time (the quote is asked for again), and the order
carries that time. An address changed and changed back keeps it too, and one whose center
does not offer it says so."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from .support import PASSWORD, PHONE, SHOP, seed_shop, translator
from .test_desks_phone import fits_the_phone

pytestmark = pytest.mark.browser

t = translator("zh_CN")
SHOPPER_EMAIL = "lin.slot@example.com"


def _seed(app):
    """The shop, two delivery times at the Pudong center, a shopper with a tin in the cart."""
    from core.cli import create_user
    from core.clock import utcnow
    from core.extensions import db
    from fulfillment.models import Center, Slot
    from storefront.models import CartItem, Product

    seed_shop(app)
    center = db.session.query(Center).filter_by(code=SHOP.second["code"]).one()
    start = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    for day in (0, 1):
        db.session.add(Slot(center_id=center.id, kind="delivery",
                            starts_at=start + timedelta(days=day),
                            ends_at=start + timedelta(days=day, hours=3), capacity=8, taken=0))
    shopper = create_user(SHOPPER_EMAIL, PASSWORD, "林女士", "customer", None)
    db.session.flush()
    product = db.session.query(Product).filter_by(sku=SHOP.products[1]["sku"]).one()
    db.session.add(CartItem(user_id=shopper.id, product_id=product.id, quantity=1))


def type_like_a_person(field, text):
    field.click()
    field.press_sequentially(text, delay=120)


@pytest.mark.parametrize("live_shop", [_seed], indirect=True, ids=["delivery"])
def test_the_chosen_delivery_time_is_kept(people, live_shop):
    shopper = people("shopper", locale="zh-CN", **PHONE)
    shopper.sign_in(t, SHOPPER_EMAIL)
    page = shopper.page
    page.goto("/checkout")
    page.get_by_role("radio", name=t("Home delivery")).check()
    page.get_by_label(t("Phone"), exact=True).fill("138 1234 5678")
    province = page.get_by_label(t("Province"), exact=True)
    district = page.get_by_label(t("District"), exact=True)
    province.select_option(label="上海市")  # its only city is chosen with it
    type_like_a_person(page.get_by_label(t("Street and number"), exact=True), "世纪大道 100 号")
    expect(district.locator("option", has_text="浦东新区")).to_have_count(1)
    district.select_option(label="浦东新区")  # last
    quote = page.get_by_test_id("delivery-quote")
    options = quote.get_by_test_id("slot-option")
    expect(options).to_have_count(3)  # as soon as possible, and the two times
    second = options.nth(2)
    chosen_text = second.inner_text()
    second.tap()  # the district field loses focus: the quote is asked for again
    page.wait_for_timeout(1500)  # as long as a new quote takes to arrive and be drawn
    expect(second.get_by_role("radio")).to_be_checked()
    expect(options.first.get_by_role("radio")).not_to_be_checked()
    fits_the_phone(page)
    shopper.shot("time-chosen")

    # the place changed to one nobody serves and back: the same time is chosen again
    province.select_option(label="北京市")
    expect(district.locator("option", has_text="东城区")).to_have_count(1)
    district.select_option(label="东城区")
    expect(quote).to_contain_text(t("We do not deliver to this address yet."))
    province.select_option(label="上海市")
    expect(district.locator("option", has_text="浦东新区")).to_have_count(1)
    district.select_option(label="浦东新区")
    expect(quote.get_by_test_id("slot-option").nth(2).get_by_role("radio")).to_be_checked()
    shopper.shot("time-kept-after-address-change")

    page.get_by_role("button", name=t("Place order")).click()
    page.wait_for_url(re.compile(r"/orders/[\w-]+$"))
    slot = page.get_by_test_id("order-slot")
    expect(slot).to_contain_text(t("Delivery time"))
    hours = re.search(r"(\d{2}:\d{2})", chosen_text).group(1)
    expect(slot).to_contain_text(hours)
    shopper.shot("order-with-time")
    with live_shop.app.app_context():
        from core.extensions import db
        from fulfillment.models import Fulfillment

        f = db.session.query(Fulfillment).one()
        assert f.slot_id is not None
    problems = [p for p in shopper.problems if not re.match(r"422 fetch .*/delivery/quote", p)]
    assert not problems, problems
