"""Finding 17: a complaint's coupon is capped like a coupon given by hand
(``MAX_GOODWILL_AMOUNT``, 2,000 yuan): in the service, the API and the complaint's page."""

import pytest
import sqlalchemy as sa

from core.errors import ValidationFailed
from crm.care import complaints
from crm.care.goodwill import MAX_GOODWILL_AMOUNT
from crm.care.models import Complaint
from storefront.coupon_models import Coupon
from tests.api.conftest import API, assert_error
from tests.support.pages import login

FIX = {"root_cause": "包装破损", "prevention": "加厚泡沫箱"}


@pytest.fixture()
def complaint(session, shop, make_order):
    order = make_order(shop.shopper, shop.products[0], shop.store, quantity=2)
    c = complaints.open_complaint(actor=shop.agent, order=order, category="quality",
                                  description="礼盒压坏了")
    for step in ("acknowledged", "investigating"):
        complaints.transition(c, shop.agent, to=step)
    session.commit()
    return c


def _coupons(session) -> list[int]:
    session.expire_all()
    return [c.amount for c in session.execute(sa.select(Coupon)).scalars()]


def _status(session, complaint) -> str:
    session.expire_all()
    return session.get(Complaint, complaint.id).status


def test_the_service_refuses_a_coupon_above_the_cap(session, shop, complaint):
    with pytest.raises(ValidationFailed) as err:
        complaints.transition(complaint, shop.agent, to="resolved", remedy="coupon",
                              remedy_amount=MAX_GOODWILL_AMOUNT + 1, **FIX)
    assert "remedy_amount" in err.value.errors
    session.rollback()
    assert _coupons(session) == [] and _status(session, complaint) == "investigating"


def test_the_api_refuses_a_coupon_above_the_cap(client, session, shop, complaint, token_for):
    """The review's repro: the API took a coupon of up to 1,000,000 yuan."""
    url = f"{API}/crm/complaints/{complaint.id}/transition"
    agent = token_for(shop.agent)
    body = assert_error(client.post(url, headers=agent, json={
        "to": "resolved", "remedy": "coupon", "remedy_amount": 100_000_000, **FIX}),
        400, "validation_error")
    assert "remedy_amount" in body["errors"]
    assert _coupons(session) == [] and _status(session, complaint) == "investigating"
    done = client.post(url, headers=agent, json={
        "to": "resolved", "remedy": "coupon", "remedy_amount": MAX_GOODWILL_AMOUNT, **FIX})
    assert done.status_code == 200, done.get_json()
    assert _coupons(session) == [MAX_GOODWILL_AMOUNT]


def test_the_page_refuses_a_coupon_above_the_cap(client, session, shop, complaint):
    login(client, shop.agent)
    url = f"/crm/complaints/{complaint.id}"
    for yuan in (MAX_GOODWILL_AMOUNT // 100 + 1, 30_000_000):  # the second past the column
        refused = client.post(url, data={"to": "resolved", "remedy": "coupon",
                                         "remedy_amount": str(yuan), **FIX})
        assert refused.status_code == 400, yuan
        assert "A coupon takes at most 2000 yuan off." in refused.get_data(as_text=True)
        assert _coupons(session) == [] and _status(session, complaint) == "investigating"
    done = client.post(url, data={"to": "resolved", "remedy": "coupon", "remedy_amount": "50",
                                  **FIX})
    assert done.status_code == 302
    assert _coupons(session) == [5000]
