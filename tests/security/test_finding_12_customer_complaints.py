"""Finding 12: a customer filing a complaint through the API cannot say how urgent it is
(medium, as the HTML form) nor through which channel it came (online), and never sees the
customer center's own notes on it, in the API or on their page."""

import sqlalchemy as sa

from crm.care.complaints import sla
from crm.care.models import Complaint
from tests.api.conftest import API
from tests.support.pages import login

#: what only the customer center reads
INTERNAL = {"root_cause", "prevention", "owner_id", "remedy_note", "severity", "channel",
            "customer_id", "due_at", "first_response_due_at", "first_response_at", "overdue",
            "product_id"}


def _stored(session, complaint_id) -> Complaint:
    session.expire_all()
    return session.get(Complaint, complaint_id)


def test_a_customer_cannot_set_the_severity_or_the_channel(client, session, shop, token_for,
                                                           pickup_order):
    """The review's repro: the customer's POST with severity high."""
    made = client.post(f"{API}/crm/complaints", headers=token_for(shop.shopper), json={
        "order_id": pickup_order["id"], "category": "quality", "description": "颜色不对",
        "severity": "high", "channel": "hotline"})
    assert made.status_code == 201, made.get_json()
    complaint = _stored(session, made.get_json()["id"])
    assert (complaint.severity, complaint.channel) == ("medium", "online")
    _first, resolve = sla("medium")
    assert complaint.due_at - complaint.created_at == resolve
    # The customer center still says how urgent its own complaints are.
    logged = client.post(f"{API}/crm/complaints", headers=token_for(shop.agent), json={
        "order_id": pickup_order["id"], "category": "delivery", "description": "迟到",
        "severity": "high", "channel": "hotline"})
    assert logged.status_code == 201
    assert logged.get_json()["severity"] == "high"
    assert (_stored(session, logged.get_json()["id"]).severity, logged.get_json()["channel"]) \
        == ("high", "hotline")


def test_the_customer_never_sees_the_customer_centers_notes(client, session, shop, token_for,
                                                            pickup_order):
    shopper, agent = token_for(shop.shopper), token_for(shop.agent)
    made = client.post(f"{API}/crm/complaints", headers=shopper, json={
        "order_id": pickup_order["id"], "category": "quality", "description": "颜色不对"})
    assert made.status_code == 201
    assert not INTERNAL & set(made.get_json())
    url = f"{API}/crm/complaints/{made.get_json()['id']}"
    for step in ({"to": "acknowledged"}, {"to": "investigating"},
                 {"to": "resolved", "remedy": "apology", "root_cause": "仓库温控失灵 SECRET",
                  "prevention": "更换温控器"}):
        assert client.post(f"{url}/transition", json=step, headers=agent).status_code == 200
    detail = client.get(url, headers=shopper).get_json()
    listed = client.get(f"{API}/crm/complaints", headers=shopper).get_json()["items"]
    for body in (detail, *listed):
        assert not INTERNAL & set(body), INTERNAL & set(body)
        assert body["status"] == "resolved" and body["remedy"] == "apology"
        assert body["order_id"] == pickup_order["id"]
    login(client, shop.shopper)
    page = client.get("/complaints").get_data(as_text=True)
    assert "颜色不对" in page and "SECRET" not in page and "更换温控器" not in page
    # Staff read all of it.
    staff = client.get(url, headers=agent).get_json()
    assert staff["root_cause"] == "仓库温控失灵 SECRET" and staff["severity"] == "medium"


def test_the_html_form_files_a_medium_online_complaint(client, session, shop, pickup_order):
    login(client, shop.shopper)
    response = client.post(f"/orders/{pickup_order['id']}/complaint",
                           data={"category": "quality", "description": "包装破损",
                                 "severity": "high"})
    assert response.status_code == 302
    complaint = session.execute(sa.select(Complaint)).scalar_one()
    assert (complaint.severity, complaint.channel) == ("medium", "online")
