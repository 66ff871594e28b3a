"""The payment page in headless Chromium with the network to Stripe blocked: it says that
online payment is unavailable and offers the offline method, rather than hanging."""

import re

import pytest
from playwright.sync_api import expect

from tests.storefront.conftest import fresh_stripe, localstripe  # noqa: F401 (fixtures)
from tests.storefront.localstripe import app_config

from .support import PASSWORD, PHONE, SHOP, seed_shop, translator

pytestmark = pytest.mark.browser

zh = translator("zh_CN")
SHOPPER = "pay.shopper@example.com"


def seed_with_cart(app):
    from core.cli import create_user
    from core.extensions import db
    from storefront.models import CartItem, Product

    seed_shop(app)
    shopper = create_user(SHOPPER, PASSWORD, "林女士", "customer", None)
    product = db.session.query(Product).filter_by(sku=SHOP.products[1]["sku"]).one()
    db.session.add(CartItem(user_id=shopper.id, product_id=product.id, quantity=1))


@pytest.fixture()
def live_shop(live_server_factory, request):
    """The shop with online payment configured (localstripe behind it), and Stripe.js at
    its real address, which the test blocks."""
    server = request.getfixturevalue("fresh_stripe")
    config = {**app_config(server), "STRIPE_JS_URL": "https://js.stripe.com/v3"}
    return live_server_factory("sqlite", seed=seed_with_cart, WTF_CSRF_ENABLED=True, **config)


def test_blocked_stripe_js_offers_offline_payment(people):
    shopper = people("shopper", locale="zh-CN", **PHONE)
    page = shopper.page
    blocked = []

    def block(route):
        blocked.append(route.request.url)
        route.abort()

    page.route(re.compile(r"^https://js\.stripe\.com/.*"), block)
    shopper.sign_in(zh, SHOPPER)
    page.goto("/checkout")
    change = page.get_by_test_id("change-payment")
    if change.is_visible():  # the chosen way folds the others away
        change.click()
    page.get_by_role("radio", name=zh("Pay online: card, Alipay or WeChat Pay")).check()
    shopper.shot("checkout-online")
    page.get_by_role("button", name=zh("Place order")).click()
    page.wait_for_url(re.compile(r"/orders/[\w-]+/pay$"))
    unavailable = page.get_by_test_id("payment-unavailable")
    expect(unavailable).to_be_visible()
    expect(unavailable).to_contain_text(zh("Online payment is unavailable right now"))
    expect(page.get_by_test_id("payment-loading")).to_be_hidden()
    shopper.shot("payment-unavailable")
    assert blocked and all(url.startswith("https://js.stripe.com/") for url in blocked)

    page.get_by_test_id("pay-offline").click()
    page.wait_for_url(re.compile(r"/orders/[\w-]+$"))
    expect(page.locator(".flash.success")).to_contain_text(
        zh("Fine: you pay when you receive your order. Your items stay reserved."))
    expect(page.get_by_test_id("order-status")).to_contain_text(zh("Confirmed"))
    shopper.shot("order-offline")
    problems = [p for p in shopper.problems if "js.stripe.com" not in p]
    assert problems == []
