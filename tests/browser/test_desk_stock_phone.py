"""The desk's transfers, lots and slots on a phone (390 x 844): ask for stock, receive a lot,
see the slots; every page fits the screen."""

from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.conftest import SHOP_ZONE

from .support import PHONE, SHOP, STAFF_EMAIL, translator
from .test_desks_phone import fits_the_phone

pytestmark = pytest.mark.browser

t = translator("en")


def test_transfers_lots_and_slots_on_a_phone(people, live_shop):
    staff = people("staff", locale="en-US", **PHONE)
    staff.page.goto("/lang/en?next=/login")
    staff.sign_in(t, STAFF_EMAIL)
    page = staff.page

    page.goto("/desk/transfers")
    fits_the_phone(page)
    form = page.get_by_test_id("transfer-form")
    form.get_by_label(t("From"), exact=True).select_option(index=0)
    form.get_by_label(t("Product"), exact=True).select_option(index=0)
    form.get_by_label(t("Units"), exact=True).fill("3")
    form.get_by_role("button", name=t("Request")).click()
    expect(page.locator(".flash.success")).to_contain_text("requested")
    expect(page.locator("article.work-item").first).to_contain_text("× 3")
    fits_the_phone(page)
    staff.shot("transfer-requested")

    page.goto("/desk/lots")
    form = page.get_by_test_id("lot-form")
    form.get_by_label(t("Product"), exact=True).select_option(index=0)
    form.get_by_label(t("Batch number"), exact=True).fill("PHONE-LOT-1")
    form.get_by_label(t("Units"), exact=True).fill("6")
    form.get_by_label(t("Expires on"), exact=True).fill(
        (datetime.now(SHOP_ZONE).date() + timedelta(days=600)).isoformat())
    form.get_by_role("button", name=t("Receive")).click()
    expect(page.get_by_test_id("lot-PHONE-LOT-1")).to_be_visible()
    fits_the_phone(page)
    staff.shot("lot-received")

    page.goto("/desk/slots")
    expect(page.locator("h1")).to_be_visible()
    fits_the_phone(page)
    staff.shot("slots")
    assert SHOP.store["code"] in page.locator(".eyebrow").inner_text()
    assert not staff.problems, staff.problems
