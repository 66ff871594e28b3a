"""Closing a membership erases the person everywhere; the orders stay for the books."""

import json
from datetime import date

import sqlalchemy as sa

from core.models import User
from crm.club import members as club
from crm.customers import profiles
from crm.customers.erasure import ANONYMIZED_NAME, CLOSED_TAG
from crm.customers.models import Child
from crm.customers.services import customer_for_user
from crm.followups.models import FollowUp
from crm.outreach.models import OutboxMessage
from fulfillment import services
from fulfillment.models import Fulfillment
from storefront.loyalty.membership import sign_up_member
from storefront.models import Order
from storefront.orders import place_order
from tests.support.pages import login

PERSONAL = ("王丽丽", "13800000009", "13912340000", "wang.lili@example.com", "1991-03-04",
            "小宝", "上海市", "常熟路", "奶粉过敏", "formula")


def _member_with_history(session, shop, make_user):
    user = make_user(name="王丽丽", phone="13912340000", email="wang.lili@example.com")
    m = sign_up_member(user, name="王丽丽", phone="13800000009", city="上海市",
                       birthday=date(1991, 3, 4), interests=["formula"],
                       baby_birthday=date(2026, 1, 2), marketing_consent=True)
    club.update_profile(m, {"name": "王丽丽", "phone": "13800000009", "city": "上海市",
                            "birthday": date(1991, 3, 4), "interests": ["formula"],
                            "channels": ["sms"], "marketing_consent": True,
                            "children": [{"name": "小宝", "birth_date": date(2026, 1, 2)}]})
    order = place_order(user, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                        fulfillment={"method": "pickup", "center_id": shop.store.id},
                        payment_method="pay_at_pickup")
    order.contact_name, order.contact_phone = "王丽丽", "13800000009"
    f = session.execute(sa.select(Fulfillment).where(Fulfillment.order_id == order.id)
                        ).scalar_one()
    services.mark_ready(f, shop.clerk)
    services.hand_over(f, f.pickup_code, shop.clerk, collected={"method": "cash"})
    customer = customer_for_user(user.id)
    customer.address, customer.notes = "常熟路 100 号", "奶粉过敏"
    profiles.add_tag(customer, shop.agent, "vip-gift")
    session.flush()
    return user, m, order, customer


def test_closing_erases_the_person_and_keeps_the_orders(client, session, shop, make_user):
    user, m, order, customer = _member_with_history(session, shop, make_user)
    number, total = order.number, order.total_amount
    assert customer.birthday == date(1991, 3, 4) and customer.city == "上海市"
    assert session.execute(sa.select(FollowUp).where(
        FollowUp.customer_id == customer.id)).scalars().first() is not None

    club.close_membership(m)
    session.commit()
    session.expire_all()

    customer = customer_for_user(user.id)
    assert customer.name == ANONYMIZED_NAME
    assert (customer.phone, customer.email, customer.birthday, customer.city,
            customer.address, customer.interests, customer.notes) == (None,) * 7
    assert not customer.marketing_consent and not customer.service_consent
    assert CLOSED_TAG in {t.tag for t in customer.tags}
    assert session.execute(sa.select(sa.func.count()).select_from(Child).where(
        Child.customer_id == customer.id)).scalar_one() == 0
    assert {f.status for f in session.execute(sa.select(FollowUp).where(
        FollowUp.customer_id == customer.id)).scalars()} <= {"cancelled", "done", "unreached"}
    assert all(o.to is None for o in session.execute(sa.select(OutboxMessage).where(
        OutboxMessage.user_id == user.id)).scalars())
    account = session.get(User, user.id)
    assert account.name == ANONYMIZED_NAME and account.phone is None
    kept = session.get(Order, order.id)
    assert (kept.number, kept.total_amount, kept.status) == (number, total, "fulfilled")
    assert kept.contact_name is None and kept.contact_phone is None
    assert customer.orders_count == 1 and customer.lifetime_amount == total  # figures stay

    login(client, shop.agent)
    html = client.get(f"/crm/customers/{customer.id}").get_data(as_text=True)
    assert ANONYMIZED_NAME in html and number in html
    for value in PERSONAL:
        assert value not in html, value
    exported = json.dumps(club.export_member_data(session.get(type(m), m.id)),
                          ensure_ascii=False)
    assert number in exported
    for value in PERSONAL:  # the account's e-mail stays: it is the login of the account
        assert value not in exported.replace('"wang.lili@example.com"', ""), value


def test_joining_again_takes_the_new_name(session, shop, make_user):
    user, m, _order, _customer = _member_with_history(session, shop, make_user)
    club.close_membership(m)
    sign_up_member(user, name="王二", phone="13800000123")
    customer = customer_for_user(user.id)
    assert customer.name == "王二" and customer.phone == "13800000123"
    assert CLOSED_TAG not in {t.tag for t in customer.tags}
    assert user.name == "王二"


def test_an_order_still_open_at_closing_loses_its_contact_once_collected(session, shop,
                                                                          make_user):
    user, m, _, _ = _member_with_history(session, shop, make_user)
    open_order = place_order(user, lines=[{"sku": shop.products[1].sku, "quantity": 1}],
                             fulfillment={"method": "pickup", "center_id": shop.store.id},
                             payment_method="pay_at_pickup")
    open_order.contact_name, open_order.contact_phone = "王丽丽", "13800000009"
    f = session.execute(sa.select(Fulfillment).where(Fulfillment.order_id == open_order.id)
                        ).scalar_one()
    f.collector_name, f.collector_phone = "王先生", "13700000000"
    session.flush()
    club.close_membership(m)
    session.flush()
    session.refresh(open_order)
    # Still to be collected: the desk needs to know who comes.
    assert (open_order.contact_name, open_order.contact_phone) == ("王丽丽", "13800000009")
    services.mark_ready(f, shop.clerk)
    services.hand_over(f, f.pickup_code, shop.clerk, collected={"method": "cash"})
    session.flush()
    session.expire_all()
    done = session.get(Order, open_order.id)
    assert done.status == "fulfilled"
    assert (done.contact_name, done.contact_phone) == (None, None)
    f = session.get(Fulfillment, f.id)
    assert (f.collector_name, f.collector_phone, f.contact_phone) == (None, None, None)


def test_a_members_orders_keep_their_contact_while_the_membership_is_open(session, shop,
                                                                          make_user):
    user, _, order, _ = _member_with_history(session, shop, make_user)
    session.expire_all()
    assert session.get(Order, order.id).contact_name == "王丽丽"


def test_an_expired_order_keeps_its_contact_for_a_late_payment(session, shop, make_user):
    """An unpaid online order that expires may come back when its payment arrives late:
    its contact and address stay until it is really finished."""
    from core.signals import order_cancelled

    user, m, _, _ = _member_with_history(session, shop, make_user)
    order = place_order(user, lines=[{"sku": shop.products[1].sku, "quantity": 1}],
                        fulfillment={"method": "pickup", "center_id": shop.store.id},
                        payment_method="pay_at_pickup")
    order.contact_name, order.contact_phone = "王丽丽", "13800000009"
    session.flush()
    club.close_membership(m)
    order.status = "cancelled"  # as expire_order leaves it
    session.flush()
    order_cancelled.send(order, expired=True)
    session.flush()
    session.expire_all()
    assert session.get(Order, order.id).contact_phone == "13800000009"
    order = session.get(Order, order.id)
    order_cancelled.send(order)  # a real cancel: now it goes
    session.flush()
    session.expire_all()
    assert session.get(Order, order.id).contact_phone is None
