"""The agents' queue (/crm) is cached for every agent until a follow-up or a customer is
written through the session (``core.cache.watch_tables``), and for the minute it was made
in: a hit reads fewer statements, and a new follow-up, a call recorded, a renamed customer,
a set-based update and the passing of time all show on the next request. Each agent's page
carries their own name."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.extensions import cache, db
from crm.customers import profiles
from crm.customers.models import Customer
from crm.followups.models import FollowUp
from crm.followups.queue import schedule_followup
from tests.support.pages import login
from tests.support.queries import count_statements

pytestmark = pytest.mark.usefixtures("fresh_requests")


def queue_page(client) -> str:
    db.session.commit()
    response = client.get("/crm")
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture()
def customer(shop):
    return profiles.create_prospect(shop.agent, {"name": "回访客户", "phone": "13800000061"})


def test_every_change_to_the_queue_shows_on_the_next_request(client, shop, customer, clock,
                                                            make_user):
    first = schedule_followup(customer, kind="satisfaction", reason="cache:1",
                              due_at=clock.now + timedelta(hours=2))
    login(client, shop.agent)
    page = queue_page(client)
    assert f'data-testid="followup-{first.id}"' in page and "回访客户" in page

    with count_statements() as warm:
        assert queue_page(client) == page
    cache.clear()
    with count_statements() as cold:
        queue_page(client)
    assert len(warm) < len(cold)

    # the customer's figures (as every order's bookkeeping writes them): not shown, so the
    # cached queue stays
    customer.orders_count = (customer.orders_count or 0) + 1
    db.session.execute(sa.update(Customer).where(Customer.id == customer.id)
                       .values(lifetime_amount=12800))
    with count_statements() as after_figures:
        assert queue_page(client) == page
    assert len(after_figures) == len(warm)

    # a new follow-up
    second = schedule_followup(customer, kind="satisfaction", reason="cache:2",
                               due_at=clock.now + timedelta(hours=3))
    assert f'data-testid="followup-{second.id}"' in queue_page(client)

    # a call recorded from the page: the follow-up leaves the queue
    response = client.post(f"/crm/followups/{first.id}", data={"outcome": "reached",
                                                               "satisfaction": "5"})
    assert response.status_code in (302, 303)
    assert f'data-testid="followup-{first.id}"' not in queue_page(client)

    # the customer renamed
    profiles.update_profile(customer, shop.agent, {"name": "改名客户",
                                                   "phone": "13800000061"})
    page = queue_page(client)
    assert "改名客户" in page and "回访客户" not in page

    # a set-based update (as a merge or an erasure writes)
    db.session.execute(sa.update(FollowUp).where(FollowUp.id == second.id)
                       .values(status="cancelled"))
    assert f'data-testid="followup-{second.id}"' not in queue_page(client)

    # time passes: a follow-up due in the next minutes turns overdue
    third = schedule_followup(customer, kind="satisfaction", reason="cache:3",
                              due_at=clock.now + timedelta(minutes=2))
    assert "Due " in queue_page(client)
    clock.shift(timedelta(minutes=5))
    assert "Overdue since" in queue_page(client)
    assert f'data-testid="followup-{third.id}"' in queue_page(client)

    # another agent: the same queue, their own name
    other = make_user(shop.agent.role, name="第二位客服")
    login(client, other)
    page = queue_page(client)
    assert "第二位客服" in page and shop.agent.name not in page
    assert f'data-testid="followup-{third.id}"' in page
