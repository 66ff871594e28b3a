"""The customer center through the API: customers, the 360 view, follow-ups."""

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from core.clock import utcnow
from crm.care.models import Complaint
from crm.customers.models import Customer, CustomerAccess
from crm.customers.services import customer_for_user
from crm.followups.models import FollowUp
from fulfillment import services as desk
from storefront.loyalty.membership import sign_up_member
from storefront.models import Order

from .conftest import API, assert_error, pickup_body


@pytest.fixture()
def people(session, shop, make_user, place):
    """A buyer with an order (handed over: a satisfaction call is due), and a prospect."""
    buyer = make_user(name="李娜", phone="13912348888")
    placed = place(buyer, pickup_body(shop)).get_json()
    order = session.execute(sa.select(Order).where(Order.public_id == placed["id"])).scalar_one()
    desk.mark_ready(order.fulfillment, shop.clerk)
    desk.hand_over(order.fulfillment, order.fulfillment.pickup_code, shop.clerk,
                   collected={"method": "cash"})
    prospect = Customer(name="赵先生", phone="13700005555", source="event")
    session.add(prospect)
    customer = customer_for_user(buyer.id)
    session.add(Complaint(customer_id=customer.id, order_id=order.id, category="quality",
                          description="包装破损", severity="low"))
    session.commit()
    return {"buyer": buyer, "customer": customer, "order": placed, "prospect": prospect}


def listing(client, headers, **args):
    response = client.get(f"{API}/crm/customers", query_string=args, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


# --- customers ------------------------------------------------------------------------------


def test_customer_list_masks_phones(client, shop, token_for, people):
    body = listing(client, token_for(shop.agent), q="李娜")
    assert body["page"] == 1 and body["pages"] == 1
    [item] = body["items"]
    assert item == {**item, "id": people["customer"].id, "user_id": people["buyer"].id,
                    "name": "李娜", "phone": "139****8888", "stage": "first_time"}
    assert "13912348888" not in str(body)


def test_customer_search_by_phone_digits_and_user(client, shop, token_for, people):
    agent = token_for(shop.agent)
    assert [c["name"] for c in listing(client, agent, q="5555")["items"]] == ["赵先生"]
    assert [c["name"] for c in listing(client, agent, q="13912348888")["items"]] == ["李娜"]
    by_user = listing(client, agent, user_id=people["buyer"].id)["items"]
    assert [c["id"] for c in by_user] == [people["customer"].id]
    prospect = listing(client, agent, q="赵先生")["items"][0]
    assert prospect["user_id"] is None and prospect["stage"] == "prospect"
    assert listing(client, agent, q="nobody by that name")["items"] == []


def test_customer_list_bad_query(client, shop, token_for):
    for args in ({"page": "x"}, {"page": 0}, {"user_id": "me"}, {"user_id": 10**12},
                 {"q": "13\x009"}):
        assert_error(client.get(f"{API}/crm/customers", query_string=args,
                                headers=token_for(shop.agent)), 400, "validation_error")


def test_admin_reads_the_customer_list(client, shop, token_for, people):
    assert listing(client, token_for(shop.admin))["items"]


@pytest.mark.parametrize("path", ["/crm/customers", "/crm/customers/1", "/crm/followups"])
def test_crm_reads_are_for_the_customer_center(client, shop, token_for, path):
    assert_error(client.get(f"{API}{path}"), 401, "unauthorized")
    for who in (shop.shopper, shop.clerk):
        assert_error(client.get(f"{API}{path}", headers=token_for(who)), 403, "forbidden")


# --- the 360 view ---------------------------------------------------------------------------


def test_customer_360(session, client, shop, token_for, people):
    customer = people["customer"]
    sign_up_member(people["buyer"], name="李娜", phone="13912348888")
    session.commit()
    response = client.get(f"{API}/crm/customers/{customer.id}", headers=token_for(shop.agent))
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == customer.id and body["user_id"] == people["buyer"].id
    assert body["profile"]["name"] == "李娜" and body["profile"]["phone"] == "13912348888"
    assert body["membership"]["card_number"].startswith("VIP")
    figures = body["figures"]
    assert figures["recency_days"] == 0 and figures["frequency"] == 1
    assert figures["monetary"] == {"amount": 12800, "currency": "CNY"}
    assert figures["segment"] == "vip"
    assert [o["id"] for o in body["orders"]] == [people["order"]["id"]]
    assert body["orders"][0]["total"] == {"amount": 12800, "currency": "CNY"}
    [call] = body["followups"]
    assert call["kind"] == "satisfaction" and call["order_id"] == people["order"]["id"]
    assert datetime.fromisoformat(call["due_at"]).utcoffset() is not None
    [complaint] = body["complaints"]
    assert complaint["category"] == "quality" and complaint["order_id"] == people["order"]["id"]


def test_customer_360_is_logged_with_channel_api(session, client, shop, token_for, people):
    customer = people["customer"]
    client.get(f"{API}/crm/customers/{customer.id}", headers=token_for(shop.agent))
    [entry] = session.execute(sa.select(CustomerAccess).where(
        CustomerAccess.customer_id == customer.id)).scalars().all()
    assert entry.staff_id == shop.agent.id and entry.channel == "api"


def test_customer_360_of_a_prospect(client, shop, token_for, people):
    body = client.get(f"{API}/crm/customers/{people['prospect'].id}",
                      headers=token_for(shop.admin)).get_json()
    assert body["user_id"] is None and body["orders"] == [] and body["membership"] is None
    assert body["figures"]["recency_days"] is None and body["figures"]["segment"] == "prospect"


def test_customer_360_unknown_is_404(client, shop, token_for):
    assert_error(client.get(f"{API}/crm/customers/999999", headers=token_for(shop.agent)),
                 404, "not_found")


# --- follow-ups ------------------------------------------------------------------------------


def test_followup_queue(client, shop, token_for, people):
    agent = token_for(shop.agent)
    due_soon = (utcnow() + timedelta(days=4)).isoformat()
    response = client.get(f"{API}/crm/followups", query_string={"due_before": due_soon},
                          headers=agent)
    assert response.status_code == 200
    [item] = response.get_json()["items"]
    assert item["customer_id"] == people["customer"].id
    assert item["user_id"] == people["buyer"].id
    assert item["kind"] == "satisfaction" and item["status"] == "open"
    assert item["order_id"] == people["order"]["id"]
    due = datetime.fromisoformat(item["due_at"])
    assert timedelta(days=2, hours=23) < due - utcnow() <= timedelta(days=3)
    not_yet = client.get(f"{API}/crm/followups", query_string={
        "due_before": (utcnow() + timedelta(days=1)).isoformat()}, headers=agent).get_json()
    assert not_yet == {"items": []}
    # An offset-less time is read in the shop's zone; a "+" that arrives as a space is fine.
    shanghai = (utcnow() + timedelta(days=4, hours=8)).strftime("%Y-%m-%dT%H:%M:%S")
    for value in (shanghai, shanghai + " 08:00"):
        found = client.get(f"{API}/crm/followups", query_string={"due_before": value},
                           headers=agent).get_json()["items"]
        assert len(found) == 1, value
    kinds = client.get(f"{API}/crm/followups", query_string={"kind": "reorder"}, headers=agent)
    assert kinds.get_json() == {"items": []}
    done = client.get(f"{API}/crm/followups", query_string={"status": "done"}, headers=agent)
    assert done.get_json() == {"items": []}


def test_followup_queue_bad_query(client, shop, token_for):
    for args in ({"due_before": "next tuesday"}, {"status": "maybe"}, {"kind": "gossip"}):
        assert_error(client.get(f"{API}/crm/followups", query_string=args,
                                headers=token_for(shop.agent)), 400, "validation_error")


def the_call(session, people) -> FollowUp:
    return session.execute(sa.select(FollowUp).where(
        FollowUp.customer_id == people["customer"].id)).scalar_one()


def test_complete_a_followup(session, client, shop, token_for, people):
    call = the_call(session, people)
    response = client.post(f"{API}/crm/followups/{call.id}/complete",
                           json={"outcome": "reached", "notes": "很满意", "satisfaction": 5},
                           headers=token_for(shop.agent))
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "done" and body["satisfaction"] == 5 and body["outcome"] == "reached"
    assert "很满意" in body["notes"] and body["order_id"] == people["order"]["id"]
    session.expire_all()
    assert session.get(FollowUp, call.id).completed_by_id == shop.agent.id
    again = client.post(f"{API}/crm/followups/{call.id}/complete", json={"outcome": "reached"},
                        headers=token_for(shop.agent))
    assert_error(again, 409, "illegal_transition")


def test_unreached_call_is_retried(session, client, shop, token_for, people):
    call = the_call(session, people)
    body = client.post(f"{API}/crm/followups/{call.id}/complete", json={"outcome": "unreached"},
                       headers=token_for(shop.agent)).get_json()
    assert body["status"] == "open" and body["attempts"] == 1


def test_complete_rejects_bad_input(session, client, shop, token_for, people):
    call = the_call(session, people)
    url = f"{API}/crm/followups/{call.id}/complete"
    agent = token_for(shop.agent)
    for body in ({}, {"outcome": "ecstatic"}, {"outcome": "reached", "satisfaction": 6},
                 {"outcome": "reached", "satisfaction": 0}, {"outcome": "reached",
                                                            "satisfaction": "5"},
                 {"outcome": "reached", "satisfaction": 4.5},
                 {"outcome": "unreached", "satisfaction": 3},
                 {"outcome": "reached", "notes": "<img src=x onerror=alert(1)>"}):
        assert_error(client.post(url, json=body, headers=agent), 400, "validation_error")
    session.expire_all()
    call = session.get(FollowUp, call.id)
    assert (call.status, call.attempts, call.outcome) == ("open", 0, None)


def test_complete_boundaries(session, client, shop, token_for, people):
    call = the_call(session, people)
    url = f"{API}/crm/followups/{call.id}/complete"
    assert_error(client.post(url, json={"outcome": "reached"}), 401, "unauthorized")
    for who in (shop.shopper, shop.clerk, shop.admin):
        assert_error(client.post(url, json={"outcome": "reached"}, headers=token_for(who)),
                     403, "forbidden")
    assert_error(client.post(f"{API}/crm/followups/999999/complete", json={"outcome": "reached"},
                             headers=token_for(shop.agent)), 404, "not_found")
