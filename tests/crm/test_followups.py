"""The CRM hears about purchases through signals: profiles, figures, satisfaction calls."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.clock import utcnow
from core.errors import IllegalTransition, ValidationFailed
from crm.customers.services import customer_for_user, mask_phone, search_customers
from crm.followups import queue as followups
from crm.followups.models import FollowUp
from crm.followups.rules import run_rules
from fulfillment import services as desk
from storefront.loyalty.membership import sign_up_member
from storefront.orders import cancel_order, place_order

pytestmark = pytest.mark.dates  # calendar rules: CI runs these shifted too


def buy(shop, qty=1, product=0):
    return place_order(shop.shopper, lines=[{"sku": shop.products[product].sku, "quantity": qty}],
                       fulfillment={"method": "pickup", "center_id": shop.store.id},
                       payment_method="pay_at_pickup")


def handed_over(shop):
    order = buy(shop)
    desk.mark_ready(order.fulfillment, shop.clerk)
    desk.hand_over(order.fulfillment, order.fulfillment.pickup_code, shop.clerk,
                   collected={"method": "cash"})
    return order


def open_followups(session):
    return session.execute(sa.select(FollowUp).where(FollowUp.status == "open")).scalars().all()


def test_order_creates_profile_with_figures(session, shop):
    first = buy(shop)
    buy(shop, qty=2, product=1)
    customer = customer_for_user(shop.shopper.id)
    assert customer.orders_count == 2 and customer.frequency == 2
    assert customer.monetary_amount == first.total_amount + 2 * shop.products[1].price_amount
    assert customer.stage == "repeat"


def test_cancelled_orders_do_not_count(session, shop):
    order = buy(shop)
    cancel_order(order, shop.shopper)
    customer = customer_for_user(shop.shopper.id)
    assert (customer.orders_count, customer.monetary_amount, customer.stage) == (0, 0, "prospect")


def test_member_stage_and_card(session, shop):
    membership = sign_up_member(shop.shopper, name="王芳", phone="13900001111")
    customer = customer_for_user(shop.shopper.id)
    assert customer.stage == "vip" and customer.card_number == membership.card_number


def test_hand_over_schedules_a_satisfaction_call_three_days_later(session, shop):
    order = handed_over(shop)
    [call] = open_followups(session)
    assert call.kind == "satisfaction" and call.order_id == order.id
    assert call.due_at - order.fulfillment.completed_at == timedelta(days=3)


def test_rule_job_does_not_schedule_twice(session, shop):
    handed_over(shop)
    assert run_rules(utcnow()).startswith("0 satisfaction,")
    session.execute(sa.delete(FollowUp))
    assert run_rules(utcnow()).startswith("1 satisfaction,")
    assert run_rules(utcnow()).startswith("0 satisfaction,")
    assert len(open_followups(session)) == 1


def test_queue_and_completion(session, shop):
    handed_over(shop)
    assert followups.due_followups(due_before=utcnow()) == []
    [call] = followups.due_followups(due_before=utcnow() + timedelta(days=4))
    with pytest.raises(ValidationFailed):
        followups.complete_followup(call, shop.agent, outcome="reached", satisfaction=6)
    with pytest.raises(ValidationFailed):
        followups.complete_followup(call, shop.agent, outcome="shrug")
    followups.complete_followup(call, shop.agent, outcome="reached", satisfaction=5,
                                notes="很满意，下月再来")
    assert (call.status, call.satisfaction, call.completed_by_id) == ("done", 5, shop.agent.id)
    with pytest.raises(IllegalTransition):
        followups.complete_followup(call, shop.agent, outcome="reached")


def test_unreached_is_retried_then_closed(app, session, shop):
    handed_over(shop)
    [call] = open_followups(session)
    for attempt in range(1, app.config["FOLLOWUP_MAX_ATTEMPTS"]):
        followups.complete_followup(call, shop.agent, outcome="unreached")
        assert call.status == "open" and call.attempts == attempt
        assert call.due_at > utcnow()
    followups.complete_followup(call, shop.agent, outcome="unreached")
    assert call.status == "unreached"


def test_search_by_last_four_digits_and_masking(session, shop, make_user):
    user = make_user(name="李静", phone="13612348888")
    place_order(user, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                fulfillment={"method": "pickup", "center_id": shop.store.id},
                payment_method="pay_at_pickup")
    items, _ = search_customers("8888")
    assert [c.name for c in items] == ["李静"]
    assert [c.name for c in search_customers("李静")[0]] == ["李静"]
    assert search_customers("1234")[0] == []  # not the last four
    assert mask_phone("13612348888") == "136****8888"
