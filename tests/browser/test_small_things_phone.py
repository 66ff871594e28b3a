"""The small things on a phone in Chinese (390 x 844): signing in with a guest cart says the
carts were joined and what was added up; the ready pickup shows its deadline and a plain
map link (no map script); the order confirmation waits in the outbox."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from .support import PASSWORD, PHONE, SHOP, seed_shop, translator
from .test_desks_phone import fits_the_phone

pytestmark = pytest.mark.browser

t = translator("zh_CN")
SHOPPER_EMAIL = "he.small@example.com"
FORMULA = SHOP.products[1]


def _seed(app):
    """The shop; a shopper with a tin of formula in the account's cart and a ready pickup."""
    seed_shop(app)
    from core.cli import create_user
    from core.extensions import db
    from core.models import User
    from fulfillment.models import Center
    from fulfillment.services import mark_ready
    from storefront.models import CartItem, Product
    from storefront.orders import place_order

    shopper = create_user(SHOPPER_EMAIL, PASSWORD, "何女士", "customer", None)
    shopper.phone = "13600004444"
    db.session.flush()
    product = db.session.query(Product).filter_by(sku=FORMULA["sku"]).one()
    db.session.add(CartItem(user_id=shopper.id, product_id=product.id, quantity=1))
    store = db.session.query(Center).filter_by(code=SHOP.store["code"]).one()
    order = place_order(shopper, lines=[{"sku": SHOP.products[0]["sku"], "quantity": 1}],
                        fulfillment={"method": "pickup", "center_id": store.id},
                        payment_method="pay_at_pickup")
    staff = db.session.execute(sa.select(User).where(User.role == "staff")).scalars().first()
    mark_ready(order.fulfillment, staff)
    app.config["SMALL_ORDER"] = order.public_id


@pytest.mark.parametrize("live_shop", [_seed], indirect=True, ids=["shopper"])
def test_merge_notice_deadline_and_map_link(people, live_shop):
    shopper = people("shopper", locale="zh-CN", **PHONE)
    page = shopper.page
    page.goto(f"/products/{FORMULA['slug']}")
    page.get_by_role("button", name=t("Add to cart")).click()
    expect(page.locator(".flash.success")).to_be_visible()
    shopper.sign_in(t, SHOPPER_EMAIL)
    notice = page.locator(".flash.warning")
    expect(notice).to_contain_text(FORMULA["name_zh"])
    expect(notice).to_contain_text("数量已累加")
    fits_the_phone(page)
    shopper.shot("cart-merged")

    page.goto(f"/orders/{live_shop.app.config['SMALL_ORDER']}")
    deadline = page.get_by_test_id("pickup-deadline")
    expect(deadline).to_contain_text("前取货")
    assert not re.search(r"\d:\d\d:\d\d", deadline.inner_text())  # no seconds
    link = page.get_by_test_id("map-link")
    expect(link).to_have_text(t("Open in maps"))
    assert link.get_attribute("href").startswith("https://uri.amap.com/marker?")
    fits_the_phone(page)
    shopper.shot("ready-with-deadline-and-map")

    with live_shop.app.app_context():
        from core.extensions import db
        from crm.outreach.models import OutboxMessage

        kinds = set(db.session.execute(sa.select(OutboxMessage.kind)).scalars())
    assert "order_confirmed" in kinds
    assert not shopper.problems, shopper.problems
