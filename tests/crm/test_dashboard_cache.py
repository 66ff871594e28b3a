"""The dashboard's outcome measure sections are cached for every agent until the measure job
stores new months (or a product or center is renamed): a hit reads fewer statements, and
what the job stored shows on the next request after its commit."""

import re
from datetime import timedelta

from core.clock import utcnow
from core.extensions import cache, db
from crm.care import complaints
from crm.customers import profiles
from crm.customers.figures import recompute_figures
from crm.followups.models import FollowUp
from crm.reports import measures
from storefront.admin_services import update_product
from tests.support.pages import login
from tests.support.queries import count_statements


def _call(customer, order, score, agent, when):
    db.session.add(FollowUp(customer_id=customer.id, order_id=order.id, kind="satisfaction",
                            reason=f"s:{order.id}", due_at=when, status="done",
                            satisfaction=score, completed_at=when, completed_by_id=agent.id))


def dashboard(client) -> str:
    db.session.commit()
    response = client.get("/crm/dashboard")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_measures_show_what_the_job_stored_on_the_next_request(
        client, session, shop, make_order, fresh_requests):
    customer = profiles.create_prospect(shop.agent, {"name": "评分", "phone": "13800000051"})
    customer.user_id = shop.shopper.id
    product = shop.products[0]
    now = utcnow() - timedelta(minutes=5)
    _call(customer, make_order(shop.shopper, product, shop.store), 5, shop.agent, now)
    measures.store_months(utcnow())
    login(client, shop.agent)
    first = dashboard(client)
    assert f"{product.name_en}</td><td class=\"num\">1</td>" in first

    with count_statements() as warm:
        assert dashboard(client) == first
    cache.clear()
    with count_statements() as cold:
        dashboard(client)
    assert len(warm) < len(cold)

    # a second call: not on the page until the job stores it, then on the next request
    _call(customer, make_order(shop.shopper, product, shop.store), 3, shop.agent, now)
    assert f"{product.name_en}</td><td class=\"num\">1</td>" in dashboard(client)
    measures.store_months(utcnow())
    page = dashboard(client)
    assert f"{product.name_en}</td><td class=\"num\">2</td>" in page

    # a product renamed in the back office
    update_product(product, {
        "sku": product.sku, "slug": product.slug, "name_zh": product.name_zh,
        "name_en": "Renamed sea cucumber", "description_zh": "描述",
        "price_amount": product.price_amount, "active": True,
        "category_id": product.category_id}, shop.admin)
    assert "Renamed sea cucumber</td><td class=\"num\">2</td>" in dashboard(client)


def sales_row(page: str, center) -> str:
    """The cells after the center's name in the sales-by-center table (English)."""
    match = re.search(rf"<tr><td>{re.escape(center.name_en)}</td><td>Pickup</td>(.*?)</tr>",
                      page)
    return match.group(1) if match else ""


def test_the_figures_show_a_new_order_a_cancellation_a_complaint_and_new_scores(
        client, session, shop, make_order, fresh_requests):
    make_order(shop.shopper, shop.products[0], shop.store, days_ago=0)
    login(client, shop.agent)
    page = dashboard(client)
    assert '<td class="num">1</td><td class="num">¥128.00</td>' in sales_row(page, shop.store)
    with count_statements() as warm:
        assert dashboard(client) == page

    # a new order (written through the session, as checkout does)
    second = make_order(shop.shopper, shop.products[1], shop.store, days_ago=0)
    page = dashboard(client)
    assert '<td class="num">2</td><td class="num">¥526.00</td>' in sales_row(page, shop.store)

    # its cancellation
    second.status = "cancelled"
    page = dashboard(client)
    assert '<td class="num">1</td><td class="num">¥128.00</td>' in sales_row(page, shop.store)

    # a complaint
    assert '>0</div><div class="label">Open' in page
    complaints.open_complaint(actor=shop.agent, order=second, category="quality",
                              description="破损", severity="high")
    page = dashboard(client)
    assert '>1</div><div class="label">Open' in page

    # the figures job's new RFM scores
    assert 'data-testid="cell-' not in page
    recompute_figures(utcnow())
    page = dashboard(client)
    assert 'data-testid="cell-' in page

    # nothing changed: the cached page again, with the statements of a hit
    with count_statements() as again:
        assert dashboard(client) == page
    assert len(again) == len(warm)
