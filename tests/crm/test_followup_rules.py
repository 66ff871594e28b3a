"""Interact: the follow-up rules (editable rows), each planning its contact once."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from core.clock import shop_today, utcnow
from core.errors import ValidationFailed
from core.signals import fulfillment_no_show, order_refunded
from crm.customers import profiles
from crm.customers.segments import save_segment
from crm.customers.services import ensure_customer
from crm.followups import queue as followups
from crm.followups import rules as followup_rules
from crm.followups.models import FollowUp, FollowUpRule
from crm.outreach.models import OutboxMessage
from storefront.loyalty.membership import sign_up_member
from tests.conftest import SHOP_ZONE
from tests.support.dates import months_ago
from tests.support.rules import rule

pytestmark = pytest.mark.dates  # calendar rules: CI runs these shifted too


def planned(session, kind):
    return session.execute(sa.select(FollowUp).where(FollowUp.kind == kind)
                           .order_by(FollowUp.id)).scalars().all()


def messages(session, kind):
    return session.execute(sa.select(OutboxMessage).where(OutboxMessage.kind == kind)
                           .order_by(OutboxMessage.id)).scalars().all()


def test_default_rules_are_rows(session):
    kinds = set(session.execute(sa.select(FollowUpRule.kind)).scalars())
    assert kinds == {"satisfaction", "reorder", "welcome", "birthday", "baby_birthday",
                     "winback", "complaint", "apology", "no_show"}


def test_satisfaction_rule_delay_channel_and_off(session, shop, make_order):
    from fulfillment import services as desk
    from storefront.orders import place_order

    rule(session, "satisfaction", delay_days=5)
    order = place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                        fulfillment={"method": "pickup", "center_id": shop.store.id},
                        payment_method="pay_at_pickup")
    desk.mark_ready(order.fulfillment, shop.clerk)
    desk.hand_over(order.fulfillment, order.fulfillment.pickup_code, shop.clerk,
                   collected={"method": "cash"})
    [call] = planned(session, "satisfaction")
    assert call.due_at - order.fulfillment.completed_at == timedelta(days=5)
    rule(session, "satisfaction", active=False)
    session.delete(call)
    session.flush()
    assert followup_rules.run_rules(utcnow()).startswith("0 satisfaction")


def test_reorder_reminder_before_the_supply_runs_out(session, shop, make_product, make_order,
                                                     make_user):
    formula = make_product(days_of_supply=20)
    buyer, again = make_user(), make_user()
    ensure_customer(buyer)
    ensure_customer(again)
    make_order(buyer, formula, shop.store, days_ago=36, quantity=2)  # runs out in 4 days
    make_order(again, formula, shop.store, days_ago=36, quantity=2)
    make_order(again, formula, shop.store, days_ago=2)  # bought again: no reminder
    profiles.add_child(ensure_customer(buyer), birth_date=months_ago(shop_today(), 7))
    now = utcnow()
    assert "1 reorder" in followup_rules.run_rules(now)
    [sms] = messages(session, "reorder")
    assert sms.channel == "sms" and sms.purpose == "marketing"
    assert formula.name_zh in sms.body
    assert sms.body.endswith("宝宝 7 个月了。")  # the baby's age, in the default message
    assert sms.send_after >= now
    assert "0 reorder" in followup_rules.run_rules(now)  # once


def test_welcome_pack_from_needs_tags(session, shop, make_order):
    membership = sign_up_member(shop.shopper, name="王芳", phone="13900001111",
                                baby_birthday=shop_today() - timedelta(days=60))
    customer = ensure_customer(shop.shopper)
    profiles.add_tag(customer, shop.agent, "0-6月龄宝宝")
    make_order(shop.shopper, shop.products[0], shop.store, days_ago=0)
    membership.joined_at = utcnow() - timedelta(days=1)
    session.flush()
    assert "1 welcome" in followup_rules.run_rules(utcnow())
    [task] = planned(session, "welcome")
    assert "一段喂养指南" in task.task  # chosen by the 0-6 months tag, in the shop's language
    assert task.due_at <= utcnow() + timedelta(days=29)
    assert "0 welcome" in followup_rules.run_rules(utcnow())


@pytest.mark.parametrize("local_day", [date(2026, 3, 30), date(2026, 12, 29)])
def test_birthday_greetings_member_and_baby(session, shop, make_user, local_day):
    """A fixed day of the shop (late in a month, or across the new year): greetings for the
    coming week's birthdays, at 10:00 on the day, once."""
    from datetime import datetime, time

    from core.clock import shop_zone

    zone = shop_zone()
    now = datetime.combine(local_day, time(8, 0), tzinfo=zone).astimezone(UTC)
    soon, later = local_day + timedelta(days=3), local_day + timedelta(days=10)
    member = profiles.create_prospect(shop.agent, {"name": "寿星", "email": "b@example.com"})
    member.birthday, member.marketing_consent = date(1990, soon.month, soon.day), True
    far = profiles.create_prospect(shop.agent, {"name": "远寿星", "email": "f@example.com"})
    far.birthday, far.marketing_consent = date(1990, later.month, later.day), True
    parent = profiles.create_prospect(shop.agent, {"name": "宝妈", "phone": "13700009999"})
    parent.marketing_consent = True
    profiles.add_child(parent, birth_date=date(local_day.year - 1, local_day.month,
                                                local_day.day), today=local_day)
    session.flush()

    summary = followup_rules.run_rules(now)
    assert "1 birthday" in summary and "1 baby_birthday" in summary
    [card] = messages(session, "birthday")
    assert card.customer_id == member.id
    assert card.send_after == datetime.combine(soon, time(10, 0), tzinfo=zone)
    assert str(soon.year) in card.dedupe_key  # next year's birthday is another greeting
    [baby] = messages(session, "baby_birthday")
    assert baby.customer_id == parent.id
    assert baby.send_after == datetime.combine(local_day, time(10, 0), tzinfo=zone)
    assert baby.body.endswith("宝宝 12 个月了。")
    assert "0 birthday" in followup_rules.run_rules(now)
    assert "0 baby_birthday" in followup_rules.run_rules(now + timedelta(days=1))


def test_winback_for_valuable_dormant_customers(session, shop, make_user, make_order,
                                                make_product):
    from crm.customers.figures import recompute_figures

    big = make_product(price=150_000)
    valuable, small = make_user(), make_user()
    make_order(valuable, big, shop.store, days_ago=95)
    make_order(small, shop.products[0], shop.store, days_ago=95)
    for user in (valuable, small):
        ensure_customer(user)
    recompute_figures(utcnow())
    assert "1 winback" in followup_rules.run_rules(utcnow())
    [call] = planned(session, "winback")
    assert call.customer.user_id == valuable.id
    assert "0 winback" in followup_rules.run_rules(utcnow())


def test_rule_segment_narrows_who_is_called(session, shop, make_user, make_order, make_product):
    from crm.customers.figures import recompute_figures

    big = make_product(price=150_000)
    user = make_user()
    make_order(user, big, shop.store, days_ago=95)
    ensure_customer(user)
    recompute_figures(utcnow())
    segment = save_segment(None, shop.admin, name="上海", filters={"city": "上海市"})
    rule(session, "winback", segment_id=segment.id)
    assert "0 winback" in followup_rules.run_rules(utcnow())


def test_apology_after_a_late_payment_refund_and_no_show_call(session, shop, make_order):
    order = make_order(shop.shopper, shop.products[0], shop.store)
    ensure_customer(shop.shopper)
    order_refunded.send(order, refund=None, amount=100, full=True, reason="customer_request")
    assert planned(session, "apology") == []
    order_refunded.send(order, refund=None, amount=100, full=True, reason="late_payment")
    order_refunded.send(order, refund=None, amount=100, full=True, reason="late_payment")
    [call] = planned(session, "apology")
    assert call.order_id == order.id
    from fulfillment.models import Fulfillment

    f = Fulfillment(order_id=order.id, center_id=shop.store.id, method="pickup",
                    status="cancelled")
    session.add(f)
    session.flush()
    fulfillment_no_show.send(f)
    [ask] = planned(session, "no_show")
    assert ask.due_at > utcnow()


def test_editing_a_rule_checks_its_values(session, shop):
    row = rule(session, "birthday")
    with pytest.raises(ValidationFailed):
        followup_rules.save_rule(row, shop.admin, active=True, delay_days=0, channel="fax",
                                 script=None, segment_id=None)
    with pytest.raises(ValidationFailed):
        followup_rules.save_rule(row, shop.admin, active=True, delay_days=0, channel="sms",
                                 script="Hi {name", segment_id=None)
    followup_rules.save_rule(row, shop.admin, active=True, delay_days=1, channel="email",
                             script="亲爱的{name}，生日快乐！", segment_id=None)
    customer = profiles.create_prospect(shop.agent, {"name": "小周"})
    assert followup_rules.render_script(row.script, customer) == "亲爱的小周，生日快乐！"


def test_next_action_plans_a_follow_up(session, shop, make_order):
    order = make_order(shop.shopper, shop.products[0], shop.store)
    customer = ensure_customer(shop.shopper)
    call = followups.schedule_followup(customer, kind="satisfaction", reason="x:1",
                                       due_at=utcnow(), order_id=order.id)
    with pytest.raises(ValidationFailed):
        followups.complete_followup(call, shop.agent, outcome="reached",
                                    next_action="寄样品", next_action_at=None)
    followups.complete_followup(call, shop.agent, outcome="reached", next_action="寄样品",
                                next_action_at=utcnow() + timedelta(days=2))
    [nxt] = planned(session, "next_action")
    assert nxt.task == "寄样品" and nxt.order_id == order.id


def test_rules_page_and_edit(client, session, shop):
    from tests.support.pages import login

    login(client, shop.agent)
    page = client.get("/crm/followup-rules").get_data(as_text=True)
    assert 'data-testid="rule-reorder"' in page
    assert client.get("/crm/followup-rules/reorder").status_code == 403
    login(client, shop.admin)
    response = client.post("/crm/followup-rules/reorder", data={
        "active": "y", "delay_days": "999", "channel": "sms", "segment_id": ""})
    assert response.status_code == 400
    response = client.post("/crm/followup-rules/reorder", data={
        "active": "y", "delay_days": "5", "channel": "phone", "segment_id": "",
        "script": "{name}，您的{products}快用完了"})
    assert response.status_code == 302
    session.expire_all()
    row = rule(session, "reorder")
    assert (row.delay_days, row.channel) == (5, "phone")
    assert client.get("/crm/followup-rules/nonsense").status_code == 404


def test_call_page_uses_the_rule_script_and_plans_the_next_action(client, session, shop,
                                                                  make_order):
    from tests.support.pages import login

    order = make_order(shop.shopper, shop.products[0], shop.store)
    customer = ensure_customer(shop.shopper)
    rule(session, "satisfaction", script="您好{name}，{products}用得还好吗？")
    call = followups.schedule_followup(customer, kind="satisfaction", reason="t:1",
                                       due_at=utcnow(), order_id=order.id)
    login(client, shop.agent)
    page = client.get(f"/crm/followups/{call.id}").get_data(as_text=True)
    assert f"您好{customer.name}，" in page
    when = (utcnow() + timedelta(days=3)).date().isoformat()
    response = client.post(f"/crm/followups/{call.id}", data={
        "outcome": "reached", "satisfaction": "4", "next_action": "寄试用装",
        "next_action_on": when})
    assert response.status_code == 302
    session.expire_all()
    [nxt] = planned(session, "next_action")
    assert nxt.task == "寄试用装"


def test_a_rule_script_is_filled_in_for_each_customer(session, shop, clock):
    """The set-based job writes each message's text itself: name and baby's age filled in."""
    today = clock.today().replace(day=15)  # a day every month has
    clock.move_to(datetime.combine(today, time(10), SHOP_ZONE))
    rule(session, "baby_birthday", script="{name}您好，宝宝{baby_age}个月啦！{shop}祝生日快乐")
    parents = []
    for name, years in (("宝妈甲", 1), ("宝妈乙", 2)):
        parent = profiles.create_prospect(shop.agent, {"name": name, "phone": f"1370000{years}000"})
        profiles.add_child(parent, birth_date=date(today.year - years, today.month, today.day))
        parents.append(parent)
    session.flush()
    assert "2 baby_birthday" in followup_rules.run_rules(utcnow())
    bodies = sorted(m.body for m in messages(session, "baby_birthday"))
    assert bodies == ["宝妈乙您好，宝宝24个月啦！Haiyun祝生日快乐",
                      "宝妈甲您好，宝宝12个月啦！Haiyun祝生日快乐"]
    assert {m.customer_id for m in messages(session, "baby_birthday")} == {p.id for p in parents}
    assert "0 baby_birthday" in followup_rules.run_rules(utcnow())
