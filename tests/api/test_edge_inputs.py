"""Inputs that once gave the API a 500 (core/inputs.py answers them at the edge): a 4xx in
the API's error shape, and nothing written. One test per family, on both databases."""

from datetime import timedelta

import sqlalchemy as sa

from core.clock import utcnow
from crm.care.models import Complaint
from storefront.loyalty.membership import sign_up_member

from .conftest import API, assert_error, pickup_body, snapshot

#: past PostgreSQL's integer, past 64 bits (SQLite's limit), and far past both
TOO_BIG_IDS = [str(2**31), str(2**63), "9" * 30, "9" * 5000]
CONTROL = ["a\x00b", "\x00", "x\x1by", "tab\there", "nl\nhere", "del\x7f", "c1\x85"]


def complaints(session) -> int:
    session.expire_all()
    return session.execute(sa.select(sa.func.count()).select_from(Complaint)).scalar_one()


def test_an_id_past_its_column_is_not_found(client, shop, token_for):
    agent = token_for(shop.agent)
    for number in TOO_BIG_IDS:
        for url in (f"{API}/crm/complaints/{number}", f"{API}/crm/customers/{number}"):
            assert_error(client.get(url, headers=agent), 404, "not_found")
        assert_error(client.post(f"{API}/crm/complaints/{number}/transition",
                                 json={"to": "closed"}, headers=agent), 404, "not_found")
    document = client.get(f"{API}/openapi.json").get_json()
    parameter, = document["paths"]["/api/v1/crm/complaints/{complaint_id}"]["get"]["parameters"]
    assert parameter["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}


def test_control_characters_in_a_query_or_a_header_are_refused(client, shop, session,
                                                               token_for):
    sign_up_member(shop.shopper, name="王丽", phone="13800000001", city="上海市",
                   baby_birthday=(utcnow() - timedelta(days=185)).date())
    shopper, agent = token_for(shop.shopper), token_for(shop.agent)
    for value in CONTROL:
        response = client.get(f"{API}/member/content", query_string={"q": value},
                              headers=shopper)
        assert list(assert_error(response, 400, "validation_error")["errors"]) == ["q"]
        for url in (f"{API}/crm/customers", f"{API}/crm/followups"):
            key = "q" if url.endswith("customers") else "due_before"
            response = client.get(url, query_string={key: f"2024-01-01T00:00:00{value}"},
                                  headers=agent)
            assert list(assert_error(response, 400, "validation_error")["errors"]) == [key]
    before = snapshot(session)
    response = client.post(f"{API}/orders", json=pickup_body(shop),
                           headers={**shopper, "Idempotency-Key": "key\x00one"})
    assert list(assert_error(response, 400, "validation_error")["errors"]) == ["Idempotency-Key"]
    assert snapshot(session) == before


def test_control_characters_and_lone_surrogates_in_a_body_are_refused(client, shop, session,
                                                                      pickup_order, token_for):
    before = complaints(session)
    for field, value in [("order_id", "a\x00b"), ("order_id", "\ud800"),
                         ("description", "a\x00b"), ("description", "broken \udc00 pair"),
                         ("description", "esc\x1b[31m"), ("category", "quality\x00")]:
        body = {"order_id": pickup_order["id"], "category": "quality",
                "description": "颜色不对", field: value}
        for user in (shop.shopper, shop.agent):
            response = client.post(f"{API}/crm/complaints", json=body, headers=token_for(user))
            errors = assert_error(response, 400, "validation_error")["errors"]
            assert list(errors) == [field] and errors[field][0], (field, value)
    response = client.post(f"{API}/auth/token", json={"email": "a\ud800@example.com",
                                                      "password": "whatever1"})
    assert list(assert_error(response, 400, "validation_error")["errors"]) == ["email"]
    # nested fields and keys are named where they are
    order_before = snapshot(session)
    body = pickup_body(shop)
    body["lines"][0]["sku"] = "HS\x00001"
    body["fulfillment"]["k\x00"] = 1
    response = client.post(f"{API}/orders", json=body, headers=token_for(shop.shopper))
    errors = assert_error(response, 400, "validation_error")["errors"]
    assert errors["lines"]["0"]["sku"] and errors["fulfillment"]["_keys"]
    assert snapshot(session) == order_before
    assert complaints(session) == before
    # while free text keeps its tabs and line breaks
    response = client.post(f"{API}/crm/complaints", headers=token_for(shop.shopper), json={
        "order_id": pickup_order["id"], "category": "quality",
        "description": "第一行\n第二行\r\n\t缩进"})
    assert response.status_code == 201, response.get_json()


def test_bodies_nested_too_deeply_or_not_json_are_refused(client, shop, session, token_for):
    shopper = token_for(shop.shopper)
    before = snapshot(session)
    for depth in (33, 200, 100_000):
        body = '{"lines": ' + "[" * depth + "]" * depth + "}"
        response = client.post(f"{API}/orders", data=body, content_type="application/json",
                               headers=shopper)
        assert_error(response, 400, "validation_error")
    for content_type, data in [("text/plain", '{"lines": []}'), ("application/xml", "<o/>"),
                               ("application/json", b"\xff\xfe{}"),
                               ("application/json", '{"lines": [')]:
        response = client.post(f"{API}/orders", data=data, content_type=content_type,
                               headers=shopper)
        assert 400 <= response.status_code < 500 and response.is_json, (content_type, data)
    assert snapshot(session) == before


def test_numbers_that_are_no_id_are_refused(client, shop, session, token_for):
    agent = token_for(shop.agent)
    before = complaints(session)
    for field, number in [("product_id", "100000000000000000000000000000"),
                          ("product_id", "-100000000000000000000000000000"),
                          ("product_id", "NaN"), ("product_id", "Infinity"),
                          ("product_id", "1e999"), ("customer_id", "1.5"),
                          ("customer_id", "2.0"), ("customer_id", "true")]:
        data = f'{{"{field}": {number}, "category": "quality", "description": "x"}}'
        response = client.post(f"{API}/crm/complaints", data=data,
                               content_type="application/json", headers=agent)
        assert field in assert_error(response, 400, "validation_error")["errors"], number
    assert complaints(session) == before


def test_a_body_past_the_limit_is_413_in_the_api_shape(client, shop, token_for, app):
    data = b'{"note": "' + b"x" * app.config["MAX_CONTENT_LENGTH"] + b'"}'
    response = client.post(f"{API}/orders", data=data, content_type="application/json",
                           headers=token_for(shop.shopper))
    body = assert_error(response, 413, "payload_too_large")
    assert body["message"] == "请求内容过大。"


def test_http_errors_speak_the_shop_language(client):
    body = assert_error(client.get(f"{API}/no-such-thing"), 404, "not_found")
    assert body["message"] == "未找到相关内容。"
    body = assert_error(client.delete(f"{API}/products"), 405, "method_not_allowed")
    assert body["message"] == "此地址不接受这种请求。"
