"""The complaint endpoints of API.md: filing (staff or the order's customer), the status,
transitions with 409 for illegal ones."""

from core.extensions import db
from crm.care.models import Complaint
from tests.api.conftest import API, assert_error


def file(client, headers, **body):
    return client.post(f"{API}/crm/complaints", json=body, headers=headers)


def test_customer_files_about_own_order_and_sees_status(client, shop, pickup_order, token_for,
                                                       make_user):
    shopper = token_for(shop.shopper)
    response = file(client, shopper, order_id=pickup_order["id"], category="quality",
                    description="颜色不对", severity="low")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "open" and body["order_id"] == pickup_order["id"]
    # The customer's complaint came online and is medium, whatever they sent; the customer
    # center's triage (severity, channel, deadlines) is not in the customer's answer.
    assert not {"severity", "channel", "due_at", "owner_id"} & set(body)
    stored = db.session.get(Complaint, body["id"])
    assert (stored.channel, stored.severity) == ("online", "medium") and stored.due_at
    mine = client.get(f"{API}/crm/complaints", headers=shopper).get_json()["items"]
    assert [c["id"] for c in mine] == [body["id"]]
    assert client.get(f"{API}/crm/complaints/{body['id']}", headers=shopper).status_code == 200
    other = token_for(make_user())
    assert_error(client.get(f"{API}/crm/complaints/{body['id']}", headers=other), 404,
                 "not_found")
    assert_error(file(client, other, order_id=pickup_order["id"], category="quality",
                      description="x"), 404, "not_found")
    assert_error(file(client, shopper, category="quality", description="x"), 403, "forbidden")


def test_agent_moves_it_and_illegal_steps_are_409(client, shop, pickup_order, token_for):
    agent = token_for(shop.agent)
    made = file(client, agent, order_id=pickup_order["id"], category="delivery",
                description="迟到两小时", severity="high").get_json()
    url = f"{API}/crm/complaints/{made['id']}/transition"
    body = assert_error(client.post(url, json={"to": "closed"}, headers=agent), 409,
                        "illegal_transition")
    assert body["status"] == "open"
    assert client.post(url, json={"to": "acknowledged"}, headers=agent).status_code == 200
    assert client.post(url, json={"to": "investigating"}, headers=agent).status_code == 200
    assert_error(client.post(url, json={"to": "resolved", "remedy": "apology"}, headers=agent),
                 400, "validation_error")
    response = client.post(url, json={"to": "resolved", "remedy": "apology",
                                       "root_cause": "路线规划错误",
                                       "prevention": "高峰期提前出发"}, headers=agent)
    assert response.status_code == 200 and response.get_json()["status"] == "resolved"
    assert_error(client.post(url, json={"to": "flying"}, headers=agent), 400,
                 "validation_error")
    assert_error(client.post(url, json={"to": "closed"}, headers=token_for(shop.shopper)),
                 403, "forbidden")


def test_bad_bodies(client, shop, token_for):
    agent = token_for(shop.agent)
    assert_error(file(client, agent, category="quality", description="x"), 400,
                 "validation_error")  # neither customer nor order
    assert_error(file(client, agent, customer_id=999999, category="quality", description="x"),
                 404, "not_found")
    assert_error(file(client, agent, order_id="nope", category="quality", description="x"),
                 404, "not_found")
    assert_error(file(client, agent, order_id="x", category="mood", description="x"), 400,
                 "validation_error")
