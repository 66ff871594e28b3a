"""Complaints and recalls work for counter sales as for web orders: a member's sale is
complained about and recalled like any order; an anonymous one is listed on the lot's recall
page as a walk-in and plans no call."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from core.clock import shop_today
from core.errors import ValidationFailed
from crm.care.complaints import open_complaint
from crm.care.recalls import open_recall
from crm.customers.services import ensure_customer
from crm.followups.models import FollowUp
from fulfillment.lots import recall_lot, receive_lot
from storefront.counter.sales import sell_at_counter
from storefront.loyalty.membership import sign_up_member
from tests.support.pages import login

pytestmark = pytest.mark.dates


def test_complaints_and_recalls_of_counter_sales(client, session, shop, make_product):
    sign_up_member(shop.shopper, name="王丽", phone="13800000001", birthday=date(1990, 5, 1))
    product = make_product(sku="NF-RECALL-1")
    lot = receive_lot(shop.store.id, product.id, batch="R-2026-01", quantity=5,
                      expires_on=shop_today() + timedelta(days=200), actor=shop.clerk)
    mine = sell_at_counter(shop.store, shop.clerk, [{"sku": product.sku, "quantity": 2}],
                           member=shop.shopper, payments=[{"method": "cash", "amount": 25600}])
    walk_in = sell_at_counter(shop.store, shop.clerk, [{"sku": product.sku, "quantity": 1}],
                              payments=[{"method": "cash", "amount": 12800}])
    complaint = open_complaint(actor=shop.agent, order=mine, category="quality",
                               description="罐子有凹痕")
    assert complaint.customer_id == ensure_customer(shop.shopper).id
    with pytest.raises(ValidationFailed):
        open_complaint(actor=shop.agent, order=walk_in, category="quality", description="x")
    rows = recall_lot(lot)
    assert sorted((r["number"], r["user_id"], r["quantity"]) for r in rows) == sorted(
        [(mine.number, shop.shopper.id, 2), (walk_in.number, None, 1)])
    campaign, planned = open_recall(lot, shop.agent)
    calls = session.execute(sa.select(FollowUp).where(FollowUp.kind == "recall")).scalars().all()
    assert [c.order_id for c in calls] == [mine.id]
    session.commit()
    login(client, shop.admin)
    page = client.get(f"/admin/lots/{lot.id}")
    assert page.status_code == 200 and 'data-testid="walk-in"' in page.get_data(as_text=True)
