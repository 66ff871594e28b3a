"""GET /api/v1/orders/<id>: the payment timeline, the refunds and the dispute flag."""

from datetime import datetime

import sqlalchemy as sa

from fulfillment import services as desk
from storefront.models import Order
from storefront.orders import place_order
from storefront.payments.refunds import refund_order

from ..api.conftest import API
from .localstripe import event, signed


def _json(client, public_id, headers):
    response = client.get(f"{API}/orders/{public_id}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_cash_order_shows_what_was_collected_and_given_back(client, session, shop, headers):
    order = place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 3}],
                        fulfillment={"method": "pickup", "center_id": shop.store.id},
                        payment_method="pay_at_pickup")
    f = desk.mark_ready(order.fulfillment, shop.clerk)
    desk.hand_over(f, f.pickup_code, shop.clerk, collected={"method": "cash"})
    line = order.lines[0]
    refund_order(order, shop.admin, reason="one tin dented", lines={line.id: 1})
    public_id, unit, total = order.public_id, line.unit_price_amount, order.total_amount

    body = _json(client, public_id, headers(shop.shopper))

    assert body["disputed"] is False
    kinds = [e["kind"] for e in body["timeline"]]
    assert kinds[-2:] == ["collected", "refund"]
    collected, refunded = body["timeline"][-2:]
    assert collected["amount"] == {"amount": total, "currency": "CNY"}
    assert collected["detail"] == "cash"
    assert refunded["amount"] == {"amount": unit, "currency": "CNY"}
    assert refunded["detail"] == "one tin dented"
    stamps = [datetime.fromisoformat(e["at"]) for e in body["timeline"]]
    assert stamps == sorted(stamps) and all(s.utcoffset() is not None for s in stamps)
    [refund] = body["refunds"]
    assert refund["amount"] == {"amount": unit, "currency": "CNY"}
    assert (refund["status"], refund["method"], refund["reason"], refund["full"]) == (
        "succeeded", "cash", "one tin dented", False)
    assert refund["completed_at"] is not None
    assert refund["lines"] == [{"sku": shop.products[0].sku, "quantity": 1,
                                "amount": {"amount": unit, "currency": "CNY"}}]


def test_new_order_has_an_empty_story(client, session, shop, headers):
    order = place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                        fulfillment={"method": "pickup", "center_id": shop.store.id},
                        payment_method="pay_at_pickup")
    body = _json(client, order.public_id, headers(shop.shopper))
    assert body["refunds"] == [] and body["disputed"] is False
    assert all(e["kind"] not in ("refund", "collected") for e in body["timeline"])


def test_dispute_is_flagged_and_stripe_ids_are_for_staff(client, session, shop, headers,
                                                         online_order):
    order = session.execute(
        sa.select(Order).where(Order.public_id == online_order["id"])).scalar_one()
    payload, hdrs = signed(event("charge.dispute.created", {
        "id": "dp_1", "object": "dispute", "amount": order.total_amount,
        "payment_intent": online_order["payment_intent_id"], "reason": "fraudulent"}))
    assert client.post(f"{API}/payments/stripe/webhook", data=payload,
                       headers=hdrs).status_code == 200

    mine = _json(client, online_order["id"], online_order["headers"])
    assert mine["disputed"] is True
    assert [e["kind"] for e in mine["timeline"]] == ["intent", "disputed"]
    intent, disputed = mine["timeline"]
    assert intent["detail"] is None  # the shopper is not shown Stripe's ids
    assert disputed == {**disputed, "detail": "fraudulent",
                        "amount": {"amount": order.total_amount, "currency": "CNY"}}

    staff = _json(client, online_order["id"], headers(shop.admin))
    assert staff["timeline"][0]["detail"] == online_order["payment_intent_id"]
    assert staff["disputed"] is True and staff["refunds"] == []

    listed = client.get(f"{API}/me/orders", headers=online_order["headers"]).get_json()
    assert [o["disputed"] for o in listed["items"]] == [True]


def test_openapi_documents_timeline_refunds_and_dispute(client):
    document = client.get(f"{API}/openapi.json").get_json()
    op = document["paths"]["/api/v1/orders/{public_id}"]["get"]
    ref = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    schemas = document["components"]["schemas"]
    detail = schemas[ref.rsplit("/", 1)[1]]["properties"]
    assert detail["disputed"]["type"] == "boolean"
    entry = schemas[detail["timeline"]["items"]["$ref"].rsplit("/", 1)[1]]["properties"]
    assert {"kind", "at", "amount", "detail"} <= set(entry)
    assert "disputed" in entry["kind"]["enum"]
    refund = schemas[detail["refunds"]["items"]["$ref"].rsplit("/", 1)[1]]["properties"]
    assert {"amount", "status", "reason", "lines"} <= set(refund)
    assert refund["status"]["enum"] == ["pending", "succeeded", "failed"]
