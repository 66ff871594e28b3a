"""Dashboards: sales, follow-ups, complaints, members; charts drawn from each table's JSON
(the same rows as its CSV)."""

import csv
import io
import json
import re
from datetime import datetime, time, timedelta

import pytest

from core.clock import shop_today, utcnow
from crm.care import complaints
from crm.customers.figures import recompute_figures
from crm.customers.services import ensure_customer
from crm.reports import dashboards
from storefront.loyalty.membership import sign_up_member
from tests.conftest import SHOP_ZONE
from tests.support.pages import login

pytestmark = pytest.mark.dates  # calendar rules: CI runs these shifted too


def canvas(page: str, testid: str) -> dict[str, str]:
    """The data- attributes of the chart (a canvas) marked ``data-testid=testid``."""
    from html import unescape

    tag = next(t for t in re.findall(r"<canvas [^>]*>", page) if f'data-testid="{testid}"' in t)
    return {k: unescape(v) for k, v in re.findall(r'data-([a-z-]+)="([^"]*)"', tag)}


def drawn_from(client, chart: dict) -> dict:
    """The JSON table a chart draws."""
    return client.get(chart["src"]).get_json()


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


def test_dashboard_page_charts_its_tables_and_serves_csv(client, session, shop, make_order):
    make_order(shop.shopper, shop.products[0], shop.store, days_ago=0)
    login(client, shop.agent)
    page = client.get("/crm/dashboard").get_data(as_text=True)
    assert page.count("<canvas data-chart=") >= 10 and "<svg" not in page
    assert "cdn" not in page.lower() and not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert "/static/vendor/chartjs-4.6.2/chart.umd.min.js" in page
    body = client.get("/crm/dashboard/sales-by-day.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0] == ["day", "orders", "amount_fen"] and rows[-1][1:] == ["1", "12800"]
    sales = canvas(page, "chart-sales")
    assert json.loads(sales["y"]) == ["amount_fen"] and sales["scale"] == "0.01"
    table = drawn_from(client, sales)
    assert table["header"] == rows[0] and table["rows"][-1][1:] == [1, 12800]
    assert client.get("/crm/dashboard/secrets.csv").status_code == 404
    assert client.get("/crm/dashboard/secrets.json").status_code == 404


def test_each_csv_holds_what_the_shop_did(client, session, shop, make_order, clock):
    """Not just a 200: each table's header and the row the shop's day put in it."""
    # mid-morning in the shop: a follow-up due five minutes ago is due today
    clock.move_to(datetime.combine(clock.today(), time(10), SHOP_ZONE))
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
    chart = canvas(page, "chart-complaints-by-center")
    assert json.loads(chart["y"]) == ["open", "sla_breaches"]
    assert json.loads(chart["names"]) == ["Open", "SLA breaches"]
    table = drawn_from(client, chart)
    drawn = {row[0]: row[2:4] for row in table["rows"]}
    assert drawn[shop.far_store.name_en] == [2, 1] and drawn[shop.store.name_en] == [1, 0]
    body = client.get("/crm/dashboard/complaints-by-center.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0][:4] == ["center", "complaints_90_days", "open", "sla_breaches"]
    assert [shop.far_store.name_en, "2", "2", "1", "", ""] in rows
    body = client.get("/crm/dashboard/complaints-by-product.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0] == ["product", "complaints_90_days", "hours_to_first_response",
                       "hours_to_resolution"]
    assert [shop.products[1].name_en, "2", "", ""] in rows


def test_sales_charts_by_center_and_method(client, session, shop, make_order):
    make_order(shop.shopper, shop.products[0], shop.store, days_ago=0)
    make_order(shop.shopper, shop.products[1], shop.far_store, days_ago=1)
    delivered = make_order(shop.shopper, shop.products[2], shop.hub, days_ago=1)
    delivered.fulfillment_method = "delivery"
    login(client, shop.agent)
    page = client.get("/crm/dashboard").get_data(as_text=True)
    by_center = canvas(page, "chart-sales-by-center")
    assert (by_center["group"], by_center["value"]) == ("method", "amount_fen")
    assert json.loads(by_center["words"])["delivery"] == "Delivery"  # words, not codes
    rows = {(c, m): a for c, m, _n, a in drawn_from(client, by_center)["rows"]}
    assert rows == {(shop.store.name_en, "pickup"): 12800,
                    (shop.far_store.name_en, "pickup"): 39800,
                    (shop.hub.name_en, "delivery"): 26800}
    by_method = canvas(page, "chart-sales-by-method")
    assert by_method["x"] == "method" and by_method["src"] == by_center["src"]
