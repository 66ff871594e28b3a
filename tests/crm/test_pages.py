"""The customer center pages: follow-up queue, customer search, the 360, recording a call."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.clock import shop_today, utcnow
from core.models import Role
from crm.customers.models import CustomerAccess
from crm.customers.services import ensure_customer
from crm.followups.models import FollowUp
from fulfillment import services
from fulfillment.models import Fulfillment
from storefront.orders import place_order
from tests.support.dates import months_ago
from tests.support.pages import login


@pytest.fixture()
def picked_up(shop, make_user, session):
    """A shopper's order handed over at the store: a satisfaction call is scheduled."""
    shopper = make_user(name="李雪", phone="13812345678", email="li.xue@example.com")
    order = place_order(shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                        fulfillment={"method": "pickup", "center_id": shop.store.id},
                        payment_method="pay_at_pickup")
    f = session.execute(sa.select(Fulfillment).where(Fulfillment.order_id == order.id)).scalar_one()
    services.mark_ready(f, shop.clerk)
    services.hand_over(f, f.pickup_code, shop.clerk, collected={"method": "cash"})
    followup = session.execute(
        sa.select(FollowUp).where(FollowUp.order_id == order.id)).scalar_one()
    followup.due_at = utcnow() - timedelta(hours=2)  # due: make it overdue
    session.commit()
    return shopper, order, followup


# --- who may come in -------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/crm", "/crm/customers", "/crm/customers/1", "/crm/followups/1"])
def test_anonymous_is_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("url", ["/crm", "/crm/customers"])
def test_shopper_and_store_staff_are_refused(client, shop, url):
    login(client, shop.shopper)
    assert client.get(url).status_code == 403
    login(client, shop.clerk)
    assert client.get(url).status_code == 403


def test_admin_may_use_the_customer_center(client, shop):
    login(client, shop.admin)
    assert client.get("/crm").status_code == 200


# --- queue -----------------------------------------------------------------------------------


def test_queue_shows_due_followups(client, shop, picked_up):
    shopper, order, followup = picked_up
    login(client, shop.agent)
    html = client.get("/crm").get_data(as_text=True)
    assert shopper.name in html
    assert order.number in html
    assert "138****5678" in html
    assert "13812345678" not in html
    assert "Satisfaction call" in html
    assert f"/crm/followups/{followup.id}" in html


def test_empty_queue_is_designed(client, shop):
    login(client, shop.agent)
    html = client.get("/crm").get_data(as_text=True)
    assert "All caught up" in html


# --- customers -------------------------------------------------------------------------------


@pytest.fixture()
def customers(make_user, session):
    a = ensure_customer(make_user(name="张伟", phone="13812345678"))
    b = ensure_customer(make_user(name="赵敏", phone="13900001111"))
    session.commit()
    return a, b


def test_search_by_last_four_digits_masks_phones(client, shop, customers):
    a, b = customers
    login(client, shop.agent)
    response = client.get("/crm/customers?q=5678")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert a.name in html
    assert b.name not in html
    assert "138****5678" in html
    assert "13812345678" not in html


def test_search_by_name_and_no_match(client, shop, customers):
    a, b = customers
    login(client, shop.agent)
    html = client.get("/crm/customers?q=赵").get_data(as_text=True)
    assert b.name in html and a.name not in html
    nothing = client.get("/crm/customers?q=nobody-here").get_data(as_text=True)
    assert 'class="card empty"' in nothing


def test_customer_list_pages(client, shop, make_user, session):
    for i in range(31):
        ensure_customer(make_user(name=f"Pager {i:02d}", phone=f"1370000{i:04d}"))
    login(client, shop.agent)
    first = client.get("/crm/customers?q=Pager").get_data(as_text=True)
    assert "Page 1 of 2" in first
    second = client.get("/crm/customers?q=Pager&page=2").get_data(as_text=True)
    assert "Page 2 of 2" in second
    assert client.get("/crm/customers?page=abc").status_code == 200


def test_360_shows_the_whole_phone_and_logs_the_view(client, shop, picked_up, session):
    shopper, order, _ = picked_up
    customer = ensure_customer(shopper)
    session.commit()
    login(client, shop.agent)
    response = client.get(f"/crm/customers/{customer.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "13812345678" in html
    assert order.number in html
    assert "Satisfaction call" in html
    assert "No complaints" in html
    logged = session.execute(sa.select(sa.func.count()).select_from(CustomerAccess).where(
        CustomerAccess.customer_id == customer.id,
        CustomerAccess.staff_id == shop.agent.id)).scalar_one()
    assert logged == 1


def test_unknown_customer_is_404(client, shop):
    login(client, shop.agent)
    assert client.get("/crm/customers/999999").status_code == 404
    assert client.get("/crm/followups/999999").status_code == 404


# --- a follow-up call ------------------------------------------------------------------------


def test_followup_page_has_a_script_from_the_order(client, shop, picked_up):
    shopper, order, followup = picked_up
    login(client, shop.agent)
    html = client.get(f"/crm/followups/{followup.id}").get_data(as_text=True)
    assert shopper.name in html
    assert "customer center" in html
    assert shop.products[0].name_en in html or shop.products[0].name_zh in html
    assert shop.store.name_en in html or shop.store.name_zh in html
    assert "13812345678" in html  # the agent calls: the 360 beside shows the whole number


def test_the_call_script_tells_the_babys_age(client, shop, picked_up, session):

    import flask_babel

    from crm.customers import profiles

    shopper, _, followup = picked_up
    login(client, shop.agent)
    page = client.get(f"/crm/followups/{followup.id}").get_data(as_text=True)
    assert "Your baby is" not in page  # no child known
    profiles.add_child(ensure_customer(shopper), birth_date=months_ago(shop_today(), 6))
    session.commit()
    page = client.get(f"/crm/followups/{followup.id}").get_data(as_text=True)
    assert "Your baby is 6 months old now: is there anything we can help with" in page
    client.set_cookie("lang", "zh_CN")
    flask_babel.refresh()  # the test client shares one app context between requests
    page = client.get(f"/crm/followups/{followup.id}").get_data(as_text=True)
    assert "宝宝 6 个月了，这个阶段有什么需要我们帮忙的吗？" in page


def test_open_a_complaint_from_the_call(client, shop, picked_up, session):
    import html
    import re

    from crm.care.models import Complaint

    shopper, order, followup = picked_up
    login(client, shop.agent)
    page = client.get(f"/crm/followups/{followup.id}").get_data(as_text=True)
    link = html.unescape(re.search(r'data-testid="open-complaint" href="([^"]+)"', page)[1])
    form = client.get(link).get_data(as_text=True)
    assert re.search(r'<option selected value="followup">|<option value="followup" selected',
                     form)  # the channel: on a follow-up call
    assert f'value="{shop.products[0].id}"' in form  # the order's products to choose from
    response = client.post(link, data={
        "channel": "followup", "category": "quality", "severity": "high",
        "product_id": str(shop.products[0].id), "description": "罐口密封不严"})
    assert response.status_code == 302
    complaint = session.execute(sa.select(Complaint)).scalar_one()
    assert response.location.endswith(f"/crm/complaints/{complaint.id}")
    assert (complaint.customer_id, complaint.order_id, complaint.channel,
            complaint.product_id) == (followup.customer_id, order.id, "followup",
                                      shop.products[0].id)
    assert complaint.owner_id == shop.agent.id and complaint.status == "open"


def test_record_a_reached_call(client, shop, picked_up, session):
    _, _, followup = picked_up
    login(client, shop.agent)
    response = client.post(f"/crm/followups/{followup.id}",
                           data={"outcome": "reached", "satisfaction": "5",
                                 "notes": "很满意，下次还来"})
    assert response.status_code == 302
    session.expire_all()
    done = session.get(FollowUp, followup.id)
    assert (done.status, done.outcome, done.satisfaction) == ("done", "reached", 5)
    assert "很满意" in done.notes
    assert done.completed_by_id == shop.agent.id


def test_unreached_call_stays_open_for_tomorrow(client, shop, picked_up, session):
    _, _, followup = picked_up
    login(client, shop.agent)
    response = client.post(f"/crm/followups/{followup.id}", data={"outcome": "unreached"},
                           follow_redirects=True)
    assert "again tomorrow" in response.get_data(as_text=True)
    session.expire_all()
    again = session.get(FollowUp, followup.id)
    assert (again.status, again.attempts) == ("open", 1)


@pytest.mark.parametrize("data", [
    {"outcome": "unreached", "satisfaction": "4"},  # a score only when reached
    {"outcome": "reached", "satisfaction": "9"},
    {"outcome": "teleported"},
    {"outcome": "reached", "notes": "x" * 2001},
])
def test_bad_outcome_is_a_form_error_and_writes_nothing(client, shop, picked_up, session, data):
    _, _, followup = picked_up
    login(client, shop.agent)
    response = client.post(f"/crm/followups/{followup.id}", data=data)
    assert response.status_code == 400
    assert 'class="errors"' in response.get_data(as_text=True) \
        or 'class="flash error"' in response.get_data(as_text=True)
    session.expire_all()
    same = session.get(FollowUp, followup.id)
    assert (same.status, same.attempts, same.outcome) == ("open", 0, None)


def test_closed_followup_cannot_be_recorded_again(client, shop, picked_up, session):
    _, _, followup = picked_up
    login(client, shop.agent)
    client.post(f"/crm/followups/{followup.id}", data={"outcome": "declined"})
    again = client.post(f"/crm/followups/{followup.id}", data={"outcome": "reached"})
    assert again.status_code == 409
    assert "already closed" in again.get_data(as_text=True)
    session.expire_all()
    assert session.get(FollowUp, followup.id).outcome == "declined"


def test_store_staff_cannot_record_calls(client, session, shop, picked_up, make_user):
    _, _, followup = picked_up
    login(client, make_user(Role.STAFF, center=shop.store))
    assert client.post(f"/crm/followups/{followup.id}",
                       data={"outcome": "reached"}).status_code == 403
    session.expire_all()
    unchanged = session.get(FollowUp, followup.id)
    assert unchanged.status == "open" and unchanged.outcome is None


def test_queue_filters_by_channel_and_time_with_counts(client, shop, make_user, session):
    from crm.followups.queue import schedule_followup

    now = utcnow()
    plans = {"late-call": ("phone", now - timedelta(days=2)),
             "late-sms": ("sms", now - timedelta(hours=1)),
             "week-call": ("phone", now + timedelta(days=3)),
             "week-mail": ("email", now + timedelta(days=2))}
    made = {}
    for name, (channel, due) in plans.items():
        customer = ensure_customer(make_user(name=name))
        made[name] = schedule_followup(customer, kind="winback", reason=f"t:{name}",
                                       due_at=due, channel=channel)
    login(client, shop.agent)

    def shown(url):
        html = client.get(url).get_data(as_text=True)
        return {n for n, f in made.items() if f'data-testid="followup-{f.id}"' in html}, html

    names, html = shown("/crm")
    assert names == set(made)
    assert 'data-testid="channel-phone">Phone <span class="badge">2<' in html
    assert 'data-testid="when-overdue">Overdue <span class="badge">2<' in html
    assert shown("/crm?channel=phone")[0] == {"late-call", "week-call"}
    names, html = shown("/crm?when=overdue")
    assert names == {"late-call", "late-sms"}
    assert 'data-testid="channel-sms">SMS <span class="badge">1<' in html
    assert 'data-testid="channel-email">E-mail <span class="badge">0<' in html
    assert shown("/crm?when=overdue&channel=sms")[0] == {"late-sms"}
    assert shown("/crm?when=week&channel=email")[0] == {"week-mail"}
    assert shown("/crm?when=nonsense&channel=pigeon")[0] == set(made)
