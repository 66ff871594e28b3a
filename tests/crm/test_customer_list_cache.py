"""The customer list is cached for every agent until a customer is written through the
session: a hit reads fewer statements, and a new prospect, a renamed customer and new
figures (a set-based update, as the figures job writes them) show on the next request."""

import pytest
import sqlalchemy as sa

from core.extensions import cache, db
from crm.customers import profiles
from crm.customers.models import Customer
from tests.support.pages import login
from tests.support.queries import count_statements

pytestmark = pytest.mark.usefixtures("fresh_requests")


def customer_list(client, query="") -> str:
    db.session.commit()
    db.session.expire_all()
    response = client.get(f"/crm/customers{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_list_shows_every_change_on_the_next_request(client, shop):
    first = profiles.create_prospect(shop.agent, {"name": "第一位", "phone": "13800000071"})
    login(client, shop.agent)
    page = customer_list(client)
    assert "第一位" in page
    with count_statements() as warm:
        assert customer_list(client) == page
    cache.clear()
    with count_statements() as cold:
        customer_list(client)
    assert len(warm) < len(cold)

    profiles.create_prospect(shop.agent, {"name": "第二位", "phone": "13800000072"})
    assert "第二位" in customer_list(client)
    assert "第二位" in customer_list(client, "?q=第二")
    assert "第一位" not in customer_list(client, "?q=第二")

    profiles.update_profile(first, shop.agent, {"name": "改名了", "phone": "13800000071"})
    page = customer_list(client)
    assert "改名了" in page and "第一位" not in page

    db.session.execute(sa.update(Customer).where(Customer.id == first.id)
                       .values(lifetime_amount=987600))
    assert "¥9,876.00" in customer_list(client)
