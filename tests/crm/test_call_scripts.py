"""The call script, chosen in the service: the campaign's, else the kind's rule's, else the
standard one for the kind."""

import sqlalchemy as sa

from core.clock import utcnow
from crm.customers import segments
from crm.customers.services import ensure_customer
from crm.followups.models import FollowUp
from crm.followups.queue import schedule_followup
from crm.followups.scripts import call_script
from crm.outreach import campaigns
from tests.support.rules import rule


def test_the_campaign_script_then_the_rule_script_then_the_standard_one(app, session, shop):
    customer = ensure_customer(shop.shopper)
    customer.marketing_consent = True
    call = schedule_followup(customer, kind="winback", reason="t:winback", due_at=utcnow())
    with app.test_request_context():
        assert "小王" in call_script(call, None, None, None, agent="小王")
        rule(session, "winback", script="{name}您好，我是{agent}，好久不见！")
        assert call_script(call, None, None, None, agent="小王") == (
            f"{customer.name}您好，我是小王，好久不见！")
        segment = segments.save_segment(None, shop.agent, name="全部", filters={})
        campaign = campaigns.save_campaign(
            None, shop.agent, name="回访", segment_id=segment.id, channel="phone",
            purpose="marketing", subject=None, script="{agent}致电{name}：新品上市。")
        campaigns.send_campaign(campaign, shop.agent, utcnow())
        campaign_call = session.execute(sa.select(FollowUp).where(
            FollowUp.campaign_id == campaign.id, FollowUp.customer_id == customer.id)
        ).scalar_one()
        assert call_script(campaign_call, None, None, None, agent="小王") == (
            f"小王致电{customer.name}：新品上市。")
