"""Campaigns with a control group: a random share held out at sending (they get nothing),
then contacted vs held out after the attribution window, with the uplift's 95 % interval,
tested on generated customers and orders with a known effect."""

import random
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.clock import utcnow
from core.errors import ValidationFailed
from core.models import Role, User
from crm.customers import segments
from crm.customers.models import Customer
from crm.followups.models import FollowUp
from crm.outreach import campaigns, uplift
from crm.outreach.models import CampaignHoldout, OutboxMessage
from storefront.models import Order
from tests.support.pages import login
from tests.support.queries import count_statements

CITY = "控制市"


def population(session, n: int) -> list[int]:
    """``n`` customers with accounts in CITY, all with the marketing consent."""
    first = session.execute(sa.select(sa.func.coalesce(sa.func.max(User.id), 0))).scalar_one()
    session.execute(sa.insert(User), [
        {"name": f"u{first + i}", "email": f"u{first + i}@control.test", "role": Role.CUSTOMER}
        for i in range(1, n + 1)])
    users = session.execute(sa.select(User.id).where(User.id > first).order_by(User.id)
                            ).scalars().all()
    session.execute(sa.insert(Customer), [
        {"user_id": u, "name": f"c{u}", "city": CITY, "marketing_consent": True,
         "stage": "customer"} for u in users])
    return list(session.execute(sa.select(Customer.id).where(Customer.city == CITY)
                                .order_by(Customer.id)).scalars())


def sent(session, shop, n=600, holdout=50, channel="sms"):
    if n:
        population(session, n)
    segment = segments.save_segment(None, shop.agent, name=f"控制组 {channel} {n}",
                                    filters={"city": CITY})
    campaign = campaigns.save_campaign(
        None, shop.agent, name="回访", segment_id=segment.id, channel=channel,
        purpose="marketing", subject=None, script="{name}您好")
    campaigns.choose_control(campaign, holdout_percent=holdout, attribution_days=30)
    campaigns.send_campaign(campaign, shop.agent, utcnow())
    return campaign


def groups(session, campaign):
    held = set(session.execute(sa.select(CampaignHoldout.customer_id).where(
        CampaignHoldout.campaign_id == campaign.id)).scalars())
    model = FollowUp if campaign.channel == "phone" else OutboxMessage
    contacted = set(session.execute(sa.select(model.customer_id).where(
        model.campaign_id == campaign.id)).scalars())
    return sorted(contacted), sorted(held)


def deliver_all(session, campaign):
    session.execute(sa.update(OutboxMessage).where(OutboxMessage.campaign_id == campaign.id)
                    .values(status="sent", sent_at=utcnow()))


def buy(session, shop, customer_ids, share, rng, *, days=5, orders=1):
    """Each customer orders (``orders`` pickup orders ``days`` after the sending) with
    probability ``share``, drawn from ``rng`` in id order."""
    users = dict(session.execute(sa.select(Customer.id, Customer.user_id).where(
        Customer.id.in_(customer_ids))).all())
    rows = [{"user_id": users[c], "status": "fulfilled", "subtotal_amount": 12800,
             "total_amount": 12800, "payment_method": "pay_at_pickup",
             "fulfillment_method": "pickup", "center_id": shop.store.id,
             "created_at": utcnow() + timedelta(days=days)}
            for c in sorted(customer_ids) if rng.random() < share for _ in range(orders)]
    if rows:
        session.execute(sa.insert(Order), rows)


def test_a_share_is_held_out_at_random_and_gets_nothing(session, shop):
    campaign = sent(session, shop, n=200, holdout=10)
    contacted, held = groups(session, campaign)
    assert len(held) == 20 and len(contacted) == 180
    assert not set(held) & set(contacted)
    # sent again: those held out stay out, nobody is held out twice
    assert campaigns.send_campaign(campaign, shop.agent, utcnow()) == 0
    assert groups(session, campaign) == (contacted, held)
    # a newcomer to the segment: 10 % of one rounds to nobody held out
    population(session, 1)
    assert campaigns.send_campaign(campaign, shop.agent, utcnow()) == 1
    assert campaigns.results([campaign.id])[campaign.id]["held_out"] == 20


def test_the_share_and_window_are_checked_and_kept(session, shop):
    population(session, 10)
    segment = segments.save_segment(None, shop.agent, name="控制组", filters={"city": CITY})
    campaign = campaigns.save_campaign(None, shop.agent, name="回访", segment_id=segment.id,
                                       channel="sms", purpose="marketing", subject=None,
                                       script="{name}您好")
    with pytest.raises(ValidationFailed) as err:
        campaigns.choose_control(campaign, holdout_percent=80, attribution_days=0)
    assert set(err.value.errors) == {"holdout_percent", "attribution_days"}
    campaigns.choose_control(campaign, holdout_percent=20, attribution_days=14)
    campaigns.send_campaign(campaign, shop.agent, utcnow())
    campaigns.choose_control(campaign, holdout_percent=0, attribution_days=60)  # sent: kept
    assert (campaign.holdout_percent, campaign.attribution_days) == (20, 14)


def test_a_real_uplift_is_found(session, shop, clock):
    campaign = sent(session, shop)
    contacted, held = groups(session, campaign)
    assert (len(contacted), len(held)) == (300, 300)
    deliver_all(session, campaign)
    rng = random.Random(17)
    buy(session, shop, contacted, 0.35, rng)
    buy(session, shop, held, 0.15, rng)
    # outside the window: before the sending and after its 30 days
    buy(session, shop, held, 1.0, rng, days=-1)
    buy(session, shop, held, 1.0, rng, days=31)

    assert uplift.outcome(campaign, utcnow())["state"] == "measuring"
    clock.shift(timedelta(days=31))
    result = uplift.outcome(campaign, utcnow())
    assert result["state"] == "done"
    ordered = result["ordered"]
    assert 0.28 < ordered.contacted < 0.42 and 0.09 < ordered.held_out < 0.21
    assert not ordered.noise and ordered.low > 0
    assert ordered.low < 0.20 < ordered.high  # the true difference is inside
    assert not result["revenue"].noise and result["revenue"].diff == pytest.approx(
        128 * ordered.diff)
    assert not result["store"].noise and not result["orders"].noise


def test_a_null_effect_is_called_noise(session, shop, clock):
    campaign = sent(session, shop)
    contacted, held = groups(session, campaign)
    deliver_all(session, campaign)
    rng = random.Random(5)
    buy(session, shop, contacted, 0.2, rng)
    buy(session, shop, held, 0.2, rng)
    clock.shift(timedelta(days=31))
    result = uplift.outcome(campaign, utcnow())
    for key in uplift.MEASURES:
        assert result[key].noise, key
        assert result[key].low < 0 < result[key].high


def test_messages_count_when_delivered_calls_when_reached(session, shop, clock):
    campaign = sent(session, shop, n=40, holdout=50)
    contacted, held = groups(session, campaign)
    undelivered = contacted[:10]
    session.execute(sa.update(OutboxMessage).where(
        OutboxMessage.campaign_id == campaign.id,
        OutboxMessage.customer_id.not_in(undelivered)).values(status="sent"))
    session.execute(sa.update(OutboxMessage).where(
        OutboxMessage.customer_id.in_(undelivered)).values(status="failed"))
    buy(session, shop, undelivered, 1.0, random.Random(1))
    clock.shift(timedelta(days=31))
    result = uplift.outcome(campaign, utcnow())
    assert (result["contacted"], result["held_out"]) == (10, 20)
    assert result["ordered"].contacted == 0  # the undelivered who ordered do not count

    calls = sent(session, shop, n=0, holdout=50, channel="phone")  # the same 40 customers
    reached, _held = groups(session, calls)
    session.execute(sa.update(FollowUp).where(FollowUp.customer_id.in_(reached[:5]),
                                              FollowUp.campaign_id == calls.id)
                    .values(status="done"))
    clock.shift(timedelta(days=31))
    assert uplift.outcome(calls, utcnow())["contacted"] == 5


def test_statements_do_not_grow_with_the_customers(session, shop, clock):
    counts = []
    for n in (20, 200):
        campaign = sent(session, shop, n=n)
        deliver_all(session, campaign)
        clock.shift(timedelta(days=31))
        with count_statements() as statements:
            uplift.outcome(campaign, utcnow())
        counts.append(len(statements))
        session.execute(sa.update(Customer).values(city="别处"))
    assert counts[0] == counts[1] == 1


def test_the_interval_covers_95_percent_of_null_effects():
    """Under no effect, about 5 % of experiments look real (the stated confidence)."""
    rng, n, p, runs = random.Random(3), 300, 0.25, 2000
    false_alarms = 0
    for _ in range(runs):
        a = sum(rng.random() < p for _ in range(n))
        b = sum(rng.random() < p for _ in range(n))
        false_alarms += not uplift.proportion_difference(a, n, b, n).noise
    assert 0.03 < false_alarms / runs < 0.07


def test_the_page_sends_with_a_control_group_and_shows_the_verdict(client, session, shop,
                                                                     clock):
    population(session, 100)
    segment = segments.save_segment(None, shop.agent, name="控制组", filters={"city": CITY})
    campaign = campaigns.save_campaign(None, shop.agent, name="回访", segment_id=segment.id,
                                       channel="sms", purpose="marketing", subject=None,
                                       script="{name}您好")
    login(client, shop.agent)
    page = client.get(f"/crm/campaigns/{campaign.id}").get_data(as_text=True)
    assert 'name="holdout_percent"' in page and 'value="10"' in page

    bad = client.post(f"/crm/campaigns/{campaign.id}/send",
                      data={"holdout_percent": "80", "attribution_days": "30"})
    assert bad.status_code == 400
    assert session.execute(sa.select(sa.func.count(OutboxMessage.id))).scalar_one() == 0

    good = client.post(f"/crm/campaigns/{campaign.id}/send",
                       data={"holdout_percent": "50", "attribution_days": "30"})
    assert good.status_code == 302
    page = client.get(f"/crm/campaigns/{campaign.id}").get_data(as_text=True)
    assert 'data-testid="count-held-out">50<' in page
    assert 'data-testid="measuring"' in page

    contacted, held = groups(session, campaign)
    deliver_all(session, campaign)
    buy(session, shop, contacted, 0.8, random.Random(2))
    buy(session, shop, held, 0.05, random.Random(3))
    session.commit()
    clock.shift(timedelta(days=31))
    login(client, shop.agent)  # a session lasts 30 days
    page = client.get(f"/crm/campaigns/{campaign.id}").get_data(as_text=True)
    section = page[page.index('data-testid="outcome"'):][:3000]
    assert 'data-testid="verdict-ordered"><strong>A real difference' in page, section
    assert "difference of two proportions (Agresti-Caffo)" in page


def test_small_groups_or_a_zero_share_are_not_called_real():
    # 10 of 20 contacted ordered, 0 of 5 held out: Wald would call it real; too few to tell
    small = uplift.proportion_difference(10, 20, 0, 5)
    assert small.too_few and small.noise
    # enough customers, nobody held out ordered: the interval still has width
    zero = uplift.proportion_difference(3, 300, 0, 40)
    assert zero.low < 0 < zero.high and zero.noise


def test_an_event_compares_those_who_came_with_registered_no_shows(client, session, shop,
                                                                   make_user, make_order):
    from crm.club.models import Event, EventRegistration
    from crm.customers.services import ensure_customer
    from storefront.loyalty.membership import sign_up_member

    e = Event(title="品鉴会", starts_at=utcnow() - timedelta(days=40), city="上海市",
              address="静安区某路1号", capacity=100, seats_taken=0, tiers=[], interests=[],
              cities=[])
    session.add(e)
    session.flush()
    rng = random.Random(11)
    for i in range(60):
        user = make_user()
        ensure_customer(user)
        m = sign_up_member(user, name=f"会员{i}", phone=f"1370000{i:04d}", city="上海市")
        came = i % 2 == 0
        session.add(EventRegistration(event_id=e.id, membership_id=m.id, attendees=1,
                                      status="registered",
                                      checked_in_at=e.starts_at if came else None))
        if rng.random() < (0.7 if came else 0.1):
            make_order(user, shop.products[0], shop.store, days_ago=30)  # 10 days after
    session.flush()
    result = uplift.event_outcome(e, utcnow())
    assert (result["contacted"], result["held_out"]) == (30, 30)
    assert not result["ordered"].noise and result["ordered"].diff > 0.3

    login(client, shop.agent)
    page = client.get(f"/crm/club/events/{e.id}").get_data(as_text=True)
    assert 'data-testid="verdict-ordered"><strong>A real difference' in page
    assert "What the event brought" in page


def new_campaign(shop, name="命令行"):
    segment = segments.save_segment(None, shop.agent, name=f"控制组 {name}",
                                    filters={"city": CITY})
    return campaigns.save_campaign(None, shop.agent, name=name, segment_id=segment.id,
                                   channel="sms", purpose="marketing", subject=None,
                                   script="{name}您好")


def test_the_send_command_holds_out_the_share_it_is_given(session, shop, runner):
    population(session, 200)
    campaign = new_campaign(shop)
    session.commit()
    result = runner.invoke(args=["crm", "campaign-send", str(campaign.id), "--holdout", "10",
                                 "--attribution-days", "14"])
    assert result.exit_code == 0, result.output
    assert "180 new message(s) or call(s), 20 held out (10 %)" in result.output
    contacted, held = groups(session, campaign)
    assert (len(contacted), len(held)) == (180, 20) and not set(contacted) & set(held)
    assert (campaign.holdout_percent, campaign.attribution_days) == (10, 14)
    # the share is the first sending's: a later one may not change it, and says so
    again = runner.invoke(args=["crm", "campaign-send", str(campaign.id), "--holdout", "20"])
    assert again.exit_code != 0 and "was sent" in again.output
    assert groups(session, campaign) == (contacted, held)
    assert "0 new message(s)" in runner.invoke(
        args=["crm", "campaign-send", str(campaign.id)]).output


def test_the_send_command_refuses_a_share_out_of_range(session, shop, runner):
    population(session, 20)
    campaign = new_campaign(shop)
    session.commit()
    result = runner.invoke(args=["crm", "campaign-send", str(campaign.id), "--holdout", "80"])
    assert result.exit_code != 0 and "holdout_percent" in result.output
    assert groups(session, campaign) == ([], []) and campaign.sent_at is None


def test_the_uplift_command_prints_the_report(session, shop, runner, clock):
    assert runner.invoke(args=["crm", "campaign-uplift", "999999"]).exit_code != 0
    campaign = sent(session, shop)
    contacted, held = groups(session, campaign)
    deliver_all(session, campaign)
    rng = random.Random(17)
    buy(session, shop, contacted, 0.35, rng)
    buy(session, shop, held, 0.15, rng)
    session.commit()
    measuring = runner.invoke(args=["crm", "campaign-uplift", str(campaign.id)])
    assert measuring.exit_code == 0, measuring.output
    assert "measuring: 300 contacted, 300 held out" in measuring.output
    clock.shift(timedelta(days=31))
    result = runner.invoke(args=["crm", "campaign-uplift", str(campaign.id)])
    assert result.exit_code == 0, result.output
    ordered = uplift.outcome(campaign, utcnow())["ordered"]
    line = next(x for x in result.output.splitlines() if x.startswith("customers who ordered"))
    assert f"{ordered.contacted * 100:.1f} %" in line
    assert f"{ordered.diff * 100:+.1f} pt" in line
    assert line.endswith("a real difference")
    assert "contacted 300, held out 300" in result.output


def test_the_uplift_command_calls_a_null_effect_noise(session, shop, runner, clock):
    campaign = sent(session, shop)
    contacted, held = groups(session, campaign)
    deliver_all(session, campaign)
    rng = random.Random(5)
    buy(session, shop, contacted, 0.2, rng)
    buy(session, shop, held, 0.2, rng)
    session.commit()
    clock.shift(timedelta(days=31))
    result = runner.invoke(args=["crm", "campaign-uplift", str(campaign.id)])
    assert result.exit_code == 0, result.output
    verdicts = [x for x in result.output.splitlines() if x.endswith(("noise", "difference"))]
    assert len(verdicts) == 4 and all(x.endswith("within noise") for x in verdicts)
