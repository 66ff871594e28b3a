"""Dashboards: sales, follow-ups, complaints, members; SVG charts and CSV numbers."""

import csv
import io
from datetime import timedelta

import pytest

from core.clock import shop_today, utcnow
from crm.care import complaints
from crm.customers.figures import recompute_figures
from crm.customers.services import ensure_customer
from crm.reports import dashboards
from crm.reports.charts import pivot
from storefront.loyalty.membership import sign_up_member
from tests.support.pages import login

pytestmark = pytest.mark.dates  # calendar rules: CI runs these shifted too


def section(page: str, testid: str) -> str:
    """The SVG inside the element marked ``data-testid=testid``."""
    start = page.index(f'data-testid="{testid}"')
    svg = page.index("<svg", start)
    return page[svg:page.index("</svg>", svg) + 6]


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
    from crm.followups.queue import schedule_followup

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
    assert client.get("/crm/dashboard/secrets.csv").status_code == 404


def test_each_csv_holds_what_the_shop_did(client, session, shop, make_order):
    """Not just a 200: each table's header and the row the shop's day put in it."""
    order = make_order(shop.shopper, shop.products[0], shop.store, days_ago=0)
    complaints.open_complaint(actor=shop.agent, order=order, category="quality",
                              description="x", severity="high")
    sign_up_member(shop.shopper, name="王丽", phone="13800000001")
    from crm.followups.queue import schedule_followup

    schedule_followup(ensure_customer(shop.shopper), kind="satisfaction", reason="d:1",
                      due_at=utcnow() - timedelta(minutes=5))
    recompute_figures(utcnow())
    login(client, shop.agent)

    def table(name):
        response = client.get(f"/crm/dashboard/{name}.csv")
        assert response.status_code == 200 and response.mimetype == "text/csv"
        return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))

    today, month = shop_today().isoformat(), shop_today().strftime("%Y-%m")
    by_center = table("sales-by-center")
    assert by_center[0] == ["center", "method", "orders", "amount_fen"]
    assert by_center[1:] == [[shop.store.name_en, "pickup", "1", "12800"]]  # signed in in en
    followups = table("followups")
    assert followups[0] == ["day", "due", "done"] and followups[-1] == [today, "1", "0"]
    assert all(row[1:] == ["0", "0"] for row in followups[1:-1])
    complaint_rows = table("complaints")
    assert complaint_rows[0][:2] == ["category", "complaints_90_days"]
    assert [row[:2] for row in complaint_rows[1:]] == [["Quality", "1"]]  # a word, not a code
    page = client.get("/crm/dashboard").get_data(as_text=True)
    assert "<td>Quality</td>" in page and "<td>quality</td>" not in page
    members = table("members")
    assert members[0] == ["month", "joined", "members"] and members[-1] == [month, "1", "1"]
    rfm = table("rfm")
    assert rfm[0] == ["r_score", "f_score", "customers"]
    assert sum(int(row[2]) for row in rfm[1:]) == 1


def test_complaints_by_center_and_product(client, session, shop, make_order):
    first, late = (make_order(shop.shopper, shop.products[0], shop.store),
                   make_order(shop.shopper, shop.products[1], shop.far_store))
    other = make_order(shop.shopper, shop.products[1], shop.far_store)
    now = utcnow()
    answered = complaints.open_complaint(actor=shop.agent, order=first, category="quality",
                                         description="x", now=now - timedelta(hours=3))
    complaints.transition(answered, shop.agent, to="acknowledged", now=now - timedelta(hours=1))
    complaints.open_complaint(actor=shop.agent, order=late, category="delivery",
                              description="y", severity="high", now=now - timedelta(hours=30))
    complaints.open_complaint(actor=shop.agent, order=other, category="quality",
                              description="z", severity="low", now=now - timedelta(hours=1))
    complaints.open_complaint(actor=shop.agent, customer=ensure_customer(shop.shopper),
                              category="service", description="no order")
    figures = dashboards.complaint_figures()
    by_center = {names[0] if names else None: rest for names, *rest in figures["by_center"]}
    assert by_center[shop.far_store.name_zh] == [2, 2, 1, None, None]
    assert by_center[shop.store.name_zh][:3] == [1, 1, 0]
    assert 1.9 < by_center[shop.store.name_zh][3] < 2.1
    assert by_center[None][:3] == [1, 1, 0]
    by_product = {names[0] if names else None: rest for names, *rest in figures["by_product"]}
    assert by_product[shop.products[1].name_zh] == [2, None, None]
    assert by_product[shop.products[0].name_zh][0] == 1
    login(client, shop.agent)
    page = client.get("/crm/dashboard").get_data(as_text=True)
    assert 'data-testid="complaints-by-center"' in page and shop.far_store.name_en in page
    chart = section(page, "chart-complaints-by-center")
    assert chart.startswith("<svg") and chart.count("<rect") >= 6  # 3 centers x 2 + legend
    assert f"{shop.far_store.name_en} · Open: 2</title>" in chart
    assert f"{shop.far_store.name_en} · SLA breaches: 1</title>" in chart
    assert f"{shop.store.name_en} · SLA breaches: 0</title>" in chart
    body = client.get("/crm/dashboard/complaints-by-center.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0][:4] == ["center", "complaints_90_days", "open", "sla_breaches"]
    assert [shop.far_store.name_en, "2", "2", "1", "", ""] in rows
    body = client.get("/crm/dashboard/complaints-by-product.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0] == ["product", "complaints_90_days", "hours_to_first_response",
                       "hours_to_resolution"]
    assert [shop.products[1].name_en, "2", "", ""] in rows


def test_pivot_sums_rows_into_series():
    rows = [("a", "x", 1), ("b", "y", 2), ("a", "x", 3), ("a", "y", 4)]
    labels, series = pivot(rows, lambda r: r[0], lambda r: r[1], lambda r: r[2])
    assert labels == ["a", "b"] and series == {"x": [4, 0], "y": [4, 2]}


def test_sales_charts_by_center_and_method(client, session, shop, make_order):
    make_order(shop.shopper, shop.products[0], shop.store, days_ago=0)
    make_order(shop.shopper, shop.products[1], shop.far_store, days_ago=1)
    delivered = make_order(shop.shopper, shop.products[2], shop.hub, days_ago=1)
    delivered.fulfillment_method = "delivery"
    login(client, shop.agent)
    page = client.get("/crm/dashboard").get_data(as_text=True)
    by_center = section(page, "chart-sales-by-center")
    assert f"{shop.store.name_en} · Pickup: 128</title>" in by_center
    assert f"{shop.far_store.name_en} · Pickup: 398</title>" in by_center
    assert f"{shop.hub.name_en} · Delivery: 268</title>" in by_center
    assert f"{shop.hub.name_en} · Pickup: 0</title>" in by_center
    by_method = section(page, "chart-sales-by-method")
    assert "Pickup · Sales (yuan): 526</title>" in by_method
    assert "Delivery · Sales (yuan): 268</title>" in by_method
