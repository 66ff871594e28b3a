"""The member at the desk on a phone, without BarcodeDetector: the clerk scans the VIP card's
QR on the member page, and a card scanned in the pickup code box lands there too."""

import pytest
from playwright.sync_api import expect

from .support import translator
from .test_desk_qr import staff_filming
from .test_desks_phone import _seed, fits_the_phone

pytestmark = pytest.mark.browser

t = translator("en")


def _seed_member(app):
    """The desks' shop, and the shopper is a VIP member."""
    _seed(app)
    import sqlalchemy as sa

    from core.extensions import db
    from core.models import User
    from storefront.loyalty.membership import sign_up_member

    shopper = db.session.execute(
        sa.select(User).where(User.email == "chen.siyuan@example.com")).scalar_one()
    app.config["DESK_CARD"] = sign_up_member(shopper, name="陈思远", phone="13700001111",
                                             city="上海市").card_number


@pytest.mark.parametrize("live_shop", [_seed_member], indirect=True, ids=["desks"])
def test_scan_a_card_on_the_member_page(people, live_shop):
    staff, card = staff_filming(people, live_shop, "DESK_CARD")
    page = staff.page
    page.get_by_role("link", name=t("Members")).click()
    page.get_by_role("button", name=t("Scan QR")).click()
    member = page.get_by_test_id("desk-member")
    expect(member).to_contain_text("陈思远")
    expect(member).to_contain_text(card)
    expect(page.get_by_test_id("card-status")).to_contain_text(t("Valid"))
    staff.shot("member-found-by-scan")
    fits_the_phone(page)
    assert not staff.problems, staff.problems


@pytest.mark.parametrize("live_shop", [_seed_member], indirect=True, ids=["desks"])
def test_a_card_in_the_pickup_code_box_opens_the_member(people, live_shop):
    staff, card = staff_filming(people, live_shop, "DESK_CARD")
    page = staff.page
    page.goto("/desk")
    page.get_by_role("button", name=t("Scan QR")).click()
    expect(page.get_by_test_id("desk-member")).to_contain_text("陈思远")
    assert "/desk/member" in page.url and card in page.url
    assert not staff.problems, staff.problems
