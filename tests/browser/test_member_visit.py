"""A member's visit on a phone, in zh_CN: sign up for the club, read the guide for a
6-month-old, register for an event, and see the points of a pickup.

The pickup itself happens at the desk (the services, in the live app), as the whole-path
test already drives the desk in its own browser.
"""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from core.clock import utcnow
from tests.support.messages import sms_of

from .support import PHONE, SHOP, STAFF_EMAIL, seed_shop, translator

pytestmark = pytest.mark.browser

zh = translator("zh_CN")
SIX_MONTHS = "6 月龄辅食添加指南"
PREGNANCY = "孕期饮食指南"
LECTURE = "亲子营养讲座"


def seed_club(app) -> None:
    from core.clock import utcnow
    from core.extensions import db
    from crm.club.models import Article, Event

    seed_shop(app)
    audience = {"tiers": [], "interests": [], "cities": []}
    published = utcnow() - timedelta(days=1)
    db.session.add_all([
        Article(title=SIX_MONTHS, summary="第一口吃什么", body_md="## 强化铁米粉\n\n**一次一种**",
                publish_from=published, age_min_months=5, age_max_months=8, **audience),
        Article(title=PREGNANCY, body_md="…", publish_from=published, for_pregnancy=True,
                **audience),
        Event(title=LECTURE, starts_at=utcnow() + timedelta(days=5), city="上海市",
              address="静安区南京西路1266号", capacity=20, seats_taken=0,
              age_min_months=3, age_max_months=12, **audience),
    ])


@pytest.mark.parametrize("live_shop", [seed_club], indirect=True)
def test_member_visit_on_a_phone(people, live_shop):
    member = people("member", locale="zh-CN", **PHONE)
    page = member.page
    page.goto("/login")  # a mother opens her account with her phone and an SMS code
    page.get_by_label(zh("Mobile number"), exact=True).fill("138 1234 5678")
    page.get_by_role("button", name=zh("Text me a code")).click()
    page.wait_for_url(re.compile(r"/login/code"))
    code = sms_of(live_shop.app).code_for("13812345678")
    page.get_by_label(zh("Code from the SMS"), exact=True).fill(code)
    page.get_by_label(zh("Your name (for a new account; optional)"), exact=True).fill("王丽")
    page.locator("main form").get_by_role("button", name=zh("Sign in"), exact=True).click()
    page.wait_for_url(re.compile(r"/account$"))

    page.goto("/vip")
    page.get_by_label(zh("Mobile phone"), exact=True).fill("13812345678")
    baby = (utcnow() - timedelta(days=183)).date().isoformat()
    page.get_by_label(zh("Baby's birth date or due date (optional)"), exact=True).fill(baby)
    page.get_by_label(zh("City (optional)"), exact=True).fill("上海市")
    member.shot("vip-form")
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_test_id("vip-card")).to_be_visible()

    page.goto("/member")
    expect(page.get_by_test_id("member-qr")).to_be_visible()
    expect(page.get_by_test_id("picked-content")).to_contain_text(SIX_MONTHS)
    expect(page.get_by_test_id("next-event")).to_contain_text(LECTURE)
    member.shot("member-home")

    page.get_by_role("link", name=zh("Guides"), exact=True).click()
    articles = page.get_by_test_id("member-articles")
    expect(articles).to_contain_text(SIX_MONTHS)
    expect(articles).not_to_contain_text(PREGNANCY)
    page.get_by_role("link", name=SIX_MONTHS).click()
    expect(page.get_by_test_id("article").locator("strong")).to_have_text("一次一种")
    member.shot("article")

    page.get_by_role("link", name=zh("Events"), exact=True).click()
    page.get_by_role("link", name=LECTURE).click()
    page.get_by_label(zh("People coming"), exact=True).fill("2")
    page.get_by_role("button", name=zh("Register"), exact=True).click()
    expect(page.get_by_test_id("registration-status")).to_have_text(zh("Registered"))
    member.shot("registered")

    _pickup_at_the_desk(live_shop.app, "13812345678")
    page.goto("/member")
    points = SHOP.products[0]["member_price"] // 100  # 1 point per yuan at 普卡
    expect(page.get_by_test_id("member-points")).to_have_text(str(points))
    page.get_by_role("link", name=zh("Points"), exact=True).click()
    expect(page.get_by_test_id("points-ledger")).to_contain_text(zh("Earned on an order"))
    member.shot("points")
    assert re.search(r"\d", page.get_by_test_id("points-ledger").inner_text())
    assert member.problems == []


def _pickup_at_the_desk(app, phone: str) -> None:
    """The member's order for one unit of the first product, readied and handed over."""
    from core.extensions import db
    from core.models import User
    from fulfillment import services as desk
    from fulfillment.models import Center
    from storefront.orders import place_order

    with app.app_context():
        user = db.session.execute(sa.select(User).where(User.phone == phone)).scalar_one()
        clerk = db.session.execute(sa.select(User).where(User.email == STAFF_EMAIL)).scalar_one()
        store = db.session.execute(sa.select(Center).where(
            Center.code == SHOP.store["code"])).scalar_one()
        order = place_order(user, lines=[{"sku": SHOP.products[0]["sku"], "quantity": 1}],
                            fulfillment={"method": "pickup", "center_id": store.id},
                            payment_method="pay_at_pickup")
        desk.mark_ready(order.fulfillment, clerk)
        desk.hand_over(order.fulfillment, order.fulfillment.pickup_code, clerk,
                       collected={"method": "cash"})
        db.session.commit()
        db.session.remove()
