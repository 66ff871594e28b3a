"""An agent's refund remedy waits on the order's back-office page: a banner with the amount
and the complaint, a one-click refund for admins and the center's staff, a list of open
requests; any refund of the order closes it."""
# ruff: noqa: F811 - the payment tests' fixtures, imported below, are parameters here

import pytest
import sqlalchemy as sa

from core.errors import Conflict, Forbidden
from crm.care import complaints
from storefront.payments import billing, refund_requests, refunds
from storefront.payments.models import RefundRequest

from .test_club import buy, pick_up
from .test_payments import (  # noqa: F401 - fixtures
    _login,
    _order,
    shop,
)


def _requested(shop, order, amount=1500):
    c = complaints.open_complaint(actor=shop.agent, order=order, category="quality",
                                  description="一盒破损")
    for step in ("acknowledged", "investigating"):
        complaints.transition(c, shop.agent, to=step)
    complaints.transition(c, shop.agent, to="resolved", remedy="refund", remedy_amount=amount,
                          root_cause="运输挤压", prevention="加固外箱")
    return c


def _open(session, order):
    session.expire_all()
    return session.execute(sa.select(RefundRequest).where(
        RefundRequest.order_id == order.id, RefundRequest.closed_at.is_(None))).scalars().all()


def test_an_agents_refund_becomes_an_open_request(app, session, shop):
    order = pick_up(shop, buy(shop))
    c = _requested(shop, order)
    [request] = _open(session, order)
    assert (request.amount, request.source, request.requested_by_id) == (
        1500, f"complaint:{c.id}", shop.agent.id)
    assert billing.refunds_of(order) == []
    with app.test_request_context():
        what, link = refund_requests.describe_source(request.source, shop.agent)
        assert link == f"/crm/complaints/{c.id}" and str(c.id) in what
        assert refund_requests.describe_source(request.source, shop.clerk)[1] is None
        assert refund_requests.describe_source("unknown:1", shop.agent) == ("unknown:1", None)


def test_an_agent_cannot_ask_for_more_than_is_left(session, shop):
    from core.errors import ValidationFailed

    order = pick_up(shop, buy(shop))
    with pytest.raises(ValidationFailed) as err:
        _requested(shop, order, amount=order.total_amount + 1)
    assert err.value.code == "refund_exceeds_refundable" and "remedy_amount" in err.value.errors
    assert _open(session, order) == []


def test_paying_the_request_refunds_that_amount_and_closes_it(session, shop):
    order = pick_up(shop, buy(shop))
    _requested(shop, order)
    [request] = _open(session, order)
    with pytest.raises(Forbidden):
        refunds.pay_request(request, shop.agent)
    with pytest.raises(Forbidden):
        refunds.pay_request(request, shop.far_clerk)
    refund = refunds.pay_request(request, shop.clerk)
    assert (refund.amount, refund.status, refund.method) == (1500, "succeeded", "cash")
    assert _open(session, order) == []
    session.refresh(request)
    assert request.refund_id == refund.id and request.closed_at is not None
    with pytest.raises(Conflict):
        refunds.pay_request(request, shop.clerk)


def test_any_refund_of_the_order_closes_its_requests(session, shop):
    from storefront.payments import refunds

    order = pick_up(shop, buy(shop))
    _requested(shop, order)
    refunds.refund_amount(order, shop.admin, amount=500, reason="另行补偿")
    assert _open(session, order) == []


def test_the_order_page_shows_the_request_and_pays_it(client, session, shop):
    order = pick_up(shop, buy(shop))
    c = _requested(shop, order)
    public_id = order.public_id
    _login(client, shop.clerk)
    page = client.get(f"/admin/orders/{public_id}").get_data(as_text=True)
    assert 'data-testid="refund-requested"' in page and "¥15.00" in page
    assert f'href="/crm/complaints/{c.id}"' not in page  # see below
    listed = client.get("/admin/orders/?refund_requested=1").get_data(as_text=True)
    assert order.number in listed and 'data-testid="requested-amount"' in listed
    [request] = _open(session, order)
    response = client.post(f"/admin/orders/{public_id}/refund-requests/{request.id}")
    assert response.status_code == 302
    refunds = billing.refunds_of(_order(session, public_id))
    assert [(r.amount, r.status) for r in refunds] == [(1500, "succeeded")]
    page = client.get(f"/admin/orders/{public_id}").get_data(as_text=True)
    assert 'data-testid="refund-requested"' not in page
    listed = client.get("/admin/orders/?refund_requested=1").get_data(as_text=True)
    assert order.number not in listed
    again = client.post(f"/admin/orders/{public_id}/refund-requests/{request.id}")
    assert again.status_code == 409
    assert len(billing.refunds_of(_order(session, public_id))) == 1


def test_the_complaint_is_a_link_only_for_those_who_may_open_it(client, session, shop):
    order = pick_up(shop, buy(shop))
    c = _requested(shop, order)
    # the store's staff cannot open the customer center: its number and state, as text
    _login(client, shop.clerk)
    page = client.get(f"/admin/orders/{order.public_id}").get_data(as_text=True)
    text = page.split('<span data-testid="request-source">', 1)[1].split("</span>", 1)[0]
    assert str(c.id) in text and "已解决" in text  # resolved, in the page's Chinese
    assert "/crm/complaints/" not in page
    _login(client, shop.admin)
    page = client.get(f"/admin/orders/{order.public_id}").get_data(as_text=True)
    assert f'<a href="/crm/complaints/{c.id}" data-testid="request-source">' in page
    assert client.get(f"/crm/complaints/{c.id}").status_code == 200


def test_staff_of_another_center_and_agents_cannot_pay(client, session, shop):
    order = pick_up(shop, buy(shop))
    _requested(shop, order)
    [request] = _open(session, order)
    _login(client, shop.far_clerk)
    assert client.post(f"/admin/orders/{order.public_id}/refund-requests/{request.id}"
                       ).status_code == 404
    _login(client, shop.agent)
    assert client.post(f"/admin/orders/{order.public_id}/refund-requests/{request.id}"
                       ).status_code in (302, 403)
    assert len(_open(session, order)) == 1 and billing.refunds_of(order) == []
