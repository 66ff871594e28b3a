"""The pickup desk on a phone in Chinese (390 x 844): the clerk sees the amount due, must
say how the customer paid (nothing is chosen for them), gets the change for cash, and a
WeChat scan is recorded as a WeChat scan, not as cash."""

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from .support import PASSWORD, PHONE, SHOP, STAFF_EMAIL, seed_shop, translator
from .test_desks_phone import fits_the_phone

pytestmark = pytest.mark.browser

t = translator("zh_CN")
SEA_CUCUMBER = SHOP.products[0]


def _seed(app):
    """The shop and two ready pay-at-pickup orders of one sea cucumber tin (¥1,680.00)."""
    seed_shop(app)
    from core.extensions import db
    from core.models import User
    from fulfillment.models import Center
    from fulfillment.services import mark_ready
    from storefront.accounts import register_user
    from storefront.orders import place_order

    shopper, _ = register_user(email="zhao.desk@example.com", password=PASSWORD,
                               name="赵先生", phone="13700002222")
    store = db.session.execute(
        sa.select(Center).where(Center.code == SHOP.store["code"])).scalar_one()
    staff = db.session.execute(sa.select(User).where(User.email == STAFF_EMAIL)).scalar_one()
    codes = []
    for _ in range(2):
        order = place_order(shopper, lines=[{"sku": SEA_CUCUMBER["sku"], "quantity": 1}],
                            fulfillment={"method": "pickup", "center_id": store.id},
                            payment_method="pay_at_pickup")
        mark_ready(order.fulfillment, staff)
        codes.append(order.fulfillment.pickup_code)
    app.config["DESK_CODES"] = codes


def open_last_look(page, code):
    box = page.locator("section.code-box")
    box.get_by_label(t("Pickup code"), exact=True).fill(code)
    box.get_by_role("button", name=t("Find order")).click()
    expect(page.get_by_test_id("collect")).to_have_text("¥1,680.00")


@pytest.mark.parametrize("live_shop", [_seed], indirect=True, ids=["desk"])
def test_the_clerk_records_how_the_customer_paid(people, live_shop):
    staff = people("clerk", locale="zh-CN", **PHONE)
    staff.sign_in(t, STAFF_EMAIL)
    page = staff.page
    cash_code, wechat_code = live_shop.app.config["DESK_CODES"]

    open_last_look(page, cash_code)
    choice = page.get_by_test_id("paid-method")
    expect(choice.get_by_role("radio")).to_have_count(4)
    for radio in choice.get_by_role("radio").all():
        expect(radio).not_to_be_checked()  # nothing is chosen for the clerk
    expect(page.get_by_text(t("— not recorded —"))).to_have_count(0)
    fits_the_phone(page)
    staff.shot("last-look-nothing-chosen")
    # confirming without a choice is stopped (the browser asks; the server would too)
    page.get_by_role("button", name=t("Confirm hand-over")).click()
    expect(page.get_by_test_id("collect")).to_be_visible()
    choice.get_by_label(t("Cash")).check()
    page.get_by_test_id("tendered").fill("2000")
    expect(page.get_by_test_id("change")).to_have_text(t("Change to give") + " ¥320.00")
    staff.shot("cash-change")
    page.get_by_role("button", name=t("Confirm hand-over")).click()
    expect(page.locator(".flash.success")).to_contain_text("¥320.00")
    staff.shot("cash-handed-over")

    open_last_look(page, wechat_code)
    page.get_by_test_id("paid-method").get_by_label(t("WeChat Pay (scan)")).check()
    expect(page.get_by_test_id("cash-box")).to_be_hidden()
    page.get_by_role("button", name=t("Confirm hand-over")).click()
    expect(page.locator(".flash.success")).to_contain_text(t("WeChat Pay (scan)"))
    fits_the_phone(page)
    staff.shot("wechat-handed-over")

    with live_shop.app.app_context():
        from core.extensions import db
        from storefront.payments.models import Payment

        paid = sorted((p.method, p.amount) for p in db.session.execute(
            sa.select(Payment)).scalars())
    assert paid == [("cash", 168000), ("wechat_scan", 168000)]
    assert not staff.problems, staff.problems
