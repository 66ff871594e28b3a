"""Remedy: the complaint's states and their log, the SLA and escalation, the remedy and its
follow-up; the customer files one about their own order."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from core.clock import utcnow
from core.errors import Forbidden, IllegalTransition, ValidationFailed
from crm.care import complaints
from crm.care.models import Complaint
from crm.customers.services import ensure_customer
from crm.followups.models import FollowUp
from crm.outreach.models import OutboxMessage
from tests.support.pages import login

pytestmark = pytest.mark.dates  # calendar rules: CI runs these shifted too

RESOLVE = {"remedy": "coupon", "remedy_amount": 5000, "root_cause": "包装破损",
           "prevention": "加厚泡沫箱"}


@pytest.fixture()
def order(shop, make_order):
    return make_order(shop.shopper, shop.products[0], shop.store)


def test_a_complaint_walks_its_states_and_logs_each(session, shop, order):
    now = utcnow()
    c = complaints.open_complaint(actor=shop.agent, order=order, category="quality",
                                  description="海参有异味", severity="high", now=now)
    assert c.customer.user_id == shop.shopper.id and c.status == "open"
    assert c.first_response_due_at == now + timedelta(hours=2)
    assert c.due_at == now + timedelta(hours=24)
    with pytest.raises(IllegalTransition):
        complaints.transition(c, shop.agent, to="resolved", **RESOLVE)
    complaints.transition(c, shop.agent, to="acknowledged", note="已致电安抚")
    assert c.first_response_at is not None and c.owner_id == shop.agent.id
    complaints.transition(c, shop.agent, to="investigating")
    with pytest.raises(ValidationFailed) as err:
        complaints.transition(c, shop.agent, to="resolved", remedy="coupon", remedy_amount=500)
    assert set(err.value.errors) == {"root_cause", "prevention"}
    assert c.status == "investigating"
    complaints.transition(c, shop.agent, to="resolved", **RESOLVE)
    assert (c.remedy, c.root_cause) == ("coupon", "包装破损") and c.resolved_at
    complaints.transition(c, shop.agent, to="closed")
    complaints.transition(c, shop.agent, to="investigating", note="客户再次反映")  # reopen
    assert c.resolved_at is None and c.closed_at is None
    assert [(e.from_status, e.to_status, e.actor_id) for e in c.events] == [
        (None, "open", shop.agent.id), ("open", "acknowledged", shop.agent.id),
        ("acknowledged", "investigating", shop.agent.id),
        ("investigating", "resolved", shop.agent.id), ("resolved", "closed", shop.agent.id),
        ("closed", "investigating", shop.agent.id)]


def test_resolving_plans_the_confirmation_call(session, shop, order):
    c = complaints.open_complaint(actor=shop.agent, order=order, category="delivery",
                                  description="送晚了")
    for step in ("acknowledged", "investigating"):
        complaints.transition(c, shop.agent, to=step)
    complaints.transition(c, shop.agent, to="resolved", **RESOLVE)
    [call] = session.execute(sa.select(FollowUp).where(FollowUp.kind == "complaint")
                             ).scalars().all()
    assert call.order_id == order.id and call.due_at > utcnow() + timedelta(days=6)


def test_refund_remedy_goes_through_one_function(session, shop, order, monkeypatch):
    import crm.care.complaints as module

    calls = []
    monkeypatch.setattr(module, "issue_refund", lambda o, **kw: calls.append((o, kw)) or "ok")
    c = complaints.open_complaint(actor=shop.agent, order=order, category="quality",
                                  description="坏了")
    for step in ("acknowledged", "investigating"):
        complaints.transition(c, shop.agent, to=step)
    with pytest.raises(ValidationFailed):
        complaints.transition(c, shop.agent, to="resolved", remedy="refund", root_cause="x",
                              prevention="y")  # no amount
    complaints.transition(c, shop.agent, to="resolved", remedy="refund", remedy_amount=1000,
                          root_cause="x", prevention="y")
    assert calls == [(order, {"amount": 1000, "actor": shop.agent,
                              "reason": f"complaint:{c.id}"})]
    assert c.remedy_note == "ok"


def test_an_agents_refund_is_requested_for_the_orders_page(session, shop, order):
    from crm.care.remedies import issue_refund
    from storefront.payments.models import Payment, Refund, RefundRequest

    session.add(Payment(order_id=order.id, method="cash", status="succeeded",
                        amount=order.total_amount))
    session.flush()
    with force_locale("en"):
        note = issue_refund(order, amount=1000, actor=shop.agent, reason="complaint:7")
    assert note == "Refund of ¥10.00 requested from the storefront."
    assert session.query(Refund).filter_by(order_id=order.id).count() == 0
    [request] = session.query(RefundRequest).filter_by(order_id=order.id).all()
    assert (request.amount, request.source, request.requested_by_id, request.closed_at) == (
        1000, "complaint:7", shop.agent.id, None)


def test_an_admins_full_refund_goes_through_the_refund_service(session, shop, order,
                                                               make_user):
    from core.models import Role
    from crm.care.remedies import issue_refund
    from storefront.payments.models import Payment, Refund

    session.add(Payment(order_id=order.id, method="cash", status="succeeded",
                        amount=order.total_amount))
    session.flush()
    admin = make_user(role=Role.ADMIN)
    issue_refund(order, amount=order.total_amount, actor=admin, reason="包装破损")
    refunds = session.query(Refund).filter_by(order_id=order.id).all()
    assert [r.amount for r in refunds] == [order.total_amount]
    assert session.query(Refund).count() == 1


def test_customers_only_for_their_own_orders(session, shop, order, make_user):
    stranger = make_user()
    with pytest.raises(Forbidden):
        complaints.open_complaint(actor=stranger, order=order, category="other",
                                  description="?")
    with pytest.raises(Forbidden):
        complaints.open_complaint(actor=shop.shopper, category="other", description="?")
    c = complaints.open_complaint(actor=shop.shopper, order=order, category="service",
                                  description="店员态度不好", channel="hotline")
    assert c.channel == "online"
    assert complaints.complaints_of_user(shop.shopper) == [c]


@pytest.mark.parametrize("bad", [{"category": "weather"}, {"severity": "apocalyptic"},
                                 {"description": "  "}, {"channel": "pigeon"}])
def test_bad_complaints_are_refused(session, shop, order, bad):
    data = {"category": "other", "description": "x", **bad}
    with pytest.raises(ValidationFailed):
        complaints.open_complaint(actor=shop.agent, order=order, **data)


def test_overdue_is_flagged_and_escalated_once(session, shop, order):
    past = utcnow() - timedelta(hours=3)
    late = complaints.open_complaint(actor=shop.agent, order=order, category="quality",
                                     description="没人理", severity="high", now=past)
    fine = complaints.open_complaint(actor=shop.agent, order=order, category="quality",
                                     description="刚来", severity="low")
    assert complaints.is_overdue(late) and not complaints.is_overdue(fine)
    assert complaints.list_complaints(overdue=True) == [late]
    assert complaints.escalate_overdue(utcnow()) == "1 complaint(s) escalated"
    [mail] = session.execute(sa.select(OutboxMessage).where(
        OutboxMessage.kind == "complaint_escalation")).scalars().all()
    assert mail.to == shop.admin.email and mail.purpose == "service"
    # In the shop's language (zh_CN), words and not codes.
    assert "高" in mail.body and "质量" in mail.body
    assert "high" not in mail.body and "quality" not in mail.body and "open" not in mail.body
    assert complaints.escalate_overdue(utcnow()) == "0 complaint(s) escalated"


# --- pages -----------------------------------------------------------------------------------


def test_agent_logs_and_resolves_on_the_pages(client, session, shop, order):
    customer = ensure_customer(shop.shopper)
    login(client, shop.agent)
    response = client.post(f"/crm/customers/{customer.id}/complaints/new",
                           data={"order": order.id, "channel": "hotline",
                                 "category": "quality", "severity": "high",
                                 "product_id": str(order.lines[0].product_id),
                                 "description": "海参发软"})
    assert response.status_code == 302
    c = session.execute(sa.select(Complaint)).scalar_one()
    assert c.product_id == order.lines[0].product_id
    assert "海参发软" in client.get("/crm/complaints").get_data(as_text=True)
    for step in ("acknowledged", "investigating"):
        assert client.post(f"/crm/complaints/{c.id}", data={"to": step}).status_code == 302
    response = client.post(f"/crm/complaints/{c.id}", data={"to": "resolved",
                                                            "remedy": "apology"})
    assert response.status_code == 400
    response = client.post(f"/crm/complaints/{c.id}", data={
        "to": "resolved", "remedy": "replacement", "root_cause": "仓库受潮",
        "prevention": "换防潮仓"})
    assert response.status_code == 302
    session.expire_all()
    page = client.get(f"/crm/complaints/{c.id}").get_data(as_text=True)
    assert "Resolved" in page and "仓库受潮" in page


def test_customer_files_from_the_order_and_sees_the_status(client, session, shop, order,
                                                          make_user):
    login(client, shop.shopper)
    assert client.get(f"/orders/{order.public_id}/complaint").status_code == 200
    response = client.post(f"/orders/{order.public_id}/complaint",
                           data={"category": "delivery", "description": "盒子压坏了"})
    assert response.status_code == 302
    page = client.get("/complaints").get_data(as_text=True)
    assert "盒子压坏了" in page and "Open" in page
    login(client, make_user())
    assert client.get(f"/orders/{order.public_id}/complaint").status_code == 404
