"""The dashboard's outcome measure sections are cached for every agent until the measure job
stores new months (or a product or center is renamed): a hit reads fewer statements, and
what the job stored shows on the next request after its commit."""

from datetime import timedelta

from core.clock import utcnow
from core.extensions import cache, db
from crm.customers import profiles
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
