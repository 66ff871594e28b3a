"""Campaigns over saved segments: consent, the live count, the preview, sending once per
customer (set-based), the weekly cap at delivery, calls in the queue, the pages."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.clock import shop_today, utcnow
from core.errors import ValidationFailed
from crm.customers import profiles, segments
from crm.followups.models import FollowUp
from crm.outreach import campaigns
from crm.outreach.models import OutboxMessage
from crm.outreach.outbox import deliver_outbox, enqueue
from tests.support.pages import login

pytestmark = pytest.mark.dates  # calendar rules: CI runs these shifted too

SCRIPT = "{name}您好，宝宝 {baby_age} 个月了，{shop}新到辅食。"


def person(agent, name, *, marketing=True, service=True, city="上海市", phone="13800000000"):
    customer = profiles.create_prospect(agent, {"name": name, "city": city, "phone": phone})
    customer.marketing_consent, customer.service_consent = marketing, service
    return customer


@pytest.fixture()
def segment(shop):
    return segments.save_segment(None, shop.agent, name="上海客户", filters={"city": "上海市"})


@pytest.fixture()
def people(shop, session):
    mum = person(shop.agent, "王芳", phone="13800000001")
    profiles.add_child(mum, birth_date=shop_today() - timedelta(days=200))
    return {"mum": mum, "fan": person(shop.agent, "李娜", phone="13800000002"),
            "no": person(shop.agent, "赵敏", marketing=False, phone="13800000003"),
            "out": person(shop.agent, "钱多", service=False, phone="13800000004"),
            "far": person(shop.agent, "北京客户", city="北京市", phone="13800000005")}


def new_campaign(shop, segment, **overrides):
    fields = {"name": "辅食上新", "segment_id": segment.id, "channel": "sms",
              "purpose": "marketing", "subject": None, "script": SCRIPT}
    fields.update(overrides)
    return campaigns.save_campaign(None, shop.agent, **fields)


def test_marketing_reaches_only_consenting_customers_once(session, shop, segment, people):
    campaign = new_campaign(shop, segment)
    assert campaigns.reach(campaign) == {"total": 4, "reachable": 3, "no_consent": 1}

    assert campaigns.send_campaign(campaign, shop.agent, utcnow()) == 3
    messages = session.execute(sa.select(OutboxMessage).where(
        OutboxMessage.campaign_id == campaign.id).order_by(OutboxMessage.customer_id)
    ).scalars().all()
    assert [m.customer_id for m in messages] == sorted(
        people[k].id for k in ("mum", "fan", "out"))
    months = profiles.baby_age_months(people["mum"])
    mum_body = next(m.body for m in messages if m.customer_id == people["mum"].id)
    assert mum_body == f"王芳您好，宝宝 {months} 个月了，{shop_name(session)}新到辅食。"
    assert {m.purpose for m in messages} == {"marketing"}

    # sent again: nothing twice; a newcomer to the segment gets it
    assert campaigns.send_campaign(campaign, shop.agent, utcnow()) == 0
    person(shop.agent, "新客", phone="13800000009")
    assert campaigns.send_campaign(campaign, shop.agent, utcnow()) == 1

    counts = campaigns.results([campaign.id])[campaign.id]
    assert (counts["sent"], counts["waiting"], counts["skipped"]) == (4, 4, 1)
    deliver_outbox(utcnow())
    counts = campaigns.results([campaign.id])[campaign.id]
    assert (counts["delivered"], counts["failed"], counts["waiting"]) == (4, 0, 0)


def shop_name(session):
    from flask import current_app

    return current_app.config["SHOP_NAME"]


def test_service_notice_needs_only_the_service_consent(session, shop, segment, people):
    campaign = new_campaign(shop, segment, purpose="service", script="{name}：本周六门店休息。")
    assert campaigns.reach(campaign)["reachable"] == 3
    campaigns.send_campaign(campaign, shop.agent, utcnow())
    reached = set(session.execute(sa.select(OutboxMessage.customer_id).where(
        OutboxMessage.campaign_id == campaign.id)).scalars())
    assert reached == {people[k].id for k in ("mum", "fan", "no")}


def test_consent_withdrawn_before_delivery_is_skipped(session, shop, segment, people):
    campaign = new_campaign(shop, segment)
    campaigns.send_campaign(campaign, shop.agent, utcnow())
    people["fan"].marketing_consent = False
    session.flush()
    deliver_outbox(utcnow())
    counts = campaigns.results([campaign.id])[campaign.id]
    assert (counts["delivered"], counts["skipped"]) == (2, 2)  # 1 at sending + 1 at delivery


def test_a_customer_skipped_at_delivery_is_not_counted_again_when_sent_again(
        session, shop, segment, people):
    campaign = new_campaign(shop, segment)
    campaigns.send_campaign(campaign, shop.agent, utcnow())
    people["fan"].marketing_consent = False
    session.flush()
    deliver_outbox(utcnow())
    assert campaigns.send_campaign(campaign, shop.agent, utcnow()) == 0
    counts = campaigns.results([campaign.id])[campaign.id]
    # "no" left out at sending, "fan" skipped at delivery: two customers, two skipped
    assert (counts["sent"], counts["delivered"], counts["skipped"]) == (3, 2, 2)


def test_the_weekly_cap_applies_at_delivery(app, session, shop, segment, people, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_WEEKLY_CAP", 1)
    now = utcnow()
    enqueue(channel="sms", kind="birthday", subject="", body="生日快乐",
            customer_id=people["fan"].id, dedupe_key="earlier", send_after=now - timedelta(days=2))
    deliver_outbox(now - timedelta(days=1))
    campaign = new_campaign(shop, segment)
    campaigns.send_campaign(campaign, shop.agent, now)
    assert deliver_outbox(now).startswith("2 sent, 1 deferred")
    held = session.execute(sa.select(OutboxMessage).where(
        OutboxMessage.campaign_id == campaign.id,
        OutboxMessage.customer_id == people["fan"].id)).scalar_one()
    assert held.status == "pending" and held.send_after > now


def test_bad_campaigns_are_refused(session, shop, segment):
    with pytest.raises(ValidationFailed) as err:
        campaigns.save_campaign(None, shop.agent, name="", segment_id=None, channel="fax",
                                purpose="spam", subject=None, script="{name")
    assert set(err.value.errors) == {"name", "segment_id", "channel", "purpose", "script"}
    with pytest.raises(ValidationFailed) as err:
        new_campaign(shop, segment, channel="email", subject="")
    assert set(err.value.errors) == {"subject"}
    sent = new_campaign(shop, segment)
    campaigns.send_campaign(sent, shop.agent, utcnow())
    with pytest.raises(ValidationFailed):
        campaigns.save_campaign(sent, shop.agent, name="x", segment_id=segment.id,
                                channel="sms", purpose="marketing", subject=None, script="x")


def test_a_call_campaign_fills_the_queue_once(session, client, shop, segment, people):
    campaign = new_campaign(shop, segment, channel="phone",
                            script="您好{name}，我是{agent}，宝宝 {baby_age} 个月了吧？")
    assert campaigns.send_campaign(campaign, shop.agent, utcnow()) == 3
    assert campaigns.send_campaign(campaign, shop.agent, utcnow()) == 0
    calls = session.execute(sa.select(FollowUp).where(FollowUp.campaign_id == campaign.id)
                            ).scalars().all()
    assert {c.kind for c in calls} == {"campaign"} and len(calls) == 3
    call = next(c for c in calls if c.customer_id == people["mum"].id)
    login(client, shop.agent)
    page = client.get(f"/crm/followups/{call.id}").get_data(as_text=True)
    months = profiles.baby_age_months(people["mum"])
    assert f"您好王芳，我是{shop.agent.name}，宝宝 {months} 个月了吧？" in page


def test_pages_create_preview_send_and_count(session, client, shop, segment, people):
    login(client, shop.agent)
    assert client.get("/crm/campaigns/new").status_code == 200
    bad = client.post("/crm/campaigns/new", data={
        "name": "邮件", "segment_id": str(segment.id), "channel": "email",
        "purpose": "marketing", "subject": "", "script": SCRIPT})
    assert bad.status_code == 400 and "An e-mail needs a subject." in bad.get_data(as_text=True)
    assert session.execute(sa.select(sa.func.count(campaigns.Campaign.id))).scalar_one() == 0

    made = client.post("/crm/campaigns/new", data={
        "name": "辅食上新", "segment_id": str(segment.id), "channel": "sms",
        "purpose": "marketing", "subject": "", "script": SCRIPT})
    assert made.status_code == 302
    campaign = session.execute(sa.select(campaigns.Campaign)).scalar_one()
    page = client.get(made.location).get_data(as_text=True)
    assert "<strong>3</strong> of 4 customers in the segment will get it" in page
    assert "王芳您好，宝宝" in page  # the first reached customer's preview

    assert client.post(f"/crm/campaigns/{campaign.id}/send").status_code == 302
    assert client.post(f"/crm/campaigns/{campaign.id}/send").status_code == 302
    deliver_outbox(utcnow())
    page = client.get(f"/crm/campaigns/{campaign.id}").get_data(as_text=True)
    assert 'data-testid="count-sent">3<' in page
    assert 'data-testid="count-delivered">3<' in page
    assert 'data-testid="count-skipped">1<' in page
    listing = client.get("/crm/campaigns").get_data(as_text=True)
    assert "辅食上新" in listing


def test_campaign_send_command(session, runner, shop, segment, people):
    campaign = new_campaign(shop, segment)
    session.commit()
    result = runner.invoke(args=["crm", "campaign-send", str(campaign.id)])
    assert result.exit_code == 0, result.output
    assert "3 new message(s)" in result.output
    again = runner.invoke(args=["crm", "campaign-send", str(campaign.id)])
    assert "0 new message(s)" in again.output
    assert runner.invoke(args=["crm", "campaign-send", "999999"]).exit_code != 0
