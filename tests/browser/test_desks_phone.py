"""Both desks on a phone (390 x 844): a pickup handed over in two parts after a last look,
paid at the counter; a delivery dispatched with a courier, failed, sent again, delivered."""


import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from .support import PASSWORD, PHONE, SHOP, STAFF_EMAIL, seed_shop, translator

pytestmark = pytest.mark.browser

t = translator("en")
HUB_STAFF = "wu.pd@haiyun.test"
SEA_CUCUMBER_SKU = SHOP.products[0]["sku"]


def _seed(app):
    """The shop, a clerk at the Pudong center, a ready pickup of two units and a delivery."""
    seed_shop(app)
    from core.cli import create_user
    from core.extensions import db
    from core.models import Role, User
    from fulfillment.models import Center
    from fulfillment.services import mark_ready
    from storefront.accounts import register_user
    from storefront.orders import place_order

    create_user(HUB_STAFF, PASSWORD, "吴强（浦东）", Role.STAFF, SHOP.second["code"])
    shopper, _ = register_user(email="chen.siyuan@example.com", password=PASSWORD,
                               name="陈思远", phone="13700001111")
    store = db.session.execute(
        sa.select(Center).where(Center.code == SHOP.store["code"])).scalar_one()
    order = place_order(shopper, lines=[{"sku": SEA_CUCUMBER_SKU, "quantity": 2}],
                        fulfillment={"method": "pickup", "center_id": store.id},
                        payment_method="pay_at_pickup")
    staff = db.session.execute(sa.select(User).where(User.email == STAFF_EMAIL)).scalar_one()
    mark_ready(order.fulfillment, staff)
    place_order(shopper, lines=[{"sku": SEA_CUCUMBER_SKU, "quantity": 1}],
                fulfillment={"method": "delivery", "address": {
                    "name": "陈思远", "phone": "13700001111", "province": "上海市",
                    "city": "上海市", "district": "浦东新区", "street": "世纪大道 100 号"}},
                payment_method="cash_on_delivery")
    app.config["DESK_CODE"] = order.fulfillment.pickup_code


def fits_the_phone(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.mark.parametrize("live_shop", [_seed], indirect=True, ids=["desks"])
def test_pickup_desk_on_a_phone(people, live_shop):
    staff = people("staff", locale="en-US", **PHONE)
    staff.page.goto("/lang/en?next=/login")
    staff.sign_in(t, STAFF_EMAIL)
    page = staff.page
    code = live_shop.app.config["DESK_CODE"]
    fits_the_phone(page)
    box = page.locator("section.code-box")
    box.get_by_label(t("Pickup code"), exact=True).fill(code)
    box.get_by_role("button", name=t("Find order")).click()
    expect(page.locator("main")).to_contain_text("陈思远")  # the last look
    fits_the_phone(page)
    staff.shot("last-look")
    page.get_by_test_id("take").fill("1")
    page.get_by_test_id("paid-method").get_by_label(t("Cash")).check()
    page.get_by_role("button", name=t("Confirm hand-over")).click()
    expect(page.locator(".flash.success")).to_contain_text("the rest stays reserved")
    staff.shot("part-handed-over")
    box = page.locator("section.code-box")
    box.get_by_label(t("Pickup code"), exact=True).fill(code)
    box.get_by_role("button", name=t("Find order")).click()
    expect(page.get_by_test_id("take")).to_have_value("1")
    page.get_by_test_id("paid-method").get_by_label(t("WeChat Pay (scan)")).check()
    page.get_by_role("button", name=t("Confirm hand-over")).click()
    expect(page.locator(".flash.success")).to_contain_text("handed over")
    expect(page.locator("article.work-item .head .badge").first).to_have_text(t("Picked up"))
    staff.shot("handed-over")
    fits_the_phone(page)
    assert not staff.problems, staff.problems


@pytest.mark.parametrize("live_shop", [_seed], indirect=True, ids=["desks"])
def test_delivery_desk_on_a_phone(people, live_shop):
    staff = people("courier-desk", locale="en-US", **PHONE)
    staff.page.goto("/lang/en?next=/login")
    staff.sign_in(t, HUB_STAFF)
    page = staff.page
    page.goto("/desk?tab=delivery")
    item = page.locator("article.work-item").filter(has_text="世纪大道")
    expect(item).to_have_count(1)
    expect(item.get_by_test_id("courier")).to_be_visible()
    fits_the_phone(page)
    staff.shot("delivery-queue")
    item.get_by_role("button", name=t("Dispatch")).click()
    expect(page.locator(".flash.success")).to_contain_text("is on its way")
    item = page.locator("article.work-item").filter(has_text="世纪大道")
    item.locator("summary", has_text=t("Delivery failed")).click()
    item.get_by_label(t("Why"), exact=True).fill("家中无人")
    item.get_by_role("button", name=t("Back to the queue")).click()
    expect(page.locator(".flash.success")).to_contain_text("back in the queue")
    staff.shot("failed")
    item = page.locator("article.work-item").filter(has_text="世纪大道")
    item.get_by_role("button", name=t("Dispatch")).click()
    item = page.locator("article.work-item").filter(has_text="世纪大道")
    item.get_by_placeholder(t("Received by")).fill("前台")
    item.get_by_test_id("paid-method").select_option("wechat_scan")  # nothing is assumed
    item.get_by_role("button", name=t("Delivered")).click()
    expect(page.locator(".flash.success")).to_contain_text("is delivered")
    fits_the_phone(page)
    staff.shot("delivered")
    with live_shop.app.app_context():
        from core.extensions import db
        from fulfillment.models import Fulfillment

        f = db.session.execute(sa.select(Fulfillment).where(
            Fulfillment.method == "delivery")).scalar_one()
        assert (f.status, f.failed_attempts, f.last_failure_reason, f.received_by_name) == (
            "delivered", 1, "家中无人", "前台")
        from storefront.payments.models import Payment

        assert db.session.execute(sa.select(Payment.method).where(
            Payment.order_id == f.order_id)).scalars().all() == ["wechat_scan"]
    assert not staff.problems, staff.problems


@pytest.mark.parametrize("live_shop", [_seed], indirect=True, ids=["desks"])
def test_the_queue_refreshes_in_place(people, live_shop):
    staff = people("refresh", locale="en-US", **PHONE)
    staff.page.goto("/lang/en?next=/login")
    staff.sign_in(t, STAFF_EMAIL)
    page = staff.page
    page.evaluate("window.__sameDocument = true")
    with live_shop.app.app_context():
        from core.extensions import db
        from core.models import User
        from fulfillment.models import Center
        from storefront.orders import place_order

        shopper = db.session.execute(sa.select(User).where(
            User.email == "chen.siyuan@example.com")).scalar_one()
        store = db.session.execute(
            sa.select(Center).where(Center.code == SHOP.store["code"])).scalar_one()
        number = place_order(shopper, lines=[{"sku": SEA_CUCUMBER_SKU, "quantity": 1}],
                             fulfillment={"method": "pickup", "center_id": store.id},
                             payment_method="pay_at_pickup").number
        db.session.commit()
    page.evaluate("window.deskRefresh()")
    expect(page.locator("article.work-item").filter(has_text=number)).to_have_count(1)
    assert page.evaluate("window.__sameDocument") is True  # no full reload
    assert not staff.problems, staff.problems
