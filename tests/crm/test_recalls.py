"""Recalls: from a lot to one follow-up per customer who received it, and who was reached."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.errors import ValidationFailed
from crm.care.complaints import list_complaints, open_complaint, transition
from crm.care.lots import lot_groups, lots_of
from crm.care.recalls import campaign_view, list_campaigns, open_recall, recall_script
from crm.followups.models import FollowUp, FollowUpKind
from crm.followups.queue import complete_followup
from fulfillment import services as desk
from fulfillment.lots import receive_lot
from storefront.orders import cancel_order, place_order
from tests.support.pages import login
from tests.support.queries import count_statements


@pytest.fixture()
def today(clock):
    """The shop's today, from the test's clock."""
    return clock.today()


def order(shop, product, quantity, user, *, hand_over=True):
    placed = place_order(user, lines=[{"sku": product.sku, "quantity": quantity}],
                         fulfillment={"method": "pickup", "center_id": shop.store.id},
                         payment_method="pay_at_pickup")
    if hand_over:
        f = placed.fulfillment
        desk.mark_ready(f, shop.clerk)
        desk.hand_over(f, f.pickup_code, shop.clerk, collected={"method": "cash"})
    return placed


@pytest.fixture()
def recalled(session, shop, make_product, make_user, today):
    """A lot of formula: one shopper got it in two orders, another in one; a third cancelled."""
    product = make_product(sku="NF-RECALL", name="有机奶粉一段")
    lot = receive_lot(shop.store.id, product.id, batch="B-2611", quantity=10,
                      expires_on=today + timedelta(days=300), actor=shop.clerk)
    twice = make_user(name="周敏", phone="13800001111")
    once = make_user(name="陈静", phone="13800002222")
    cancelled = make_user(name="王芳", phone="13800003333")
    first, second = order(shop, product, 2, twice), order(shop, product, 1, twice)
    order(shop, product, 3, once)
    cancel_order(order(shop, product, 1, cancelled, hand_over=False), cancelled)
    return lot, product, twice, once, cancelled, (first, second)


def recall_followups(session, lot):
    return session.execute(sa.select(FollowUp).where(
        FollowUp.reason.like(f"recall:lot:{lot.id}:%")).order_by(FollowUp.id)).scalars().all()


def test_one_followup_per_affected_customer_and_never_twice(session, shop, recalled):
    lot, _product, twice, once, _cancelled, (first, _second) = recalled
    campaign, planned = open_recall(lot, shop.agent)
    assert planned == 2
    rows = recall_followups(session, lot)
    assert sorted(f.customer.user_id for f in rows) == sorted([twice.id, once.id])
    assert {f.kind for f in rows} == {FollowUpKind.RECALL}
    assert {f.recall_id for f in rows} == {campaign.id}
    assert next(f for f in rows if f.customer.user_id == twice.id).order_id == first.id
    again, planned_again = open_recall(lot, shop.agent)
    assert (again.id, planned_again) == (campaign.id, 0)
    assert len(recall_followups(session, lot)) == 2


def test_a_later_order_of_the_lot_is_added_on_the_next_run(session, shop, recalled, make_user):
    lot, product, *_rest = recalled
    open_recall(lot, shop.agent)
    late = make_user(name="刘洋")
    order(shop, product, 1, late)
    _campaign, planned = open_recall(lot, shop.agent)
    assert planned == 1
    assert late.id in {f.customer.user_id for f in recall_followups(session, lot)}


def test_planning_takes_the_same_statements_for_2_and_6_customers(session, shop, make_product,
                                                                   make_user, today):
    def lot_received_by(customers: int, sku: str):
        product = make_product(sku=sku)
        lot = receive_lot(shop.store.id, product.id, batch=f"B-{sku}", quantity=2 * customers,
                          expires_on=today + timedelta(days=300), actor=shop.clerk)
        for _n in range(customers):
            order(shop, product, 2, make_user())
        return lot

    few, many = lot_received_by(2, "NF-FEW"), lot_received_by(6, "NF-MANY")
    with count_statements() as for_few:
        assert open_recall(few, shop.agent)[1] == 2
    with count_statements() as for_many:
        assert open_recall(many, shop.agent)[1] == 6
    assert len(for_many) == len(for_few)
    with count_statements() as again:
        assert open_recall(many, shop.agent)[1] == 0
    assert len(again) <= len(for_few)


def test_script_names_product_batch_quantity_orders_and_advice(app, session, shop, recalled):
    lot, _product, twice, *_rest, (first, second) = recalled
    open_recall(lot, shop.agent, advice="请停止食用，到任一门店退换。")
    followup = next(f for f in recall_followups(session, lot) if f.customer.user_id == twice.id)
    with app.test_request_context():
        script = recall_script(followup, agent="小王", shop="海韵")
    for part in ("周敏", "有机奶粉一段", "B-2611", "3", first.number, second.number,
                 "请停止食用，到任一门店退换。"):
        assert part in script


def test_campaign_counts_follow_the_outcomes(app, session, shop, recalled):
    lot, _product, twice, once, *_rest = recalled
    campaign, _planned = open_recall(lot, shop.agent)
    view = campaign_view(campaign)
    assert view["counts"] == {"reached": 0, "not_reached": 0, "pending": 2}
    assert {r["followup"].customer.user_id: r["quantity"] for r in view["rows"]} == {
        twice.id: 3, once.id: 3}
    by_user = {f.customer.user_id: f for f in recall_followups(session, lot)}
    complete_followup(by_user[twice.id], shop.agent, outcome="reached", notes="will return it")
    for _attempt in range(app.config["FOLLOWUP_MAX_ATTEMPTS"]):
        complete_followup(by_user[once.id], shop.agent, outcome="unreached")
    assert campaign_view(campaign)["counts"] == {"reached": 1, "not_reached": 1, "pending": 0}
    [(listed, counts)] = [(c, n) for c, n in list_campaigns() if c.id == campaign.id]
    assert counts == {"reached": 1, "not_reached": 1, "pending": 0}


def test_advice_too_long_is_refused(session, shop, recalled):
    lot, *_rest = recalled
    with pytest.raises(ValidationFailed):
        open_recall(lot, shop.agent, advice="x" * 501)
    assert recall_followups(session, lot) == []


def test_cli_opens_by_batch_and_is_idempotent(runner, session, shop, recalled):
    lot, *_rest = recalled
    result = runner.invoke(args=["crm", "recall", "B-2611"])
    assert result.exit_code == 0, result.output
    assert "2 new call(s)" in result.output
    result = runner.invoke(args=["crm", "recall", str(lot.id)])
    assert result.exit_code == 0 and "0 new call(s)" in result.output
    assert runner.invoke(args=["crm", "recall", "NO-SUCH"]).exit_code != 0
    assert len(recall_followups(session, lot)) == 2


def test_agent_opens_and_follows_a_recall_on_its_pages(client, session, shop, recalled):
    lot, *_rest = recalled
    login(client, shop.agent)
    found = client.get("/crm/recalls?lot=B-2611").get_data(as_text=True)
    assert f'data-testid="lot-{lot.id}"' in found
    response = client.post("/crm/recalls", data={"lot_id": lot.id})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="recall-calls"' in page and "B-2611" in page
    assert 'data-testid="count-pending"><div class="value">2<' in page
    followup = recall_followups(session, lot)[0]
    call = client.get(f"/crm/followups/{followup.id}").get_data(as_text=True)
    assert "B-2611" in call and 'data-testid="recall-link"' in call
    assert client.post("/crm/recalls", data={"lot_id": 999999}).status_code == 400
    assert "B-2611" in client.get("/crm/recalls").get_data(as_text=True)


def test_shoppers_and_store_staff_cannot_open_a_recall(client, session, shop, recalled):
    lot, *_rest = recalled
    for user in (shop.shopper, shop.clerk):
        login(client, user)
        assert client.post("/crm/recalls", data={"lot_id": lot.id}).status_code == 403
    assert recall_followups(session, lot) == []


# --- complaints grouped by lot ---------------------------------------------------------------


def test_complaints_about_one_lot_are_one_group(session, shop, recalled, make_product, today):
    lot, product, twice, once, _cancelled, (first, second) = recalled
    other_lot = receive_lot(shop.store.id, product.id, batch="B-OTHER", quantity=5,
                            expires_on=today + timedelta(days=500), actor=shop.clerk)
    third = order(shop, product, 1, once)  # 7 of B-2611's 10 units gone (the cancelled one is back)
    assert {a.lot_id for ln in third.fulfillment.lines for a in ln.lots} == {lot.id}
    fourth = order(shop, product, 4, once)  # the last 3 of B-2611, then one of B-OTHER
    assert {a.lot_id for ln in fourth.fulfillment.lines for a in ln.lots} == {
        lot.id, other_lot.id}
    made = [open_complaint(actor=shop.agent, order=o, category="quality", product_id=product.id,
                           description="结块") for o in (first, second, third)]
    # the order has one product: the complaint is about it, without being told
    made.append(open_complaint(actor=shop.agent, order=fourth, category="quality",
                               description="有异味"))
    assert made[-1].product_id == product.id
    assert [x.id for x in lots_of(made[0])] == [lot.id]
    assert [x.id for x in lots_of(made[-1])] == [lot.id, other_lot.id]
    transition(made[0], shop.agent, to="acknowledged")
    transition(made[0], shop.agent, to="investigating")
    transition(made[0], shop.agent, to="resolved", remedy="apology", root_cause="受潮",
               prevention="仓库除湿")
    groups = {g["lot"].id: g for g in lot_groups()}
    assert (groups[lot.id]["count"], groups[lot.id]["open"]) == (4, 3)
    assert (groups[other_lot.id]["count"], groups[other_lot.id]["open"]) == (1, 1)
    assert groups[lot.id]["product"] == "有机奶粉一段"
    assert {c.id for c in list_complaints(status=None, lot_id=other_lot.id)} == {made[-1].id}


def test_complaint_log_shows_the_group_and_opens_its_recall(client, session, shop, recalled):
    lot, product, _twice, _once, _cancelled, (first, second) = recalled
    made = [open_complaint(actor=shop.agent, order=o, category="quality", description="结块")
            for o in (first, second)]
    login(client, shop.agent)
    page = client.get("/crm/complaints").get_data(as_text=True)
    assert f'data-testid="lot-group-{lot.id}"' in page and "B-2611" in page
    filtered = client.get(f"/crm/complaints?status=all&lot={lot.id}").get_data(as_text=True)
    assert 'data-testid="lot-filter"' in filtered
    assert all(f'data-testid="complaint-{c.id}"' in filtered for c in made)
    shown = client.get(f"/crm/complaints/{made[0].id}").get_data(as_text=True)
    assert 'data-testid="complaint-lots"' in shown and "B-2611" in shown
    assert client.post("/crm/recalls", data={"lot_id": lot.id}).status_code == 302
    assert len(recall_followups(session, lot)) == 2
    assert "/crm/recalls/" in client.get("/crm/complaints").get_data(as_text=True)
