"""A courier order reads as a courier shipment wherever the customer center shows how an
order reached the customer (the 360, a follow-up call, the dashboard), in Chinese and in
English, and never as the code ``courier``; the complaint pages about it show no code
either. (The customer center's words once lacked ``courier``.)"""

from datetime import timedelta

import pytest

from core.clock import utcnow
from crm.care.complaints import open_complaint
from crm.customers.services import ensure_customer
from crm.followups.models import FollowUp, FollowUpKind
from tests.support.pages import login

#: the courier method in each language (translations/zh_CN: "Courier shipment" = 快递发货)
WORDS = {"zh_CN": "快递发货", "en": "Courier shipment"}


@pytest.fixture()
def courier_order(shop, make_user, make_order, session):
    shopper = make_user(name="赵敏", phone="13912340000", email="zhao.min@example.com")
    order = make_order(shopper, shop.products[0], shop.store, days_ago=2)
    order.fulfillment_method = "courier"
    customer = ensure_customer(shopper)
    complaint = open_complaint(actor=shop.agent, customer=customer, order=order,
                               category="delivery", description="外箱压坏了")
    followup = FollowUp(customer_id=customer.id, order_id=order.id,
                        kind=FollowUpKind.SATISFACTION, reason=f"satisfaction:order:{order.id}",
                        due_at=utcnow() - timedelta(hours=1))
    session.add(followup)
    session.flush()
    return customer, complaint, followup


@pytest.mark.parametrize("lang", sorted(WORDS))
def test_the_customer_center_names_the_courier_method(client, shop, courier_order, lang):
    customer, complaint, followup = courier_order
    login(client, shop.agent, lang=lang)
    for url in (f"/crm/customers/{customer.id}", f"/crm/followups/{followup.id}",
                "/crm/dashboard"):
        response = client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert WORDS[lang] in html, url
        assert ">courier<" not in html and ": courier" not in html, url
    for url in ("/crm/complaints", f"/crm/complaints/{complaint.id}"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert ">courier<" not in response.get_data(as_text=True), url
