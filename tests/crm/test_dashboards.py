"""Dashboards: sales, follow-ups, complaints, members; SVG charts and CSV numbers."""

import csv
import io
from datetime import timedelta

from core.models import utcnow
from crm import complaints, dashboards
from crm.customers import ensure_customer
from storefront.membership import sign_up_member
from tests.crm.test_pages import login


def test_figures(session, shop, make_order):
    make_order(shop.shopper, shop.products[0], shop.store, days_ago=0)
    make_order(shop.shopper, shop.products[1], shop.store, days_ago=0)
    make_order(shop.shopper, shop.products[1], shop.store, days_ago=2, status="cancelled")
    sales = dashboards.sales_by_day(days=7)
    assert len(sales) == 7
    assert sum(n for _d, n, _a in sales) == 2
    assert sum(a for _d, _n, a in sales) == 12800 + 39800
    [(zh, _en, method, n, amount)] = dashboards.sales_by_center_and_method()
    assert (zh, method, n, amount) == (shop.store.name_zh, "pickup", 2, 52600)
    sign_up_member(shop.shopper, name="王芳", phone="13900001111")
    growth = dashboards.member_growth(months=3)
    assert growth[-1][1:] == (1, 1) and len(growth) == 3


def test_complaint_and_followup_figures(session, shop, make_order):
    order = make_order(shop.shopper, shop.products[0], shop.store)
    c = complaints.open_complaint(actor=shop.agent, order=order, category="quality",
                                  description="x", severity="high",
                                  now=utcnow() - timedelta(hours=5))
    complaints.transition(c, shop.agent, to="acknowledged")
    figures = dashboards.complaint_figures()
    assert figures["open"] == 1 and figures["breaches"] == 0
    [(category, n, first, resolve)] = figures["by_category"]
    assert (category, n, resolve) == ("quality", 1, None) and 4.9 < first < 5.1
    from crm.followups import schedule_followup

    schedule_followup(ensure_customer(shop.shopper), kind="satisfaction", reason="d:1",
                      due_at=utcnow() - timedelta(minutes=5))
    rows = dashboards.followups_done_vs_due(days=3)
    assert sum(due for _d, due, _done in rows) == 1


def test_dashboard_page_draws_svg_and_serves_csv(client, session, shop, make_order):
    make_order(shop.shopper, shop.products[0], shop.store, days_ago=0)
    login(client, shop.agent)
    page = client.get("/crm/dashboard").get_data(as_text=True)
    assert page.count("<svg") >= 3 and "cdn" not in page.lower()
    body = client.get("/crm/dashboard/sales-by-day.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0] == ["day", "orders", "amount_fen"] and rows[-1][1:] == ["1", "12800"]
    for name in ("sales-by-center", "followups", "complaints", "members", "rfm"):
        assert client.get(f"/crm/dashboard/{name}.csv").status_code == 200
    assert client.get("/crm/dashboard/secrets.csv").status_code == 404
