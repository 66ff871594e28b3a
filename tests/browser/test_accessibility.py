"""Every page each person reaches passes axe-core's WCAG 2.0/2.1 A and AA rules, in zh_CN and en.

axe-core is vendored (tests/browser/vendor, MPL-2.0): no network at test time. The shop is
the demo shop (a few customers with their orders, the club, the customer center's work), with
known passwords for one person of each kind; each person gets one browser context per
language and their pages are audited in a loop. The failure lists every violation by page
and element: rule, impact, target and what to fix. Product images must also carry their
product's name, and ``<html lang>`` must follow the language switch.
"""

from pathlib import Path

import pytest

from .support import PASSWORD, PHONE

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
LOCALES = {"zh_CN": "zh-CN", "en": "en"}

#: filled by the seed: logins and the ids of pages with data
DEMO: dict = {}


def seed_demo(app) -> None:
    """The demo shop, small; known passwords for an admin, an agent, a clerk and a member."""
    import sqlalchemy as sa

    from core.extensions import db
    from core.models import User
    from crm.care.models import Complaint
    from crm.club.models import Article, Event
    from crm.customers.figures import recompute_figures
    from crm.customers.models import Customer
    from crm.customers.tagging import apply_tag_rules
    from crm.followups.models import FollowUp
    from demo.care import build_care
    from demo.club import build_club
    from demo.shop import DemoShop
    from storefront.loyalty.models import Membership
    from storefront.models import Order, Product

    shop = DemoShop(7)
    shop.build_catalog()
    shop.build_centers()
    shop.build_staff()
    shop.build_customers(12, 40)
    shop.build_stock()
    shop.fix_sequences()
    build_club()
    db.session.commit()
    recompute_figures(shop.now)
    apply_tag_rules(shop.now)
    db.session.commit()
    build_care(shop.agent, shop.now, 7, customers=12)
    db.session.commit()

    member_id = db.session.execute(
        sa.select(Membership.user_id)
        .where(sa.exists().where(Order.user_id == Membership.user_id))
        .order_by(Membership.user_id).limit(1)).scalar_one()
    member = db.session.get(User, member_id)
    clerk = next(iter(shop.clerks.values()))
    for user in (shop.admin, shop.agent, clerk, member):
        user.set_password(PASSWORD)
    order = db.session.execute(sa.select(Order).where(Order.user_id == member_id)
                               .order_by(Order.id.desc()).limit(1)).scalar_one()
    DEMO.update(
        admin=shop.admin.email, agent=shop.agent.email, clerk=clerk.email, member=member.email,
        product=db.session.execute(sa.select(Product.slug).limit(1)).scalar_one(),
        order=order.public_id,
        customer=db.session.execute(sa.select(Customer.id).where(Customer.user_id == member_id)
                                    ).scalar_one(),
        complaint=db.session.execute(sa.select(Complaint.id).limit(1)).scalar(),
        followup=db.session.execute(sa.select(FollowUp.id).limit(1)).scalar(),
        article=db.session.execute(sa.select(Article.id).limit(1)).scalar(),
        event=db.session.execute(sa.select(Event.id).limit(1)).scalar(),
    )
    db.session.commit()


def pages_of(person: str) -> list[str]:
    d = DEMO
    return {
        "shopper": ["/", "/products", f"/products/{d['product']}", "/cart", "/checkout",
                    "/login", "/register", "/vip"],
        "member": ["/", "/products", f"/products/{d['product']}", "/cart", "/checkout",
                   "/orders", f"/orders/{d['order']}", "/account", "/vip", "/member",
                   "/member/points", "/member/content", "/member/events", "/member/profile"],
        "clerk": ["/desk", "/desk/stock", "/desk/transfers", "/desk/lots",
                  "/desk/slots", "/desk/member"],
        "agent": ["/crm", "/crm/customers", f"/crm/customers/{d['customer']}",
                  *([f"/crm/followups/{d['followup']}"] if d["followup"] else []),
                  "/crm/complaints",
                  *([f"/crm/complaints/{d['complaint']}"] if d["complaint"] else []),
                  "/crm/dashboard", "/crm/coupons", "/crm/segments", "/crm/campaigns",
                  "/crm/outbox", "/crm/recalls", "/crm/club/articles", "/crm/club/events",
                  *([f"/crm/club/articles/{d['article']}/edit"] if d["article"] else []),
                  *([f"/crm/club/events/{d['event']}"] if d["event"] else [])],
        "admin": ["/admin/", "/admin/products", "/admin/categories", "/admin/orders/",
                  "/admin/centers", "/admin/tiers", "/admin/lots", "/admin/staff",
                  f"/admin/orders/{d['order']}", "/admin/products/1/edit",
                  "/admin/centers/1/edit", "/admin/products/new"],
    }[person]


#: pages whose first link of this kind is audited too (an article, an event of the member's)
FOLLOW = {"/member/content": "main a[href^='/member/content/']",
          "/member/events": "main a[href^='/member/events/']"}

LOGINS = {"shopper": None, "member": "member", "clerk": "clerk", "agent": "agent",
          "admin": "admin"}


def audit(page) -> list[str]:
    """axe-core on the page: one line per violating element."""
    # evaluated through the browser's devtools protocol, as the page's CSP forbids an
    # inline <script> (which add_script_tag would add)
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        "rules => axe.run(document, {runOnly: {type: 'tag', values: rules}})", RULES)
    found = []
    for violation in result["violations"]:
        for node in violation["nodes"]:
            summary = " ".join((node.get("failureSummary") or "").split())[:200]
            found.append(f"  {violation['id']} ({violation['impact']}) "
                         f"{' > '.join(map(str, node['target']))}: {summary}")
    return found


def misnamed_product_images(page) -> list[str]:
    """Product cards whose image is not named by the product's name (alt or aria-label)."""
    return page.evaluate("""() => [...document.querySelectorAll('.product-card')].flatMap(card => {
        const name = card.querySelector('.name').textContent.trim();
        const image = card.querySelector('img, [role=img]');
        const said = image && (image.getAttribute('alt') ?? image.getAttribute('aria-label'));
        return said === name ? [] : [`  product image of ${name}: ${JSON.stringify(said)}`];
    })""")


@pytest.mark.parametrize("live_shop", [seed_demo], indirect=True)
def test_every_page_passes_the_accessibility_audit(people, live_shop):
    report: list[str] = []
    audited = 0
    for person, login in LOGINS.items():
        for locale, html_lang in LOCALES.items():
            size = PHONE if person == "clerk" else {}
            actor = people(f"{person}-{locale}", locale=html_lang, **size)
            page = actor.page
            page.goto(f"/lang/{locale}?next=/login")
            if login:
                signing_in = page.locator("main form:has(input[type=password])")
                signing_in.locator("input[name=identifier]").fill(DEMO[login])
                signing_in.locator("input[type=password]").fill(PASSWORD)
                with page.expect_navigation():
                    signing_in.locator("[type=submit]").click()
            if person in ("shopper", "member"):  # a cart with a line, and so a checkout
                page.goto(f"/products/{DEMO['product']}")
                with page.expect_navigation():
                    page.locator("form.add-to-cart [type=submit]").click()
            paths = pages_of(person)
            for path in paths:
                response = page.goto(path)
                status = response.status if response else 0
                lang = page.locator("html").get_attribute("lang")
                if status >= 400:
                    report.append(f"{person} {locale} {path}: HTTP {status}")
                    continue
                if lang != html_lang:
                    report.append(f"{person} {locale} {path}: <html lang={lang!r}>")
                found = audit(page) + misnamed_product_images(page)
                audited += 1
                if found:
                    report.append(f"{person} {locale} {path}:")
                    report.extend(found)
                link = page.locator(FOLLOW[path]).first if path in FOLLOW else None
                if link is not None and link.count():
                    paths.append(link.get_attribute("href"))
            actor.context.close()
    assert not report, f"accessibility audit of {audited} page(s):\n" + "\n".join(report)


def _tab_to(page, selector: str, presses: int = 40) -> None:
    """Press Tab until the element at ``selector`` has the focus (from the top of the page)."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement === document.querySelector(s)", selector):
            return
    raise AssertionError(f"{selector} is not reached with the Tab key")


def test_the_desk_code_box_works_with_the_keyboard_alone(people, live_shop):
    """The clerk tabs to the code box, types a code and presses Enter: the error is announced
    and tied to the box, and the Find and Scan buttons are reached with Tab too."""
    from .support import STAFF_EMAIL, signed_in_in_english

    t, staff = signed_in_in_english(people, "staff", STAFF_EMAIL, **PHONE)
    page = staff.page
    page.goto("/desk")
    box = ".code-box input[type=text]"
    _tab_to(page, box)
    page.keyboard.type("ZZZZ9999")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    errors = page.locator(".code-box [role=alert]")
    assert errors.count() == 1 and errors.inner_text().strip()
    field = page.locator(box)
    assert field.get_attribute("aria-invalid") == "true"
    assert field.get_attribute("aria-describedby") == errors.get_attribute("id")
    assert field.get_attribute("id") == page.locator(".code-box label").get_attribute("for")
    page.goto("/desk")
    _tab_to(page, box)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    if page.locator("[data-scan]").is_visible():
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.hasAttribute('data-scan')")
    assert audit(page) == []


def test_form_errors_are_announced_and_tied_to_their_fields(people, live_shop):
    """A registration whose passwords differ: an alert says so, each field in error points to
    its message, every field has a label, and the page still passes the audit."""
    shopper = people("shopper", locale="en-US")
    page = shopper.page
    page.goto("/lang/en?next=/register")
    page.get_by_label("E-mail", exact=True).fill("mei@example.com")
    page.get_by_label("Your name", exact=True).fill("Mei")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password", exact=True).fill(PASSWORD + "!")
    with page.expect_navigation():
        page.locator("main form [type=submit]").first.click()
    assert page.locator("main [role=alert]").count() >= 1
    invalid = page.locator("main [aria-invalid=true]")
    assert invalid.count() >= 1
    for i in range(invalid.count()):
        described = invalid.nth(i).get_attribute("aria-describedby")
        assert described and page.locator(f"[id='{described}']").inner_text().strip()
    unlabelled = page.evaluate("""() => [...document.querySelectorAll(
        'main input:not([type=hidden]), main select, main textarea')]
        .filter(f => !f.labels.length && !f.getAttribute('aria-label')
                     && !f.getAttribute('aria-labelledby')).map(f => f.name)""")
    assert unlabelled == []
    assert audit(page) == []
