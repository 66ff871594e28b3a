"""An agent's day in the customer center, in zh_CN: the queue, a call with its script beside
the 360, the outcome, a complaint logged from the call, and its resolution."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from .support import AGENT_EMAIL, DESKTOP, PASSWORD, SHOP, seed_shop, translator

pytestmark = pytest.mark.browser
t = translator("zh_CN")
CUSTOMER, PHONE_NUMBER = "沈佳怡", "13811112222"


def seed_day(app) -> None:
    """The shop, and a shopper whose pickup was handed over three days ago: her
    satisfaction call is due now."""
    from core.cli import create_user
    from core.clock import utcnow
    from core.extensions import db
    from core.models import Role, User
    from crm.followups.models import FollowUp
    from fulfillment import services as desk
    from fulfillment.models import Center
    from storefront.models import Product
    from storefront.orders import place_order

    seed_shop(app)
    shopper = create_user("shen.jiayi@example.com", PASSWORD, CUSTOMER, Role.CUSTOMER, None)
    shopper.phone = PHONE_NUMBER
    store = db.session.execute(sa.select(Center).where(
        Center.code == SHOP.store["code"])).scalar_one()
    clerk = db.session.execute(sa.select(User).where(User.role == Role.STAFF)).scalars().first()
    sku = db.session.execute(sa.select(Product.sku).where(
        Product.sku == SHOP.products[1]["sku"])).scalar_one()
    order = place_order(shopper, lines=[{"sku": sku, "quantity": 2}],
                        fulfillment={"method": "pickup", "center_id": store.id},
                        payment_method="pay_at_pickup")
    desk.mark_ready(order.fulfillment, clerk)
    desk.hand_over(order.fulfillment, order.fulfillment.pickup_code, clerk,
                   collected={"method": "cash"})
    call = db.session.execute(sa.select(FollowUp).where(FollowUp.order_id == order.id)
                              ).scalar_one()
    call.due_at = utcnow() - timedelta(hours=1)


@pytest.mark.parametrize("live_shop", [seed_day], indirect=True)
def test_an_agents_day_zh_cn(people, live_shop):
    agent = people("agent", locale="zh-CN", **DESKTOP)
    page = agent.page
    agent.sign_in(t, AGENT_EMAIL)
    expect(page).to_have_url(re.compile(r"/crm$"))

    # The queue: today's call, the phone masked.
    due = page.get_by_test_id(re.compile(r"followup-\d+")).filter(has_text=CUSTOMER)
    expect(due).to_contain_text("138****2222")
    expect(due).to_contain_text(t("Satisfaction call"))
    agent.shot("queue")
    due.get_by_role("link", name=t("Call")).click()
    page.wait_for_url(re.compile(r"/crm/followups/\d+$"))

    # The call: the script with her name and the product, the 360 with the whole number.
    expect(page.get_by_test_id("script")).to_contain_text(CUSTOMER)
    expect(page.get_by_test_id("script")).to_contain_text(SHOP.products[1]["name_zh"])
    expect(page.get_by_test_id("phone-full")).to_have_text(PHONE_NUMBER)
    agent.shot("script")

    # The outcome: reached, not happy: the tin was dented.
    page.get_by_label(t("Outcome"), exact=True).select_option("reached")
    page.get_by_label(t("Satisfaction"), exact=True).select_option("2")
    page.get_by_label(t("Notes"), exact=True).fill("罐子有凹痕，客户不太满意")
    page.get_by_role("button", name=t("Save outcome")).click()
    page.wait_for_url(re.compile(r"/crm$"))
    expect(page.locator(".flash.success")).to_contain_text(CUSTOMER)
    agent.shot("outcome-saved")

    # A complaint from the call's customer: from the 360.
    page.get_by_label(t("Find a customer")).fill("2222")
    page.get_by_role("button", name=t("Find"), exact=True).click()
    page.get_by_role("link", name=CUSTOMER).click()
    page.wait_for_url(re.compile(r"/crm/customers/\d+$"))
    page.get_by_test_id("log-complaint").click()
    page.wait_for_url(re.compile(r"/complaints/new"))
    page.get_by_label(t("Category"), exact=True).select_option("quality")
    page.get_by_label(t("Severity"), exact=True).select_option("high")
    page.get_by_label(t("What went wrong"), exact=True).fill("奶粉罐有凹痕，担心密封")
    agent.shot("complaint-form")
    page.get_by_role("button", name=t("Log the complaint")).click()
    page.wait_for_url(re.compile(r"/crm/complaints/\d+$"))
    expect(page.get_by_test_id("complaint-status")).to_have_text(t("Open"))

    # Its way to resolution: acknowledge, investigate, resolve with the remedy and the cause.
    for step in ("Acknowledge", "Investigate (or reopen)"):
        page.get_by_label(t("Next step"), exact=True).select_option(label=t(step))
        page.get_by_role("button", name=t("Save step")).click()
        expect(page.locator(".flash.success")).to_be_visible()
    expect(page.get_by_test_id("complaint-status")).to_have_text(t("Investigating"))
    page.get_by_label(t("Next step"), exact=True).select_option(label=t("Resolve"))
    page.get_by_role("button", name=t("Save step")).click()
    expect(page.locator(".errors").first).to_be_visible()  # the cause is missing
    page.get_by_label(t("Next step"), exact=True).select_option(label=t("Resolve"))
    # logged from the 360, so there is no order to replace: an apology
    page.get_by_label(t("Remedy"), exact=True).select_option("apology")
    page.get_by_label(t("Root cause"), exact=True).fill("运输途中挤压")
    page.get_by_label(t("Prevention"), exact=True).fill("奶粉单独装箱并加护角")
    page.get_by_role("button", name=t("Save step")).click()
    expect(page.get_by_test_id("complaint-status")).to_have_text(t("Resolved"))
    expect(page.get_by_test_id("history")).to_contain_text(t("Acknowledged"))
    agent.shot("resolved")
    problems = list(agent.problems)
    assert not problems, "\n".join(problems)
