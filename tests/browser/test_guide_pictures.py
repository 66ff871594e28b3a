"""The guides' pictures, taken from the demo shop in zh_CN and written to docs/img/.

Every picture of ``tests/browser/pictures.py`` is taken here, so the guides show the pages
as they are: run this module after a page changes and commit the new PNGs. One live server
with the demo shop (small, seeded once for the module) and one browser serve every picture;
each person gets one browser context per screen size. A page that answers an error, logs a
script error or fails to load a file fails the test, as a picture of a broken page would
mislead the reader.
"""

import html
import json
import os
import subprocess
import threading
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from werkzeug.serving import make_server

from tests.conftest import LiveServer, make_app

from .conftest import TIMEOUT_MS
from .pictures import FOLDER, PICTURES
from .support import DESKTOP, PASSWORD, PHONE, Actor, Shots

pytestmark = pytest.mark.browser

SCREENS = {"phone": PHONE, "desktop": DESKTOP}
#: pages whose figures are drawn in the browser after they load (Chart.js)
DRAWN = {"/crm/dashboard"}


def seed_demo_shop(app) -> dict:
    """The demo shop as ``flask demo`` seeds it, small; known passwords for one of each."""
    import sqlalchemy as sa

    from core.extensions import db
    from core.models import User
    from crm.care.models import Complaint
    from crm.club.models import Event
    from crm.customers.figures import recompute_figures
    from crm.customers.models import Customer
    from crm.customers.tagging import apply_tag_rules
    from crm.followups.models import FollowUp, FollowUpStatus
    from demo.care import build_care
    from demo.club import build_club
    from demo.outcomes import build_outcomes
    from demo.shop import DemoShop
    from fulfillment.models import Center
    from storefront.loyalty.models import Membership
    from storefront.models import Order, Product

    shop = DemoShop(7)
    shop.build_catalog()
    shop.build_centers()
    shop.build_staff()
    shop.build_customers(16, 60)
    shop.build_stock()
    shop.fix_sequences()
    build_club()
    db.session.commit()
    recompute_figures(shop.now)
    apply_tag_rules(shop.now)
    db.session.commit()
    build_care(shop.agent, shop.now, 7, customers=16)
    db.session.commit()
    build_outcomes(shop.agent, shop.now, 7)
    db.session.commit()

    # the member with the most orders: their pages have the most to show
    member_id = db.session.execute(
        sa.select(Membership.user_id).join(Order, Order.user_id == Membership.user_id)
        .group_by(Membership.user_id).order_by(sa.func.count(Order.id).desc(),
                                               Membership.user_id).limit(1)).scalar_one()
    member = db.session.get(User, member_id)
    clerk = shop.clerks["SH-JA"]
    for user in (shop.admin, shop.agent, clerk, member):
        user.set_password(PASSWORD)
    order = db.session.execute(sa.select(Order).where(Order.user_id == member_id)
                               .order_by(Order.id.desc()).limit(1)).scalar_one()
    customer = db.session.execute(
        sa.select(Customer).where(Customer.user_id == member_id)).scalar_one()
    followup = db.session.execute(
        sa.select(FollowUp.id).where(FollowUp.status == FollowUpStatus.OPEN)
        .order_by(FollowUp.due_at).limit(1)).scalar()
    ids = {
        "logins": {"admin": shop.admin.email, "agent": shop.agent.email, "clerk": clerk.email,
                   "member": member.email},
        "product": db.session.execute(
            sa.select(Product.slug).order_by(Product.position, Product.id).limit(1)
        ).scalar_one(),
        "order": order.public_id,
        "customer": customer.id,
        "customer_name": customer.name,
        "followup": followup or db.session.execute(sa.select(FollowUp.id).limit(1)).scalar(),
        "complaint": db.session.execute(
            sa.select(Complaint.id).order_by(Complaint.id).limit(1)).scalar(),
        "event": db.session.execute(sa.select(Event.id).limit(1)).scalar(),
        "center": db.session.execute(
            sa.select(Center.id).where(Center.code == "SH-XH")).scalar_one(),
    }
    db.session.commit()
    return ids


def has_chinese_font() -> bool:
    """Whether fontconfig knows a font for Chinese (without one, every 字 is a box)."""
    try:
        found = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True,
                               timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return bool(found.strip())


@pytest.fixture(scope="module")
def demo_shop(tmp_path_factory, migrated_database):
    """One live server with the demo shop for every picture of the module."""
    if not has_chinese_font():
        message = "no Chinese font (apt-get install fonts-noto-cjk): the pictures would be boxes"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    # The shop's day starts at 10:00 today for the pictures, so a picture taken again the same
    # day shows the same times (the clock ticks on from there, for the server and the seed).
    zone = ZoneInfo("Asia/Shanghai")
    origin = datetime.combine(datetime.now(zone).date(), time(10, 0), zone)
    with time_machine.travel(origin, tick=True):
        yield from _serve_demo_shop(tmp_path_factory, migrated_database)


def _serve_demo_shop(tmp_path_factory, migrated_database):
    url, drop = migrated_database("sqlite")
    application = make_app(url, tmp_path_factory.mktemp("pictures-instance"),
                           WTF_CSRF_ENABLED=True,
                           SMS_PROVIDER="tests.support.messages:RecordingSms")
    with application.app_context():
        from core.extensions import db

        ids = seed_demo_shop(application)
        db.session.commit()
    server = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    live = LiveServer(application, f"http://127.0.0.1:{server.server_port}")
    live.ids = ids
    yield live
    server.shutdown()
    with application.app_context():
        from core.extensions import db

        db.engine.dispose()
    drop()


def open_as(browser, shop, who: str, screen: str, tmp_path) -> Actor:
    """A browser context for ``who`` on ``screen``, in zh_CN, signed in unless a shopper."""
    context = browser.new_context(base_url=shop.url, timezone_id="Asia/Shanghai",
                                  locale="zh-CN", **SCREENS[screen])
    context.set_default_timeout(TIMEOUT_MS)
    actor = Actor(f"{who}-{screen}", context, Shots(tmp_path))
    page = actor.page
    page.goto("/lang/zh_CN?next=/login")
    if who != "shopper":
        form = page.locator("main form:has(input[type=password])")
        form.locator("input[name=identifier]").fill(shop.ids["logins"][who])
        form.locator("input[type=password]").fill(PASSWORD)
        with page.expect_navigation():
            form.locator("[type=submit]").click()
    if who == "member":  # a cart with a line, and so a checkout
        page.goto(f"/products/{shop.ids['product']}")
        with page.expect_navigation():
            page.locator("form.add-to-cart [type=submit]").click()
    return actor


def take(actor: Actor, shop, name: str) -> None:
    picture = PICTURES[name]
    page = actor.page
    path = picture.path.format(**shop.ids)
    response = page.goto(path, wait_until="networkidle")
    assert response is not None and response.status < 400, f"{name}: {path} answered " \
        f"{response.status if response else 'nothing'}"
    assert page.locator("html").get_attribute("lang") in ("zh-CN", None), name
    page.evaluate("document.fonts.ready.then(() => true)")
    clip = None
    if response.headers.get("content-type", "").startswith("application/json"):
        clip = show_json(page, path)
    if path.split("?")[0] in DRAWN:
        page.wait_for_function("[...document.querySelectorAll('canvas')]"
                               ".every(c => c.width > 0)")
        page.wait_for_timeout(1200)  # Chart.js animates its first drawing
    FOLDER.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(FOLDER / f"{name}.png"), animations="disabled", caret="hide",
                    clip=clip)


def show_json(page, path: str) -> dict:
    """The JSON answer laid out as a reader would want it (indented, Chinese unescaped):
    Chromium's own JSON view keeps ``\\u`` escapes and hides its pretty-print switch.
    Returns the part of the screen the answer takes (at most the screen)."""
    answer = json.loads(page.locator("body").inner_text())
    page.set_content(
        "<html lang='zh-CN'><body style='margin:16px;font:15px/1.45 monospace;"
        "display:inline-block'>"
        f"<p style='font-weight:bold'>GET {html.escape(path)}</p>"
        f"<pre>{html.escape(json.dumps(answer, ensure_ascii=False, indent=2))}</pre></body></html>")
    box = page.locator("body").bounding_box()
    screen = page.viewport_size
    return {"x": 0, "y": 0, "width": min(box["width"] + 48, screen["width"]),
            "height": min(box["height"] + 32, screen["height"])}


def pictures_of(who: str) -> list[tuple[str, str]]:
    """``(screen, name)`` of the pictures taken as ``who``, phone first."""
    return sorted((p.screen, name) for name, p in PICTURES.items() if p.who == who)


@pytest.mark.parametrize("who", ["shopper", "member", "clerk", "agent", "admin"])
def test_the_guides_pictures(who, browser, demo_shop, tmp_path):
    taken = []
    for screen in ("phone", "desktop"):
        names = [name for s, name in pictures_of(who) if s == screen]
        if not names:
            continue
        actor = open_as(browser, demo_shop, who, screen, tmp_path)
        try:
            for name in names:
                take(actor, demo_shop, name)
                taken.append(name)
            assert not actor.problems, actor.problems
            assert not actor.csp_violations, actor.csp_violations
        finally:
            actor.context.close()
    assert sorted(taken) == sorted(name for _, name in pictures_of(who))
