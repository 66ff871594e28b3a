"""A shopper's account on a phone (390 x 844, in Chinese), phone first: sign up with an SMS
code, save two addresses, check out to the default one, then lose the phone's password
race: reset the password by SMS code and see the session on the other device end."""

import re

import pytest
from playwright.sync_api import expect

from tests.support.messages import sms_of

from .support import PHONE, SHOP, seed_shop, translator
from .test_address_book import SECOND, add_address
from .test_desks_phone import fits_the_phone

pytestmark = pytest.mark.browser

t = translator("zh_CN")
MOBILE = "13912345678"
HOME = dict(SECOND, **{"Recipient": "赵女士", "Street and number": "世纪大道 100 号"})
OFFICE = dict(SECOND, **{"Recipient": "赵女士", "Street and number": "张杨路 500 号"})


@pytest.fixture()
def live_shop(live_server_factory):
    """The shop, with room for the three codes this visit asks for within a minute (the
    shop's own limit is one a minute per phone, tested elsewhere)."""
    return live_server_factory("sqlite", seed=seed_shop, WTF_CSRF_ENABLED=True,
                               SMS_PROVIDER="tests.support.messages:RecordingSms",
                               CODE_LIMIT_PER_PHONE="10 per minute")


def sign_in_by_code(actor, sms, name=None):
    page = actor.page
    page.goto("/login")
    page.get_by_label(t("Mobile number"), exact=True).fill("139 1234 5678")
    page.get_by_role("button", name=t("Text me a code")).click()
    page.wait_for_url(re.compile(r"/login/code"))
    expect(page.locator("main")).to_contain_text("139****5678")
    page.get_by_label(t("Code from the SMS"), exact=True).fill(sms.code_for(MOBILE))
    if name:
        page.get_by_label(t("Your name (for a new account; optional)"), exact=True).fill(name)
    page.locator("main form").get_by_role("button", name=t("Sign in"), exact=True).click()
    page.wait_for_url(re.compile(r"/account$"))


def test_phone_sign_up_addresses_checkout_and_reset(people, live_shop):
    sms = sms_of(live_shop.app)
    shopper = people("shopper", locale="zh-CN", **PHONE)
    page = shopper.page

    sign_in_by_code(shopper, sms, name="赵敏")
    expect(page.locator(".flash.success")).to_contain_text(
        t("Welcome, %(name)s! Your account is ready.", name="赵敏"))
    fits_the_phone(page)
    shopper.shot("signed-up")

    page.get_by_role("link", name=t("My addresses"), exact=True).click()
    add_address(page, HOME)
    add_address(page, OFFICE)
    cards = page.get_by_test_id("address")
    expect(cards).to_have_count(2)
    expect(cards.filter(has_text=HOME["Street and number"]).get_by_test_id(
        "default-badge")).to_be_visible()
    shopper.shot("two-addresses")

    product = SHOP.products[1]
    page.goto(f"/products/{product['slug']}")
    page.get_by_role("button", name=t("Add to cart")).click()
    page.wait_for_url(re.compile(r"/cart$"))
    page.goto("/checkout")
    page.get_by_role("radio", name=t("Home delivery")).check()
    saved = page.get_by_test_id("saved-address")
    expect(saved.filter(has_text=HOME["Street and number"]).get_by_role("radio")).to_be_checked()
    page.get_by_role("radio", name=t("Cash on delivery")).check()
    fits_the_phone(page)
    page.get_by_role("button", name=t("Place order")).click()
    page.wait_for_url(re.compile(r"/orders/[\w-]+$"))
    expect(page.locator("main")).to_contain_text(HOME["Street and number"])
    shopper.shot("ordered-to-default")

    # The same account is open on another device.
    other = people("other-device", locale="zh-CN", **PHONE)
    sign_in_by_code(other, sms)
    expect(other.page.get_by_role("heading", level=1)).to_contain_text("赵敏")

    # On the phone: sign out, then a new password by SMS code.
    page.goto("/account")
    page.locator("form[action='/logout'] button").click()
    page.goto("/login")
    page.get_by_role("link", name=t("Forgot your password?")).click()
    page.get_by_label(t("E-mail or mobile number"), exact=True).fill(MOBILE)
    sent_before = len(sms.sent)
    page.get_by_role("button", name=t("Send"), exact=True).click()
    page.wait_for_url(re.compile(r"/password-reset/code$"))
    code = sms.next_code(MOBILE, after=sent_before)  # it leaves once the answer has
    page.get_by_label(t("Code from the SMS"), exact=True).fill(code)
    page.get_by_label(t("New password"), exact=True).fill("zhao min 2026")
    page.get_by_label(t("Repeat the new password"), exact=True).fill("zhao min 2026")
    fits_the_phone(page)
    shopper.shot("reset-by-sms")
    page.get_by_role("button", name=t("Set the new password")).click()
    page.wait_for_url(re.compile(r"/account/security$"))
    expect(page.locator(".flash.success")).to_have_text(
        t("Your new password is set. Every other device was signed out."))

    # The other device's session has ended.
    other.page.goto("/account")
    other.page.wait_for_url(re.compile(r"/login"))
    expect(other.page.get_by_role("heading", name=t("Sign in"), level=1)).to_be_visible()

    # The new password signs in with the phone number.
    page.goto("/account")
    page.locator("form[action='/logout'] button").click()
    page.goto("/login")
    page.get_by_label(t("E-mail or mobile number"), exact=True).fill(MOBILE)
    page.get_by_label(t("Password"), exact=True).fill("zhao min 2026")
    page.locator("main form").get_by_role("button", name=t("Sign in"), exact=True).click()
    page.wait_for_url(re.compile(r"/account$"))
    assert shopper.problems == [] and other.problems == []
