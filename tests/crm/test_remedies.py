"""What a remedy gives the customer: a coupon (and a message), a replacement order, or a
refund asked for on the order's page."""

import pytest
import sqlalchemy as sa

from core.errors import ValidationFailed
from core.models import utcnow
from crm import complaints
from crm.models import OutboxMessage
from storefront.coupon_models import Coupon, CouponState
from tests.crm.test_pages import login

FIX = {"root_cause": "包装破损", "prevention": "加厚泡沫箱"}


@pytest.fixture()
def order(shop, make_order):
    return make_order(shop.shopper, shop.products[0], shop.store, quantity=2)


def investigating(shop, order, **kw):
    c = complaints.open_complaint(actor=shop.agent, order=order, category="quality",
                                  description="礼盒压坏了", **kw)
    for step in ("acknowledged", "investigating"):
        complaints.transition(c, shop.agent, to=step)
    return c


def test_coupon_remedy_issues_a_coupon_and_tells_the_customer(app, session, shop, order):
    shop.shopper.locale = "en"
    c = investigating(shop, order)
    complaints.transition(c, shop.agent, to="resolved", remedy="coupon", remedy_amount=5000,
                          **FIX)
    coupon = session.execute(sa.select(Coupon)).scalar_one()
    assert c.coupon_id == coupon.id and coupon.user_id == shop.shopper.id
    assert (coupon.amount, coupon.state, coupon.source, coupon.source_ref) == (
        5000, CouponState.ISSUED, "complaint", str(c.id))
    days = (coupon.valid_until - coupon.valid_from).days
    assert days == app.config["COMPLAINT_COUPON_DAYS"] == 90
    assert coupon.code in c.remedy_note
    [message] = session.execute(sa.select(OutboxMessage).where(
        OutboxMessage.kind == "complaint_update")).scalars().all()
    assert message.to == shop.shopper.email and message.purpose == "service"
    assert coupon.code in message.body and "¥50.00" in message.body
    assert "coupon" in message.subject.lower()  # the customer's language (en)


def test_the_message_is_in_chinese_for_a_chinese_reader(session, shop, order):
    shop.shopper.locale = "zh_CN"
    c = investigating(shop, order)
    complaints.transition(c, shop.agent, to="resolved", remedy="coupon", remedy_amount=800, **FIX)
    message = session.execute(sa.select(OutboxMessage).where(
        OutboxMessage.kind == "complaint_update")).scalar_one()
    assert "优惠券" in message.subject and c.coupon.code in message.body


def test_a_prospect_cannot_get_a_coupon(session, shop):
    from crm.profiles import create_prospect

    prospect = create_prospect(shop.agent, {"name": "张女士", "phone": "13900001111"})
    c = complaints.open_complaint(actor=shop.agent, customer=prospect, category="service",
                                  description="热线没人接")
    for step in ("acknowledged", "investigating"):
        complaints.transition(c, shop.agent, to=step)
    with pytest.raises(ValidationFailed) as err:
        complaints.transition(c, shop.agent, to="resolved", remedy="coupon", remedy_amount=500,
                              **FIX)
    assert "remedy" in err.value.errors
    assert session.execute(sa.select(sa.func.count(Coupon.id))).scalar_one() == 0


def test_the_complaint_page_and_api_show_the_coupon(client, session, shop, order, token_for):
    c = investigating(shop, order)
    complaints.transition(c, shop.agent, to="resolved", remedy="coupon", remedy_amount=3000, **FIX)
    code = c.coupon.code
    headers = token_for(shop.agent)
    login(client, shop.agent)
    html = client.get(f"/crm/complaints/{c.id}").get_data(as_text=True)
    assert 'data-testid="complaint-coupon"' in html and code in html
    body = client.get(f"/api/v1/crm/complaints/{c.id}", headers=headers).json
    assert body["coupon"] == code
    # and the shopper finds it under their orders, ready to use
    login(client, shop.shopper)
    mine = client.get("/orders").get_data(as_text=True)
    assert code in mine and 'data-state="issued"' in mine
    assert utcnow() < c.coupon.valid_until
