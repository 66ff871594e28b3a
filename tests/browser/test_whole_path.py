"""The whole path in a real browser: a shopper orders for pickup, the store hands it over
against the code the shopper sees, and the customer center finds the follow-up it schedules.

Runs on SQLite only: the path is what matters here (the rules are tested on both backends
elsewhere). Screenshots of every step go to test-artifacts/browser/<test name>/.
"""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from core.phones import mobile_number
from tests.support.messages import sms_of

from .support import (
    AGENT_EMAIL,
    CJK,
    DESKTOP,
    NEAR_STORE,
    ORDER_NUMBER,
    PASSWORD,
    PHONE,
    SHOP,
    STAFF_EMAIL,
    seed_shop,
    translator,
    zh_catalogue_has,
)

pytestmark = pytest.mark.browser

zh = translator("zh_CN")
en = translator("en")
STORE_ZH, STORE_EN = SHOP.store["name_zh"], SHOP.store["name_en"]
SEA_CUCUMBER, FORMULA = SHOP.products[0], SHOP.products[1]


# --- steps ------------------------------------------------------------------------------------


def register_at_checkout(shopper, t, sms, *, name, phone, located=False):
    """From the cart: checkout sends a guest to sign in; a code texted to the phone opens
    an account at once."""
    page = shopper.page
    page.get_by_role("link", name=t("Checkout"), exact=True).click()
    page.wait_for_url(re.compile(r"/login\?next=%2Fcheckout|/login\?next=/checkout"))
    expect(page.get_by_role("heading", name=t("Sign in"), level=1)).to_be_visible()
    shopper.shot("sign-in-asked")
    page.get_by_label(t("Mobile number"), exact=True).fill(phone)
    page.get_by_role("button", name=t("Text me a code")).click()
    page.wait_for_url(re.compile(r"/login/code\?next="))
    page.get_by_label(t("Code from the SMS"), exact=True).fill(sms.code_for(mobile_number(phone)))
    page.get_by_label(t("Your name (for a new account; optional)"), exact=True).fill(name)
    shopper.shot("sign-up-code")
    page.locator("main form").get_by_role("button", name=t("Sign in"), exact=True).click()
    if located:
        # The checkout reloads itself with the shopper's position (the welcome goes with it).
        page.wait_for_url(re.compile(r"/checkout\?.*lat="))
        # The position also rides in the form, for a delivery within a center's radius.
        expect(page.locator("input[name=lat][type=hidden]")).not_to_have_value("")
        expect(page.locator("input[name=lng][type=hidden]")).not_to_have_value("")
    else:
        page.wait_for_url(re.compile(r"/checkout$"))
        expect(page.locator(".flash.success")).to_contain_text(
            t("Welcome, %(name)s! Your account is ready.", name=name))
    expect(page.get_by_role("navigation", name=t("Main"))).to_contain_text(name)


def place_pickup_order(shopper, t, store_name) -> tuple[str, str]:
    """On the checkout page: pickup at ``store_name``, pay at pickup. Returns (number, url)."""
    page = shopper.page
    expect(page.get_by_role("radio", name=t("Pick up at a store"))).to_be_checked()
    option = page.get_by_test_id("pickup-option").filter(has_text=store_name)
    expect(option).to_contain_text(t("Has every item today"))
    option.click()
    expect(option.get_by_role("radio")).to_be_checked()
    page.get_by_role("radio", name=t("Pay at pickup")).check()
    expect(page.get_by_role("radio", name=t("Cash on delivery"))).to_be_hidden()
    shopper.shot("checkout")
    page.get_by_role("button", name=t("Place order")).click()
    page.wait_for_url(re.compile(r"/orders/[\w-]+$"))
    heading = page.locator("h1.order-number")
    expect(heading).to_have_text(re.compile(ORDER_NUMBER.pattern))
    number = ORDER_NUMBER.search(heading.inner_text()).group(0)
    expect(page.locator(".flash.success")).to_contain_text(
        t("Thank you! Your order %(number)s is placed.", number=number))
    expect(page.get_by_test_id("order-state")).to_contain_text(
        t("We are preparing your order"))
    expect(page.get_by_test_id("order-status")).to_have_text(t("Confirmed"))
    expect(page.get_by_test_id("pickup-code")).to_have_count(0)
    shopper.shot("order-placed")
    return number, page.url


def see_in_my_orders(shopper, t, number, store_name, status_label):
    page = shopper.page
    page.get_by_role("navigation", name=t("Main")).get_by_role(
        "link", name=t("My orders")).click()
    page.wait_for_url(re.compile(r"/orders$"))
    row = page.get_by_test_id("order-row").filter(has_text=number)
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("order-status")).to_have_text(status_label)
    expect(row).to_contain_text(store_name)
    shopper.shot("my-orders")


def desk_item(staff, number):
    return staff.page.locator("article.work-item").filter(has_text=number)


def mark_ready_at_desk(staff, t, number):
    page = staff.page
    expect(page).to_have_url(re.compile(r"/desk$"))
    item = desk_item(staff, number)
    expect(item).to_have_count(1)
    expect(item.locator(".head .badge")).to_have_text(t("To prepare"))
    staff.shot("desk-new-order")
    item.get_by_role("button", name=t("Mark ready")).click()
    expect(page.locator(".flash.success")).to_contain_text(
        t("Order %(number)s is ready for pickup.", number=number))
    expect(desk_item(staff, number).locator(".head .badge")).to_have_text(t("Ready for pickup"))
    staff.shot("desk-ready")


def read_pickup_code(shopper, t, order_url) -> str:
    """Reload the order page: the code and its QR image show once the store has it ready."""
    page = shopper.page
    page.goto(order_url)
    expect(page.get_by_test_id("order-state")).to_contain_text(t("Ready for pickup"))
    code_box = page.get_by_test_id("pickup-code")
    expect(code_box).to_have_text(re.compile(r"^\s*[A-Z0-9]{6,}\s*$"))
    code = code_box.inner_text().strip()
    assert len(code) >= 6
    qr = page.locator("img.qr")
    expect(qr).to_be_visible()
    page.wait_for_function("img => img.complete", arg=qr.element_handle())
    assert qr.evaluate("img => img.naturalWidth") > 0, "the QR image did not load"
    assert qr.bounding_box()["width"] >= 150, "the QR image is too small to scan"
    shopper.shot("pickup-code")
    return code


def see_picked_up(shopper, t, order_url):
    page = shopper.page
    page.goto(order_url)
    expect(page.get_by_test_id("order-state")).to_contain_text(t("Picked up. Enjoy!"))
    expect(page.get_by_test_id("order-status")).to_have_text(t("Completed"))
    expect(page.get_by_test_id("pickup-code")).to_have_count(0)
    shopper.shot("picked-up")


def assert_clean(*actors):
    problems = [f"{a.name}: {p}" for a in actors for p in a.problems]
    assert not problems, "\n".join(problems)


def followup_of(app, number):
    """(kind, status, due_at, handed over at) of the order's follow-up, read from the database."""
    from core.extensions import db
    from crm.followups.models import FollowUp
    from fulfillment.models import Fulfillment
    from storefront.models import Order

    with app.app_context():
        order = db.session.execute(sa.select(Order).where(Order.number == number)).scalar_one()
        followup = db.session.execute(
            sa.select(FollowUp).where(FollowUp.order_id == order.id)).scalar_one()
        completed = db.session.execute(sa.select(Fulfillment.completed_at).where(
            Fulfillment.order_id == order.id)).scalar_one()
        return followup.kind, followup.status, followup.due_at, completed


# --- the tests --------------------------------------------------------------------------------


def test_pickup_path_zh_cn(people, live_shop):
    t = zh
    name, phone = "林晓雯", "13912345678"
    shopper = people("shopper", locale="zh-CN", geolocation=NEAR_STORE,
                     permissions=["geolocation"], **PHONE)
    page = shopper.page

    # The home page, in Chinese by default.
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    if zh_catalogue_has("Cart"):
        expect(page.locator("header nav"), "the zh_CN catalogue says 购物车 for 'Cart', "
               "but the page does not show it: is the zh_CN catalogue loaded?").to_contain_text(
            "购物车")
    nav = page.get_by_role("navigation", name=t("Main"))
    expect(nav.get_by_role("link", name=t("Cart"))).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        t("Premium sea cucumber and infant nutrition"))
    shopper.shot("home")

    # The catalog, then a product.
    nav.get_by_role("link", name=t("Shop"), exact=True).click()
    page.wait_for_url(re.compile(r"/products$"))
    cards = page.get_by_test_id("product-card")
    expect(cards).to_have_count(len(SHOP.products))
    card = cards.filter(has_text=SEA_CUCUMBER["name_zh"])
    expect(card).to_be_visible()
    assert CJK.search(card.inner_text())
    shopper.shot("catalog")
    card.click()
    page.wait_for_url(re.compile(rf"/products/{SEA_CUCUMBER['slug']}$"))
    expect(page.get_by_test_id("product-name")).to_have_text(SEA_CUCUMBER["name_zh"])
    expect(page.get_by_test_id("stock-status")).to_contain_text(t("In stock"))
    shopper.shot("product")

    # Into the cart (a first-time visitor: the form fetches its CSRF token first).
    page.get_by_role("button", name=t("Add to cart")).click()
    page.wait_for_url(re.compile(r"/cart$"))
    expect(page.locator(".flash.success")).to_have_text(t("Added to your cart."))
    expect(page.get_by_test_id("cart-line")).to_have_count(1)
    expect(page.get_by_test_id("cart-line")).to_contain_text(SEA_CUCUMBER["name_zh"])
    expect(page.get_by_test_id("cart-count")).to_have_text("1")
    shopper.shot("cart")

    # Checkout: register on the way; the cart comes along.
    # With the location shared, the stores are sorted by distance.
    register_at_checkout(shopper, t, sms_of(live_shop.app), name=name, phone=phone,
                         located=True)
    nearest = page.get_by_test_id("pickup-option").first
    expect(nearest).to_contain_text(STORE_ZH)
    expect(nearest.locator(".distance")).to_have_text(re.compile(r"\d+\.\d"))
    number, order_url = place_pickup_order(shopper, t, STORE_ZH)
    see_in_my_orders(shopper, t, number, STORE_ZH, t("Confirmed"))

    # The store staff mark it ready.
    staff = people("staff", locale="zh-CN", **DESKTOP)
    staff.sign_in(t, STAFF_EMAIL)
    mark_ready_at_desk(staff, t, number)

    # The shopper sees the code, and shows it at the desk.
    code = read_pickup_code(shopper, t, order_url)
    see_in_my_orders(shopper, t, number, STORE_ZH, t("Ready for pickup"))
    desk = staff.page
    box = desk.locator("section.code-box")
    box.get_by_label(t("Pickup code"), exact=True).fill(code.lower())  # as typed in a hurry
    box.get_by_role("button", name=t("Find order")).click()
    expect(desk.get_by_role("heading", level=1)).to_have_text(
        t("Hand over order %(number)s?", number=number))
    expect(desk.get_by_test_id("collect")).to_contain_text("1,680")
    expect(desk.locator("main")).to_contain_text(SEA_CUCUMBER["name_zh"])
    staff.shot("confirm-hand-over")
    desk.get_by_test_id("paid-method").get_by_label(t("Cash")).check()  # the clerk must say
    desk.get_by_role("button", name=t("Confirm hand-over")).click()
    desk.wait_for_url(re.compile(r"/desk\?tab=pickup$"))
    expect(desk.locator(".flash.success")).to_contain_text(number)
    expect(desk_item(staff, number).locator(".head .badge")).to_have_text(t("Picked up"))
    staff.shot("desk-handed-over")
    see_picked_up(shopper, t, order_url)

    # The customer center finds the satisfaction call planned for three days later.
    agent = people("agent", locale="zh-CN", **DESKTOP)
    agent.sign_in(t, AGENT_EMAIL)
    crm = agent.page
    expect(crm).to_have_url(re.compile(r"/crm$"))
    upcoming = crm.locator("h2.section-title", has_text=t("Coming up this week")).locator(
        "xpath=following-sibling::ul[1]")
    row = upcoming.locator("li").filter(has_text=name)
    expect(row).to_have_count(1)
    expect(row.locator(".badge")).to_have_text(t("Satisfaction call"))
    expect(row).to_contain_text(t("Order %(number)s", number=number))
    expect(row).to_contain_text("5678")
    expect(row).not_to_contain_text(phone)  # masked
    agent.shot("crm-queue")

    crm.get_by_label(t("Find a customer")).fill(name)
    crm.get_by_role("button", name=t("Find"), exact=True).click()
    crm.wait_for_url(re.compile(r"/crm/customers\?q="))
    crm.get_by_role("link", name=name).click()
    crm.wait_for_url(re.compile(r"/crm/customers/\d+$"))
    expect(crm.get_by_role("heading", level=1)).to_have_text(name)
    followups = crm.locator("section.card", has=crm.get_by_role(
        "heading", name=t("Follow-ups"), exact=True))
    item = followups.locator("li").filter(has_text=number)
    expect(item.get_by_role("link")).to_have_text(t("Satisfaction call"))
    expect(item.locator(".badge")).to_have_text(t("Open"))
    agent.shot("crm-customer-360")

    kind, status, due_at, handed_over_at = followup_of(live_shop.app, number)
    assert (kind, status) == ("satisfaction", "open")
    assert due_at - handed_over_at == timedelta(days=3)
    assert_clean(shopper, staff, agent)


def test_pickup_path_en(people, live_shop):
    t = en
    name = "Emma Zhang"
    shopper = people("shopper", locale="en-US", **DESKTOP)
    page = shopper.page

    # Chinese first; the EN switch in the header sticks for the rest of the visit.
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.locator(".lang-switch").get_by_role("link", name="EN", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Cart")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Premium sea cucumber and infant nutrition")
    shopper.shot("home-en")

    nav.get_by_role("link", name="Shop", exact=True).click()
    page.get_by_test_id("product-card").filter(has_text=FORMULA["name_en"]).click()
    expect(page.get_by_test_id("product-name")).to_have_text(FORMULA["name_en"])
    expect(page.locator(".supply")).to_have_text("One unit lasts about 14 days.")
    page.get_by_label("Quantity").fill("2")
    shopper.shot("product")
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_url(re.compile(r"/cart$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your cart")
    expect(page.get_by_test_id("cart-count")).to_have_text("2")
    expect(page.get_by_test_id("cart-total")).to_contain_text("796.00")
    shopper.shot("cart")

    register_at_checkout(shopper, t, sms_of(live_shop.app), name=name,
                         phone="+86 137 0000 1234")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    number, order_url = place_pickup_order(shopper, t, STORE_EN)
    see_in_my_orders(shopper, t, number, STORE_EN, "Confirmed")

    staff = people("staff", locale="en-US", **DESKTOP)
    staff.page.goto("/lang/en?next=/login")
    staff.sign_in(t, STAFF_EMAIL)
    mark_ready_at_desk(staff, t, number)
    expect(staff.page.get_by_role("button", name="Hand over")).to_be_visible()

    code = read_pickup_code(shopper, t, order_url)
    expect(shopper.page.get_by_test_id("order-state")).to_contain_text(
        re.compile(r"You pay ¥796\.00 at the desk\."))

    # A wrong code is refused and hands nothing over.
    wrong = "".join("2" if ch != "2" else "3" for ch in code)
    item = desk_item(staff, number)
    item.get_by_label("Pickup code").fill(wrong)
    item.get_by_role("button", name="Hand over").click()
    item = desk_item(staff, number)
    expect(item.get_by_role("alert")).to_have_text(
        "This pickup code does not match. Please check it with the customer.")
    expect(item.locator(".head .badge")).to_have_text("Ready for pickup")
    staff.shot("desk-wrong-code")
    assert read_pickup_code(shopper, t, order_url) == code

    # The right one opens the last look; the clerk says how the customer paid.
    item.get_by_label("Pickup code").fill(code)
    item.get_by_role("button", name="Hand over").click()
    staff.page.get_by_test_id("paid-method").get_by_label("Cash").check()
    staff.page.get_by_role("button", name="Confirm hand-over").click()
    staff.page.wait_for_url(re.compile(r"/desk\?tab=pickup$"))
    expect(staff.page.locator(".flash.success")).to_have_text(
        re.compile(rf"Order {number} handed over\. Collected ¥796\.00 \(Cash\)\."))
    expect(desk_item(staff, number).locator(".head .badge")).to_have_text("Picked up")
    staff.shot("desk-handed-over")
    see_picked_up(shopper, t, order_url)
    see_in_my_orders(shopper, t, number, STORE_EN, "Completed")
    assert_clean(shopper, staff)


def _seed_with_ready_order(app):
    """The shop plus one order that is ready at the store (placed and marked by the services)."""
    seed_shop(app)
    from core.extensions import db
    from core.models import User
    from fulfillment.models import Center
    from fulfillment.services import mark_ready
    from storefront.accounts import register_user
    from storefront.orders import place_order

    shopper, _ = register_user(email="chen.siyuan@example.com", password=PASSWORD,
                               name="陈思远", phone="13700001111")
    store = db.session.execute(
        sa.select(Center).where(Center.code == SHOP.store["code"])).scalar_one()
    order = place_order(shopper, lines=[{"sku": SEA_CUCUMBER["sku"], "quantity": 1}],
                        fulfillment={"method": "pickup", "center_id": store.id},
                        payment_method="pay_at_pickup")
    staff = db.session.execute(sa.select(User).where(User.email == STAFF_EMAIL)).scalar_one()
    mark_ready(order.fulfillment, staff)


@pytest.mark.parametrize("live_shop", [_seed_with_ready_order], indirect=True,
                         ids=["ready-order"])
def test_wrong_code_is_refused_at_the_desk(people, live_shop):
    from core.extensions import db
    from fulfillment.models import Fulfillment

    t = en
    staff = people("staff", locale="en-US", **DESKTOP)
    staff.page.goto("/lang/en?next=/login")
    staff.sign_in(t, STAFF_EMAIL)
    page = staff.page
    ready = page.locator("article.work-item").filter(
        has=page.locator(".head .badge", has_text=t("Ready for pickup")))
    expect(ready).to_have_count(1)

    box = page.locator("section.code-box")
    box.get_by_label(t("Pickup code"), exact=True).fill("ZZZZ9999")
    box.get_by_role("button", name=t("Find order")).click()
    expect(page.locator("#code-errors")).to_have_text(
        t("This pickup code does not match. Please check it with the customer."))
    expect(page.get_by_role("button", name=t("Confirm hand-over"))).to_have_count(0)
    expect(ready).to_have_count(1)
    staff.shot("code-box-wrong-code")

    # Guessing is cut short: after a few wrong codes even a try is refused for a while.
    for _ in range(5):
        box.get_by_label(t("Pickup code"), exact=True).fill("ZZZZ9999")
        box.get_by_role("button", name=t("Find order")).click()
        expect(page.locator("#code-errors")).to_be_visible()
    expect(page.locator("#code-errors")).to_have_text(
        t("Too many attempts. Please wait a few minutes and try again."))
    staff.shot("code-box-too-many")

    with live_shop.app.app_context():
        f = db.session.execute(sa.select(Fulfillment)).scalar_one()
        assert (f.status, f.completed_at) == ("ready", None)
    assert_clean(staff)
