"""Finding 18: a written script (a follow-up rule's, a campaign's, a call's) takes only the
bare placeholders of the list: no format spec, conversion, attribute or index, checked
with ``string.Formatter().parse``. Saving one is a form error; one saved before still
renders short."""

import pytest
import sqlalchemy as sa

from crm.customers import segments
from crm.customers.services import ensure_customer
from crm.followups.models import FollowUpRule
from crm.followups.planning import script_text
from crm.followups.rules import get_rule, render_script, script_problem
from crm.outreach.models import Campaign
from tests.support.pages import login

BAD = ["{name:>100000000}", "{name:{name}}", "{name!r}", "{name.__class__}", "{name[0]}",
       "{0}", "{}", "{secret}", "Hi {name", "Hi name}"]
GOOD = ["{name}您好，您的{products}快用完了", "宝宝{baby_age}个月，{shop}，{agent}",
        "{{name}} 原样", "没有占位符"]


@pytest.mark.parametrize("script", BAD)
def test_a_placeholder_that_is_not_bare_and_listed_is_refused(script):
    assert script_problem(script) is not None


@pytest.mark.parametrize("script", GOOD)
def test_bare_listed_placeholders_are_fine(script):
    assert script_problem(script) is None


def test_the_rule_page_refuses_a_format_spec(client, session, shop):
    """The review's repro: ``{name:>100000000}`` passed the check."""
    rule = get_rule("birthday")
    before = rule.script
    login(client, shop.admin)
    url = "/crm/followup-rules/birthday"
    for script in ("{name:>100000000}", "{name.__class__}"):
        refused = client.post(url, data={"active": "y", "delay_days": "0", "channel": "sms",
                                         "script": script, "segment_id": ""})
        assert refused.status_code == 400, script
        assert "Use only the placeholders {name}, {products}" in refused.get_data(as_text=True)
        session.expire_all()
        assert session.get(FollowUpRule, rule.id).script == before
    saved = client.post(url, data={"active": "y", "delay_days": "0", "channel": "sms",
                                   "script": "{name}，生日快乐！", "segment_id": ""})
    assert saved.status_code == 302
    session.expire_all()
    assert session.get(FollowUpRule, rule.id).script == "{name}，生日快乐！"


def test_the_campaign_page_refuses_a_conversion(client, session, shop):
    segment = segments.save_segment(None, shop.agent, name="all", filters={})
    login(client, shop.agent)
    form = {"name": "周末", "segment_id": str(segment.id), "channel": "sms",
            "purpose": "service", "subject": ""}
    refused = client.post("/crm/campaigns/new", data=form | {"script": "{name!r}：周六休息"})
    assert refused.status_code == 400
    assert session.execute(sa.select(sa.func.count(Campaign.id))).scalar_one() == 0
    assert client.post("/crm/campaigns/new", data=form | {"script": "{name}：周六休息"}
                       ).status_code == 302


def test_a_script_saved_before_renders_the_name_once(session, shop):
    """A script stored before the check (or by hand) never applies its format spec."""
    customer = ensure_customer(shop.shopper)
    script = "Hi {name:>100000}{name.__class__}!"
    rendered = render_script(script, customer)
    assert rendered == f"Hi {customer.name}!"
    assert len(script_text(script)) < 100
