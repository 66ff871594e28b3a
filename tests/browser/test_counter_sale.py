"""A sale at the counter on a phone (390 px) without BarcodeDetector: the clerk films the
member's VIP card and the tin's EAN-13 (a fake camera stream; the vendored ZXing reads
both), takes cash with change, and the receipt shows it; the member's points, the
customer 360 and the follow-up queue show the sale."""

import json
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.support.barcodes import ean13_data_uri

from .support import AGENT_EMAIL, DESKTOP, PHONE, SHOP, STAFF_EMAIL, translator
from .test_desk_member import _seed_member
from .test_desk_qr import _shopper_qr
from .test_desks_phone import HUB_STAFF, fits_the_phone

pytestmark = pytest.mark.browser

t = translator("en")
BARCODE = "6901234567892"
SKU = SHOP.products[0]["sku"]  # 1,680.00; 1,580.00 for members
GIFT_BOX = SHOP.products[2]["sku"]  # 2,980.00; none left at the Jing'an store

#: no BarcodeDetector; the "camera" films a canvas showing the image ``window.__img``
FAKE_CAMERA = """
delete window.BarcodeDetector;
if (!navigator.mediaDevices) {
  Object.defineProperty(navigator, "mediaDevices", {value: {}, configurable: true});
}
navigator.mediaDevices.getUserMedia = function () {
  return new Promise(function (resolve) {
    var canvas = document.createElement("canvas");
    canvas.width = 640; canvas.height = 480;
    var ctx = canvas.getContext("2d");
    var img = new Image(), shown = null;
    var paint = function () {
      if (shown !== window.__img) { shown = window.__img; img.src = shown; }
      ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, 640, 480);
      if (img.complete && img.naturalWidth) {
        var scale = Math.min(560 / img.naturalWidth, 400 / img.naturalHeight);
        var w = img.naturalWidth * scale, h = img.naturalHeight * scale;
        ctx.drawImage(img, (640 - w) / 2, (480 - h) / 2, w, h);
      }
    };
    paint();
    window.setInterval(paint, 100);
    resolve(canvas.captureStream(10));
  });
};
"""


def _seed(app):
    """The desks' shop with a VIP member; the sea cucumber carries its EAN-13."""
    _seed_member(app)
    from core.extensions import db
    from storefront.models import Product

    db.session.execute(sa.update(Product).where(Product.sku == SKU).values(barcode=BARCODE))
    from fulfillment.models import Center, Stock

    store_id = db.session.execute(sa.select(Center.id).where(
        Center.code == SHOP.store["code"])).scalar_one()
    box = db.session.execute(sa.select(Product.id).where(Product.sku == GIFT_BOX)).scalar_one()
    db.session.execute(sa.update(Stock).where(Stock.center_id == store_id,
                                              Stock.product_id == box).values(on_hand=0))


def _film(page, image: str) -> None:
    page.evaluate(f"window.__img = {json.dumps(image)}")
    page.get_by_role("button", name=t("Camera")).click()


@pytest.mark.parametrize("live_shop", [_seed], indirect=True, ids=["counter"])
def test_a_member_buys_at_the_counter_on_a_phone(people, live_shop):
    app = live_shop.app
    card = app.config["DESK_CARD"]
    staff = people("staff", locale="en-US", **PHONE)
    staff.context.add_init_script("window.__img = '';" + FAKE_CAMERA)
    staff.page.goto("/lang/en?next=/login")
    staff.sign_in(t, STAFF_EMAIL)
    page = staff.page
    page.get_by_role("link", name=t("Sell")).click()
    expect(page.get_by_test_id("ticket-empty")).to_be_visible()
    fits_the_phone(page)

    _film(page, _shopper_qr(card))  # the member's card
    member = page.get_by_test_id("counter-member")
    expect(member).to_contain_text("陈思远", timeout=30_000)  # decoding frames on a busy machine
    expect(member).to_contain_text("*******1111")
    assert "13700001111" not in member.inner_text()
    staff.shot("member-scanned")

    _film(page, ean13_data_uri(BARCODE))  # the tin
    line = page.get_by_test_id(f"line-{SKU}")
    expect(line.get_by_test_id("qty")).to_have_text("1", timeout=30_000)
    expect(page.get_by_test_id("total")).to_have_text("¥1,580.00")
    staff.shot("ticket")
    fits_the_phone(page)

    page.get_by_test_id("tendered").fill("1600")
    expect(page.locator("[data-change]")).to_have_text("¥20.00")
    page.get_by_role("button", name=t("Cash"), exact=True).click()
    expect(page.get_by_test_id("receipt-total")).to_have_text("¥1,580.00")
    expect(page.get_by_test_id("receipt-change")).to_have_text("¥20.00")
    number = page.get_by_test_id("receipt-number").inner_text()
    assert re.fullmatch(r"SH-\d{8}-\d{4,}", number)
    staff.shot("receipt")
    fits_the_phone(page)
    assert not staff.problems, staff.problems

    with app.app_context():
        from core.extensions import db
        from storefront.loyalty.models import Membership

        points = db.session.execute(sa.select(Membership.points).where(
            Membership.card_number == card)).scalar_one()
    assert points == 1580  # one point a yuan at the entry tier

    agent = people("agent", locale="en-US", **DESKTOP)
    agent.page.goto("/lang/en?next=/login")
    agent.sign_in(t, AGENT_EMAIL)
    queue = agent.page.get_by_test_id(re.compile(r"followup-\d+")).filter(has_text="陈思远")
    expect(queue.first).to_contain_text(t("Satisfaction call"))
    agent.shot("queue")
    agent.page.get_by_label(t("Find a customer")).fill("1111")
    agent.page.get_by_label(t("Find a customer")).press("Enter")
    agent.page.get_by_role("link", name="陈思远").first.click()
    expect(agent.page.locator("main")).to_contain_text(number)
    agent.shot("customer-360")
    assert not agent.problems, agent.problems


@pytest.mark.parametrize("live_shop", [_seed], indirect=True, ids=["counter"])
def test_the_store_lacks_it_and_another_center_delivers(people, live_shop):
    app = live_shop.app
    staff = people("staff", locale="en-US", **PHONE)
    staff.context.add_init_script("window.__img = '';" + FAKE_CAMERA)
    staff.page.goto("/lang/en?next=/login")
    staff.sign_in(t, STAFF_EMAIL)
    page = staff.page
    page.goto("/desk/sell")
    _film(page, _shopper_qr(app.config["DESK_CARD"]))
    expect(page.get_by_test_id("counter-member")).to_contain_text("陈思远", timeout=30_000)
    page.get_by_test_id("counter-code").fill(GIFT_BOX)
    page.get_by_test_id("counter-code").press("Enter")  # as a USB scanner does
    line = page.get_by_test_id(f"line-{GIFT_BOX}")
    expect(line).to_contain_text(t("%(n)d in store", n=0))
    page.get_by_test_id("deliver").locator("summary").click()
    page.get_by_label(t("How it reaches the customer")).select_option("delivery")
    for field, value in (("Name", "陈思远"), ("Phone", "13700001111"), ("Province", "上海市"),
                         ("City", "上海市"), ("District", "浦东新区"),
                         ("Street", "世纪大道 100 号")):
        page.get_by_label(t(field), exact=True).fill(value)
    fits_the_phone(page)
    staff.shot("deliver-instead")
    page.get_by_role("button", name=t("WeChat Pay"), exact=True).click()
    sender = page.get_by_test_id("receipt-sender")
    expect(sender).to_contain_text(SHOP.second["name_en"])
    number = page.get_by_test_id("receipt-number").inner_text()
    staff.shot("receipt-delivered-from-elsewhere")
    fits_the_phone(page)
    assert not staff.problems, staff.problems

    with app.app_context():  # the Pudong center delivers it
        from core.extensions import db
        from core.models import User
        from fulfillment import services as desk
        from storefront.loyalty.models import Membership
        from storefront.models import Order

        order = db.session.execute(sa.select(Order).where(Order.number == number)).scalar_one()
        courier = db.session.execute(sa.select(User).where(
            User.email == HUB_STAFF)).scalar_one()
        assert (order.channel, order.status, order.paid_amount) == (
            "store", "paid", order.total_amount)
        desk.dispatch(order.fulfillment, courier)
        desk.mark_delivered(order.fulfillment, courier, received_by="陈思远")
        db.session.commit()
        points = db.session.execute(sa.select(Membership.points).where(
            Membership.card_number == app.config["DESK_CARD"])).scalar_one()
        assert db.session.get(Order, order.id).status == "fulfilled"
        assert points == 2980


@pytest.mark.parametrize("live_shop", [_seed], indirect=True, ids=["counter"])
def test_the_counter_on_a_tablet(people, live_shop):
    staff = people("staff", locale="en-US", viewport={"width": 1024, "height": 768},
                   has_touch=True)
    staff.page.goto("/lang/en?next=/login")
    staff.sign_in(t, STAFF_EMAIL)
    page = staff.page
    page.goto("/desk/sell")
    page.get_by_test_id("counter-code").fill(BARCODE)
    page.get_by_test_id("counter-code").press("Enter")
    expect(page.get_by_test_id(f"line-{SKU}")).to_be_visible()
    member = page.get_by_test_id("counter-member").bounding_box()
    ticket = page.get_by_test_id("ticket").bounding_box()
    assert ticket["x"] > member["x"] + member["width"] - 1  # side by side
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    staff.shot("tablet")
    assert not staff.problems, staff.problems
