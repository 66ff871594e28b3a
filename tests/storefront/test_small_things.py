"""The small things a shopper notices: a notice when the guest cart joins the account's,
the pickup deadline and a map link with the code, the courier fee called what it is, times
without seconds, tier names in English."""

import re
from datetime import UTC, datetime

from flask_babel import force_locale

from core.extensions import db
from core.i18n import localtime_filter
from fulfillment import services as desk
from storefront import cart as carts
from storefront.loyalty.membership import sign_up_member
from storefront.orders import place_order
from tests.conftest import PASSWORD, delivery_address
from tests.support.pages import login

from .test_courier import warehouse  # noqa: F401
from .test_pages import add_to_cart, english, page


def sign_in_with_password(client, user):
    return client.post("/login", data={"identifier": user.email, "password": PASSWORD},
                       follow_redirects=True).get_data(as_text=True)


def test_a_merged_cart_is_announced_with_what_was_added_up(client, shop, session):
    a, b = shop.products[:2]
    carts.add_item(shop.shopper, {}, a.id, 1)
    english(client)
    add_to_cart(client, a, 2)
    add_to_cart(client, b, 1)
    html = sign_in_with_password(client, shop.shopper)
    assert f"the quantities of {a.name_en} were added up" in html


def test_a_guest_cart_into_an_empty_account_cart_says_nothing_more(client, shop, session):
    english(client)
    add_to_cart(client, shop.products[0], 1)
    html = sign_in_with_password(client, shop.shopper)
    assert "added up" not in html and "already in your cart" not in html


def test_a_merge_into_a_cart_with_other_items_is_announced(client, shop, session):
    a, b = shop.products[:2]
    carts.add_item(shop.shopper, {}, a.id, 1)
    english(client)
    add_to_cart(client, b, 1)
    html = sign_in_with_password(client, shop.shopper)
    assert "added to the items already in your cart" in html


def test_the_ready_pickup_shows_its_deadline_and_a_map_link(client, shop, session):
    order = place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                        fulfillment={"method": "pickup", "center_id": shop.store.id},
                        payment_method="pay_at_pickup")
    desk.mark_ready(order.fulfillment, shop.clerk)
    db.session.commit()
    login(client, shop.shopper, lang="zh_CN")
    html = page(client, f"/orders/{order.public_id}")
    deadline = re.search(r'data-testid="pickup-deadline"><strong>([^<]+)', html).group(1)
    assert "前取货" in deadline and not re.search(r"\d:\d\d:\d\d", deadline)
    link = re.search(r'href="(https://uri\.amap\.com/marker\?[^"]+)"[^>]*data-testid="map-link"',
                     html).group(1)
    assert f"{shop.store.lng:.6f},{shop.store.lat:.6f}" in link.replace("%2C", ",")
    assert "<script" not in html.split("<main", 1)[1].split("</main>")[0]


def test_the_courier_fee_is_called_a_courier_fee(client, shop, session,
                                                 warehouse):  # noqa: F811
    order = place_order(shop.shopper, lines=[{"sku": shop.products[1].sku, "quantity": 1}],
                        fulfillment={"method": "courier",
                                     "address": delivery_address(district="宝山区")},
                        payment_method="cash_on_delivery")
    db.session.commit()
    assert order.delivery_fee_amount > 0
    login(client, shop.shopper, lang="zh_CN")
    html = page(client, f"/orders/{order.public_id}")
    assert 'data-testid="fee-label">快递运费<' in html


def test_times_are_shown_without_seconds(app):
    moment = datetime(2026, 11, 29, 7, 8, 58, tzinfo=UTC)
    with app.test_request_context():
        with force_locale("zh_CN"):
            assert localtime_filter(moment) == "2026年11月29日 15:08"
        with force_locale("en"):
            assert localtime_filter(moment).replace("\u202f", " ") == "Nov 29, 2026, 3:08 PM"


def test_tier_names_are_in_english_on_the_member_page(client, shop, session):
    sign_up_member(shop.shopper, name="王丽", phone="13800000001")
    db.session.commit()
    english(client)
    login(client, shop.shopper)
    html = page(client, "/member")
    assert "Classic" in html and "普卡" not in html and "银卡" not in html
