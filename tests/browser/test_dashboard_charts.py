"""The dashboard and a campaign's outcome as a new agent sees them, on the demo's shop, at
1280 and at 390 CSS px: every chart drawn, no horizontal scroll, no raw codes in the text;
screenshots under test-artifacts/browser/."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from .support import DESKTOP, PASSWORD, PHONE, translator

pytestmark = pytest.mark.browser

#: codes that must show as words in zh_CN (complaint categories, methods, segments, states)
RAW = re.compile(r"\b(quality|delivery|price|service|other|pickup|courier|champions|loyal|"
                 r"promising|need_attention|at_risk|hibernating|lost|none|sent|held_out|"
                 r"amount_fen|mean_score)\b")


def seed_demo(app) -> None:
    """``flask demo`` with 300 customers; its agent signs in with the tests' password."""
    from core.extensions import db
    from core.models import Role, User

    result = app.test_cli_runner().invoke(args=["demo", "--customers", "300", "--seed", "7"])
    assert result.exit_code == 0, result.output
    agent = db.session.execute(sa.select(User).where(User.role == Role.CRM)).scalars().first()
    agent.set_password(PASSWORD)


def agent_email(live_shop) -> str:
    from core.extensions import db
    from core.models import Role, User

    with live_shop.app.app_context():
        return db.session.execute(sa.select(User.email).where(User.role == Role.CRM)
                                  ).scalars().first()


def no_horizontal_scroll(page) -> None:
    wide = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert wide[0] <= wide[1], f"page {wide[0]} px wide in a {wide[1]} px window"


DRAWN = """() => Array.from(document.querySelectorAll('canvas[data-chart]')).map(c => {
  const ctx = c.getContext('2d');
  const data = ctx.getImageData(0, 0, c.width, c.height).data;
  let marks = 0;
  for (let i = 3; i < data.length; i += 16) if (data[i] > 0) marks++;
  return {id: c.dataset.testid, drawn: c.dataset.drawn === '1', w: c.clientWidth, marks: marks};
})"""


@pytest.mark.parametrize("live_shop", [seed_demo], indirect=True)
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_dashboard_and_a_campaign_read_well(people, live_shop, size):
    t = translator("zh_CN")
    agent = people("agent", locale="zh-CN", **(DESKTOP if size == "desktop" else PHONE))
    page = agent.page
    agent.sign_in(t, agent_email(live_shop))
    page.goto("/crm/dashboard")
    charts = page.locator("canvas[data-chart]")
    expect(charts.first).to_be_visible()
    count = charts.count()
    assert count >= 11
    expect(page.locator("canvas[data-chart][data-drawn='1']")).to_have_count(count)
    for chart in page.evaluate(DRAWN):
        assert chart["drawn"] and chart["w"] > 200 and chart["marks"] > 50, chart
    no_horizontal_scroll(page)
    text = page.inner_text("main")
    assert not RAW.findall(text), sorted(set(RAW.findall(text)))
    for heading in ("Profile collection", "Return rate", "Movement between segments",
                    "Satisfaction from follow-up calls", "Complaints against the SLA"):
        expect(page.get_by_role("heading", name=t(heading))).to_be_visible()
    agent.shot(f"dashboard-{size}")
    # what the screen shows first, and the measures, as the agent sees them (not the whole page)
    page.screenshot(path=str(agent.shots.folder / f"dashboard-{size}-screen.png"))
    page.get_by_role("heading", name=t("Profile collection")).scroll_into_view_if_needed()
    page.screenshot(path=str(agent.shots.folder / f"dashboard-{size}-measures-screen.png"))
    # each measure by center and month: a line per center, drawn from its own table
    for name in ("profile-rate", "satisfaction", "return-rate", "complaint-sla-answered",
                 "complaint-sla-resolved"):
        chart = page.locator(f"canvas[data-testid^='chart-{name}'][data-testid$='by-center-month']")
        expect(chart).to_have_count(1)
        expect(chart).to_have_attribute("data-drawn", "1")
    for section in ("profile-rate", "satisfaction", "return-rate", "complaint-sla"):
        page.locator(f"section[data-testid='{section}']").screenshot(
            path=str(agent.shots.folder / f"dashboard-{size}-{section}.png"))
    expect(page.get_by_test_id("satisfaction-product-note")).to_be_visible()

    cell = page.locator("[data-testid^='move-']").first
    cell.scroll_into_view_if_needed()
    with page.expect_navigation():
        cell.click()
    expect(page.get_by_role("heading", name=t("Moved between segments"))).to_be_visible()
    no_horizontal_scroll(page)
    agent.shot(f"segment-moves-{size}")

    page.goto("/crm/campaigns")
    for name, verdict in (("老客户回购关怀（短信）", "A real difference"),
                          ("新品上市通知（短信）", "Within noise")):
        page.goto("/crm/campaigns")
        with page.expect_navigation():
            page.get_by_role("link", name=name).click()
        expect(page.locator("[data-testid='verdict-ordered']")).to_have_text(t(verdict))
        no_horizontal_scroll(page)
        text = page.inner_text("main")
        assert not RAW.findall(text), sorted(set(RAW.findall(text)))
        agent.shot(f"campaign-{'worked' if 'real' in verdict else 'noise'}-{size}")
    assert not agent.csp_violations and not agent.problems, agent.csp_violations + agent.problems
