"""Coupons the customer center gives by hand and takes back: the 360's form, the message
with the code, the list of every coupon, withdrawing one nobody has used."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.errors import IllegalTransition, ValidationFailed
from crm.care import goodwill
from crm.customers.services import ensure_customer
from crm.outreach.models import OutboxMessage
from storefront import coupons, orders
from storefront.coupon_models import Coupon, CouponState
from tests.support.pages import login

pytestmark = pytest.mark.dates  # calendar rules: CI runs these shifted too


def give_form(**overrides):
    data = {"amount": "50.00", "minimum_amount": "", "valid_days": "30",
            "note": "久等了, 送一张券"}
    data.update(overrides)
    return data


def all_coupons(session):
    return session.execute(sa.select(Coupon)).scalars().all()


def test_an_agent_gives_a_coupon_from_the_360_and_the_customer_is_told(client, session, shop):
    shop.shopper.locale = "zh_CN"
    customer = ensure_customer(shop.shopper)
    login(client, shop.agent)
    page = client.get(f"/crm/customers/{customer.id}")
    assert page.status_code == 200 and b'data-testid="give-coupon"' in page.data
    response = client.post(f"/crm/customers/{customer.id}/coupons",
                           data=give_form(minimum_amount="300"))
    assert response.status_code == 302 and response.location.endswith("#coupons")
    [coupon] = all_coupons(session)
    assert (coupon.user_id, coupon.amount, coupon.minimum_order_amount, coupon.source,
            coupon.note, coupon.created_by_id) == (
        shop.shopper.id, 5000, 30000, "manual", "久等了, 送一张券", shop.agent.id)
    assert (coupon.valid_until - coupon.valid_from).days == 30
    [message] = session.execute(sa.select(OutboxMessage).where(
        OutboxMessage.dedupe_key == f"coupon:{coupon.id}")).scalars().all()
    assert message.to == shop.shopper.email and message.purpose == "service"
    assert coupon.code in message.body and "优惠券" in message.subject
    assert "¥300.00" in message.body  # the minimum, in the customer's language
    page = client.get(f"/crm/customers/{customer.id}")
    assert coupon.code.encode() in page.data and "久等了".encode() in page.data
    # The shopper can use it at once.
    order = orders.place_order(
        shop.shopper, lines=[{"sku": shop.products[1].sku, "quantity": 1}],
        fulfillment={"method": "pickup", "center_id": shop.store.id},
        payment_method="pay_at_pickup", coupon=coupon.code)
    assert order.coupon_discount_amount == 5000


@pytest.mark.parametrize("field, value, says", [
    ("amount", "0", "more than 0"), ("amount", "-5", "Enter an amount in yuan"),
    ("amount", "abc", "Enter an amount in yuan"), ("amount", "2000.01", "at most ¥2,000.00"),
    ("valid_days", "0", "Valid for (days)"), ("valid_days", "400", "Valid for (days)"),
    ("note", "", "Say why"), ("note", "x" * 201, "Why")])
def test_bad_input_is_refused_and_nothing_is_given(client, session, shop, field, value, says):
    customer = ensure_customer(shop.shopper)
    login(client, shop.agent)
    response = client.post(f"/crm/customers/{customer.id}/coupons",
                           data=give_form(**{field: value}), follow_redirects=True)
    assert response.status_code == 200
    errors = re.findall(r'<div class="flash error"[^>]*>([^<]*)</div>',
                        response.get_data(as_text=True))
    assert errors and says in " ".join(errors)
    assert all_coupons(session) == []
    assert session.execute(sa.select(OutboxMessage)).scalars().all() == []


def test_a_prospect_without_an_account_cannot_hold_a_coupon(session, shop):
    from crm.customers.profiles import create_prospect

    prospect = create_prospect(shop.agent, {"name": "路人甲", "phone": "13900001111"})
    with pytest.raises(ValidationFailed) as err:
        goodwill.give_coupon(prospect, amount=1000, minimum_amount=None, valid_days=30,
                             note="活动", actor=shop.agent)
    assert "customer" in err.value.errors
    assert all_coupons(session) == []


def test_store_staff_cannot_give_or_withdraw_coupons(client, session, shop):
    customer = ensure_customer(shop.shopper)
    coupon = coupons.issue_coupon(shop.shopper.id, amount=1000, source="manual", valid_days=9)
    login(client, shop.clerk)
    assert client.post(f"/crm/customers/{customer.id}/coupons",
                       data=give_form()).status_code == 403
    assert client.post(f"/crm/coupons/{coupon.id}/void").status_code == 403
    assert client.get("/crm/coupons").status_code == 403
    session.refresh(coupon)
    assert coupon.state == CouponState.ISSUED and len(all_coupons(session)) == 1


def test_withdrawing_an_unused_coupon_stops_it_at_checkout(client, session, shop):
    coupon = coupons.issue_coupon(shop.shopper.id, amount=1000, source="manual", valid_days=9)
    login(client, shop.admin)
    response = client.post(f"/crm/coupons/{coupon.id}/void", data={"next": "/crm/coupons"})
    assert response.status_code == 302
    session.refresh(coupon)
    assert coupon.state == CouponState.VOID and coupon.voided_by_id == shop.admin.id
    assert coupon.voided_at is not None
    with pytest.raises(coupons.CouponInvalid):
        coupons.applicable(shop.shopper, coupon.code, subtotal=100000, goods_left=100000)
    listed = client.get("/crm/coupons?state=void")
    assert coupon.code.encode() in listed.data and b"Withdrawn" in listed.data


def test_a_used_coupon_cannot_be_withdrawn(client, session, shop):
    coupon = coupons.issue_coupon(shop.shopper.id, amount=1000, source="manual", valid_days=9)
    orders.place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                       fulfillment={"method": "pickup", "center_id": shop.store.id},
                       payment_method="pay_at_pickup", coupon=coupon.code)
    login(client, shop.agent)
    response = client.post(f"/crm/coupons/{coupon.id}/void", follow_redirects=True)
    assert b"already been used" in response.data
    session.refresh(coupon)
    assert coupon.state == CouponState.USED and coupon.voided_at is None
    with pytest.raises(IllegalTransition):
        coupons.void_coupon(coupon.id, shop.agent)


def test_the_list_finds_coupons_by_code_holder_state_and_source(client, session, shop,
                                                                 make_user, clock):
    other = make_user()
    ensure_customer(shop.shopper)
    ensure_customer(other)
    mine = coupons.issue_coupon(shop.shopper.id, amount=1000, source="manual", valid_days=9)
    theirs = coupons.issue_coupon(other.id, amount=2000, source="complaint", source_ref="1",
                                  valid_days=9)
    old = coupons.issue_coupon(other.id, amount=3000, source="birthday", valid_days=1,
                               now=clock.now - timedelta(days=366))
    login(client, shop.agent)

    def listed(query):
        page = client.get("/crm/coupons" + query)
        assert page.status_code == 200
        return {c.code for c in (mine, theirs, old) if f"coupon-{c.code}".encode() in page.data}

    assert listed("") == {mine.code, theirs.code, old.code}
    assert listed("?q=" + mine.code.lower().replace("-", "")) == {mine.code}
    assert listed("?q=" + other.email) == {theirs.code, old.code}
    assert listed("?state=expired") == {old.code}
    assert listed("?state=issued") == {mine.code, theirs.code}
    assert listed("?source=complaint") == {theirs.code}
    assert listed("?state=nonsense&page=99") == {mine.code, theirs.code, old.code}


@pytest.mark.parametrize("target", ["https://evil.example/x", "//evil.example/x",
                                    "/\\evil.example/x", "/crm/coupons\n/x", "coupons"])
def test_withdrawing_never_sends_the_agent_off_the_site(client, session, shop, target):
    coupon = coupons.issue_coupon(shop.shopper.id, amount=1000, source="manual", valid_days=9)
    login(client, shop.agent)
    response = client.post(f"/crm/coupons/{coupon.id}/void", data={"next": target})
    assert response.status_code == 302 and response.location == "/crm/coupons"


def test_a_search_that_starts_like_a_code_still_finds_a_holder(client, session, shop,
                                                               make_user):
    holder = make_user(name="Hyde Park", email="hyde@example.com")
    ensure_customer(holder)
    coupon = coupons.issue_coupon(holder.id, amount=1000, source="manual", valid_days=9)
    login(client, shop.agent)
    for q in ("Hyde", "hyde@example.com", coupon.code):
        assert f"coupon-{coupon.code}".encode() in client.get(f"/crm/coupons?q={q}").data, q


def test_no_coupon_for_staff_or_for_someone_erased(session, shop):
    from crm.club.members import close_membership
    from storefront.loyalty.membership import sign_up_member

    with pytest.raises(ValidationFailed) as err:
        goodwill.give_coupon(ensure_customer(shop.clerk), amount=1000, minimum_amount=None,
                             valid_days=9, note="自己用", actor=shop.agent)
    assert "customer" in err.value.errors
    member = sign_up_member(shop.shopper, name="王", phone="13800000001")
    close_membership(member)
    with pytest.raises(ValidationFailed) as err:
        goodwill.give_coupon(ensure_customer(shop.shopper), amount=1000, minimum_amount=None,
                             valid_days=9, note="回访", actor=shop.agent)
    said = err.value.errors["customer"][0]  # in the shop's language outside a request
    assert "erased" in said or "注销" in said
    assert all_coupons(session) == []


def test_the_list_takes_the_same_statements_for_few_and_many_holders(session, shop, make_user):
    from tests.support.queries import count_statements

    def give_to(n):
        for _ in range(n):
            holder = make_user()
            ensure_customer(holder)
            coupons.issue_coupon(holder.id, amount=1000, source="manual", valid_days=9,
                                 actor_id=shop.agent.id)
        session.flush()

    give_to(2)
    with count_statements() as for_few:
        assert len(goodwill.coupon_list(q=None, state=None, source=None, page=1)["rows"]) == 2
    give_to(6)
    with count_statements() as for_many:
        found = goodwill.coupon_list(q=None, state=None, source=None, page=1)
    assert len(found["rows"]) == 8 and len(found["customers"]) == 8
    assert found["people"] == {shop.agent.id: shop.agent.name or shop.agent.email}
    assert len(for_many) == len(for_few)
