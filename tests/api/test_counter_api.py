"""The counter API of a store's tablet: POST /staff/sales (lines by SKU or barcode, a card,
payments, Idempotency-Key), GET /staff/sales/<id>, POST /staff/sales/<id>/returns; and
their place in the OpenAPI document."""

from datetime import date

import sqlalchemy as sa

from storefront.loyalty.membership import sign_up_member
from storefront.models import Order

from .conftest import API, snapshot

BARCODE = "4006381333931"


def sale_body(shop, **change):
    body = {"lines": [{"barcode": BARCODE, "quantity": 2},
                      {"sku": shop.products[1].sku}],
            "payments": [{"method": "wechat_scan", "amount": 30000},
                         {"method": "cash", "tendered": 40000}]}
    body.update(change)
    return body


def test_a_clerk_sells_reads_and_takes_back(client, session, shop, token_for):
    shop.products[0].barcode = BARCODE
    member = sign_up_member(shop.shopper, name="王丽", phone="13800000001",
                            birthday=date(1990, 5, 1))
    headers = token_for(shop.clerk)
    made = client.post(f"{API}/staff/sales", json=sale_body(shop, card_number=member.card_number),
                       headers=headers)
    assert made.status_code == 201, made.get_json()
    sale = made.get_json()
    assert (sale["channel"], sale["status"], sale["member"]) == ("store", "fulfilled", True)
    assert sale["total"]["amount"] == 2 * 12800 + 39800
    cash = sale["payments"][1]
    assert (cash["method"], cash["amount"], cash["tendered"], cash["change"]) == (
        "cash", 35400, 40000, 4600)
    assert sale["receipt_url"].endswith(f"/desk/sales/{sale['id']}")
    read = client.get(f"{API}/staff/sales/{sale['id']}", headers=headers)
    assert read.status_code == 200 and read.get_json()["number"] == sale["number"]
    back = client.post(f"{API}/staff/sales/{sale['id']}/returns", headers=headers,
                       json={"lines": [{"sku": shop.products[0].sku, "quantity": 1}],
                             "reason": "罐子压瘪"})
    assert back.status_code == 201, back.get_json()
    # back to the WeChat account that paid first; the till keeps its cash
    assert [(r["method"], r["amount"]) for r in back.get_json()["refunds"]] == [
        ("wechat_scan", 12800)]
    assert sale["payment_method"] == "split"
    # others do not see it
    far = client.get(f"{API}/staff/sales/{sale['id']}", headers=token_for(shop.far_clerk))
    assert far.status_code == 404
    assert client.get(f"{API}/staff/sales/{sale['id']}",
                      headers=token_for(shop.shopper)).status_code == 403


def test_wrong_input_is_a_clear_error_and_sells_nothing(client, session, shop, token_for):
    shop.products[0].barcode = BARCODE
    headers = token_for(shop.clerk)
    before = snapshot(session)
    for body, status, code in (
            (sale_body(shop, payments=[{"method": "cash", "amount": 100}]), 400, "underpaid"),
            (sale_body(shop, payments=[{"method": "cash", "amount": 9_000_000}]), 400,
             "overpaid"),
            (sale_body(shop, payments=[{"method": "gold"}]), 400, "validation_error"),
            (sale_body(shop, lines=[{"sku": "X", "barcode": BARCODE}]), 400,
             "validation_error"),
            (sale_body(shop, lines=[{"barcode": "1234567890128"}]), 400, "validation_error"),
            (sale_body(shop, card_number="VIP0000000000"), 404, "unknown_member"),
            (sale_body(shop, lines=[{"sku": shop.products[1].sku, "quantity": 11}],
                       payments=[{"method": "cash"}]), 409, "insufficient_stock")):
        answer = client.post(f"{API}/staff/sales", json=body, headers=headers)
        assert (answer.status_code, answer.get_json()["code"]) == (status, code), body
    assert snapshot(session) == before
    assert client.post(f"{API}/staff/sales", json=sale_body(shop),
                       headers=token_for(shop.admin)).status_code == 403


def test_idempotency_key_replays_the_sale(client, session, shop, token_for):
    headers = {**token_for(shop.clerk), "Idempotency-Key": "till-7-0001"}
    body = sale_body(shop, lines=[{"sku": shop.products[0].sku}],
                     payments=[{"method": "card_terminal"}])
    first = client.post(f"{API}/staff/sales", json=body, headers=headers)
    again = client.post(f"{API}/staff/sales", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    assert session.execute(sa.select(sa.func.count(Order.id))).scalar_one() == 1


def test_the_counter_routes_are_in_the_openapi_document(client):
    paths = client.get(f"{API}/openapi.json").get_json()["paths"]
    sell = paths["/api/v1/staff/sales"]["post"]
    assert {"201", "400", "401", "403", "409"} <= set(sell["responses"])
    assert "get" in paths["/api/v1/staff/sales/{public_id}"]
    assert "post" in paths["/api/v1/staff/sales/{public_id}/returns"]


def test_the_store_lacks_it_another_center_delivers(client, session, shop, token_for, stock):
    from tests.conftest import delivery_address

    stock(shop.store, shop.products[2], 0)
    body = {"lines": [{"sku": shop.products[2].sku}], "payments": [{"method": "alipay_scan"}],
            "deliver": {"method": "delivery", "address": delivery_address()}}
    made = client.post(f"{API}/staff/sales", json=body, headers=token_for(shop.clerk))
    assert made.status_code == 201, made.get_json()
    sale = made.get_json()
    assert (sale["center_id"], sale["status"]) == (shop.hub.id, "paid")
    assert client.get(f"{API}/staff/sales/{sale['id']}",
                      headers=token_for(shop.clerk)).status_code == 200


def test_collected_here_after_a_transfer(client, session, shop, token_for, stock):
    stock(shop.store, shop.products[2], 0)  # the far store and the hub still hold 10
    session.commit()
    headers = token_for(shop.clerk)
    body = {"lines": [{"sku": shop.products[2].sku, "quantity": 2}],
            "payments": [{"method": "alipay_scan"}]}
    nobody = client.post(f"{API}/staff/sales", headers=headers,
                         json={**body, "collect_here": {}})
    assert nobody.status_code == 400 and "contact" in nobody.get_json()["errors"]
    both = client.post(f"{API}/staff/sales", headers=headers, json={
        **body, "collect_here": {}, "deliver": {"method": "courier", "address": {}}})
    assert both.status_code == 400
    made = client.post(f"{API}/staff/sales", headers=headers, json={
        **body, "collect_here": {"contact": {"name": "陈先生", "phone": "13900000002"}}})
    assert made.status_code == 201, made.get_json()
    sale = made.get_json()
    assert (sale["status"], sale["payment_method"], sale["center_id"]) == (
        "paid", "alipay_scan", shop.store.id)
    assert sale["fulfillment"]["status"] == "transferring"
    assert sale["fulfillment"]["transfer_from"] in (shop.far_store.code, shop.hub.code)
