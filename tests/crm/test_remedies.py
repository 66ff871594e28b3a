"""What a remedy gives the customer: a coupon (and a message), a replacement order, or a
refund asked for on the order's page."""

import pytest
import sqlalchemy as sa

from core.clock import utcnow
from core.errors import ValidationFailed
from crm.care import complaints
from crm.outreach.models import OutboxMessage
from storefront.coupon_models import Coupon, CouponState
from tests.conftest import delivery_address
from tests.support.pages import login

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


def test_a_reopened_complaint_resolved_again_keeps_its_one_coupon(client, session, shop,
                                                                   order):
    c = investigating(shop, order)
    complaints.transition(c, shop.agent, to="resolved", remedy="coupon", remedy_amount=5000,
                          **FIX)
    first, first_note = c.coupon, c.remedy_note
    complaints.transition(c, shop.agent, to="investigating", note="客户说还是不满意")
    complaints.transition(c, shop.agent, to="resolved", remedy="coupon", remedy_amount=3000,
                          **FIX)
    assert session.execute(sa.select(Coupon)).scalars().all() == [first]
    assert (c.coupon_id, c.remedy_amount) == (first.id, 5000)
    assert first.code in c.remedy_note and c.remedy_note != first_note  # kept, not issued
    assert len(session.execute(sa.select(OutboxMessage).where(
        OutboxMessage.kind == "complaint_update")).scalars().all()) == 1
    login(client, shop.agent)
    html = client.get(f"/crm/complaints/{c.id}").get_data(as_text=True)
    assert first_note not in html and "¥50.00" in html and "¥30.00" not in html


def test_the_message_is_in_chinese_for_a_chinese_reader(session, shop, order):
    shop.shopper.locale = "zh_CN"
    c = investigating(shop, order)
    complaints.transition(c, shop.agent, to="resolved", remedy="coupon", remedy_amount=800, **FIX)
    message = session.execute(sa.select(OutboxMessage).where(
        OutboxMessage.kind == "complaint_update")).scalar_one()
    assert "优惠券" in message.subject and c.coupon.code in message.body


def test_a_prospect_cannot_get_a_coupon(session, shop):
    from crm.customers.profiles import create_prospect

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


# --- replacement -------------------------------------------------------------------------------


def placed(shop, quantity=2, method="pickup", **kw):
    from storefront.orders import place_order

    fulfillment = ({"method": "pickup", "center_id": shop.store.id} if method == "pickup"
                   else {"method": "delivery", "address": delivery_address()})
    return place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": quantity}],
                       fulfillment=fulfillment,
                       payment_method="pay_at_pickup" if method == "pickup" else "cash_on_delivery")


def stock_row(session, center, product):
    from fulfillment.models import Stock

    session.expire_all()
    return session.execute(sa.select(Stock).where(Stock.center_id == center.id,
                                                  Stock.product_id == product.id)).scalar_one()


@pytest.mark.parametrize("method", ["pickup", "delivery"])
def test_replacement_is_a_free_order_from_the_same_center(session, shop, method):
    original = placed(shop, quantity=2, method=method)
    center = shop.store if method == "pickup" else shop.hub
    before = stock_row(session, center, shop.products[0]).reserved
    c = investigating(shop, original)
    complaints.transition(c, shop.agent, to="resolved", remedy="replacement", **FIX)
    new = c.replacement_order
    assert new is not None and new.replacement_of_id == original.id and new.id != original.id
    assert (new.total_amount, new.subtotal_amount, new.status) == (0, 0, "confirmed")
    assert (new.fulfillment_method, new.center_id) == (method, center.id)
    assert [(ln.product_id, ln.quantity, ln.unit_price_amount) for ln in new.lines] == [
        (shop.products[0].id, 2, 0)]
    assert new.fulfillment.status == "reserved"
    if method == "delivery":
        assert new.fulfillment.address == original.fulfillment.address
    assert stock_row(session, center, shop.products[0]).reserved == before + 2
    assert new.number in c.remedy_note


def test_replacement_of_fewer_units(session, shop):
    c = investigating(shop, placed(shop, quantity=3))
    complaints.transition(c, shop.agent, to="resolved", remedy="replacement",
                          replacement_quantity=1, **FIX)
    assert c.replacement_order.lines[0].quantity == 1


def test_short_stock_refuses_the_replacement_and_changes_nothing(session, shop):
    from storefront.models import Order

    original = placed(shop, quantity=2)
    c = investigating(shop, original)
    session.commit()
    row = stock_row(session, shop.store, shop.products[0])
    row.on_hand = row.reserved + 1  # one unit left for anyone
    session.commit()
    with pytest.raises(ValidationFailed) as err:
        complaints.transition(c, shop.agent, to="resolved", remedy="replacement", **FIX)
    assert err.value.code == "insufficient_stock" and "remedy" in err.value.errors
    session.rollback()
    session.expire_all()
    assert c.status == "investigating" and c.replacement_order_id is None
    assert session.execute(sa.select(sa.func.count(Order.id))).scalar_one() == 1
    assert stock_row(session, shop.store, shop.products[0]).reserved == 2


def test_resolve_page_shows_the_shortage_and_the_order_pages_the_link(client, session, shop):
    from crm.care.models import Complaint
    from storefront.models import Order

    original = placed(shop, quantity=2)
    c = investigating(shop, original)
    row = stock_row(session, shop.store, shop.products[0])
    row.on_hand = row.reserved
    login(client, shop.agent)
    form = {"to": "resolved", "remedy": "replacement", **FIX}
    refused = client.post(f"/crm/complaints/{c.id}", data=form)
    assert refused.status_code == 400
    assert "only 0 of these in stock" in refused.get_data(as_text=True)
    row = stock_row(session, shop.store, shop.products[0])
    row.on_hand = 10
    session.commit()
    done = client.post(f"/crm/complaints/{c.id}", data=form)
    assert done.status_code == 302
    session.expire_all()
    new = session.get(Order, session.get(Complaint, c.id).replacement_order_id)
    html = client.get(f"/crm/complaints/{c.id}").get_data(as_text=True)
    assert 'data-testid="complaint-replacement"' in html and new.number in html
    login(client, shop.shopper)
    page = client.get(f"/orders/{new.public_id}").get_data(as_text=True)
    assert 'data-testid="replacement-of"' in page and original.number in page


def test_replacement_through_the_api_and_on_the_admin_order_page(client, session, shop,
                                                                   token_for):
    original = placed(shop, quantity=1)
    c = investigating(shop, original)
    headers = token_for(shop.agent)
    answer = client.post(f"/api/v1/crm/complaints/{c.id}/transition", headers=headers, json={
        "to": "resolved", "remedy": "replacement", **FIX})
    assert answer.status_code == 200, answer.json
    number = answer.json["replacement_order"]
    assert number and number != original.number
    from storefront.models import Order

    new = session.execute(sa.select(Order).where(Order.number == number)).scalar_one()
    login(client, shop.clerk)
    page = client.get(f"/admin/orders/{new.public_id}").get_data(as_text=True)
    assert 'data-testid="replacement-of"' in page and original.number in page
