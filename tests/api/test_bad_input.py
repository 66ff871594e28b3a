"""Every kind of bad input to ``POST /api/v1/orders``: a 4xx JSON error, and nothing written.

One test walks the whole list, comparing the orders, order lines, fulfillments and stock
before and after each request.
"""

import copy

import pytest

from tests.conftest import delivery_address

from .conftest import API, delivery_body, pickup_body, snapshot

SQL = "x' OR 1=1 --"
SQL_DROP = "'; DROP TABLE orders; --"
SCRIPT = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(1)">'


def with_line(base, **line):
    body = copy.deepcopy(base)
    body["lines"][0].update(line)
    return body


def without_line_field(base, field):
    body = copy.deepcopy(base)
    del body["lines"][0][field]
    return body


def with_fulfillment(base, **changes):
    body = copy.deepcopy(base)
    for key, value in changes.items():
        if value is _DROP:
            body["fulfillment"].pop(key, None)
        else:
            body["fulfillment"][key] = value
    return body


def with_address(base, **changes):
    body = copy.deepcopy(base)
    address = body["fulfillment"]["address"]
    for key, value in changes.items():
        if value is _DROP:
            address.pop(key, None)
        else:
            address[key] = value
    return body


def with_top(base, **changes):
    body = copy.deepcopy(base)
    for key, value in changes.items():
        if value is _DROP:
            body.pop(key, None)
        else:
            body[key] = value
    return body


_DROP = object()


def bad_inputs(shop, inactive_sku, closed_center_id):
    """(label, request kwargs, status, code) for every kind of bad order the issue lists."""
    pickup = pickup_body(shop)
    delivery = delivery_body(shop, delivery_address())
    sku = shop.products[0].sku
    raw = [
        ("broken JSON", {"data": '{"lines": [', "content_type": "application/json"}),
        ("empty body", {"data": "", "content_type": "application/json"}),
        ("form body", {"data": "lines=1&payment_method=pay_at_pickup",
                       "content_type": "application/x-www-form-urlencoded"}),
        ("JSON list", {"json": [pickup]}),
        ("JSON string", {"json": "an order please"}),
        ("JSON number", {"json": 42}),
        ("JSON null", {"data": "null", "content_type": "application/json"}),
    ]
    cases = [(label, kwargs, 400, "validation_error") for label, kwargs in raw]

    def body_case(label, body, status=400, code="validation_error"):
        cases.append((label, {"json": body}, status, code))

    # Quantities: integers 1..99, strictly.
    for label, quantity in [("zero", 0), ("negative", -1), ("over the cap", 100),
                            ("huge", 10**9), ("enormous", 10**30), ("float", 2.5),
                            ("float that looks whole", 1.0), ("string", "2"),
                            ("numeric string with spaces", " 1 "), ("true", True),
                            ("false", False), ("null", None), ("list", [1]),
                            ("object", {"n": 1}), ("exponent string", "1e2")]:
        body_case(f"quantity {label}", with_line(pickup, quantity=quantity))
    body_case("quantity missing", without_line_field(pickup, "quantity"))
    body_case("same SKU twice over the cap", with_top(pickup, lines=[
        {"sku": sku, "quantity": 60}, {"sku": sku, "quantity": 60}]))

    # Lines.
    body_case("no lines", with_top(pickup, lines=[]))
    body_case("lines missing", with_top(pickup, lines=_DROP))
    body_case("lines not a list", with_top(pickup, lines="HS-001 x 2"))
    body_case("line not an object", with_top(pickup, lines=[sku]))
    body_case("too many lines", with_top(pickup, lines=[{"sku": sku, "quantity": 1}] * 51))

    # SKUs.
    body_case("unknown SKU", with_line(pickup, sku="NO-SUCH-SKU"))
    body_case("SQL in the SKU", with_line(pickup, sku=SQL))
    body_case("DROP TABLE in the SKU", with_line(pickup, sku=SQL_DROP))
    body_case("HTML in the SKU", with_line(pickup, sku=SCRIPT))
    body_case("NUL in the SKU", with_line(pickup, sku="HS\x00001"))
    body_case("SKU not a string", with_line(pickup, sku=123))
    body_case("SKU too long", with_line(pickup, sku="S" * 41))
    body_case("SKU empty", with_line(pickup, sku=""))
    body_case("SKU missing", without_line_field(pickup, "sku"))
    body_case("inactive product", with_line(pickup, sku=inactive_sku))

    # Centers.
    body_case("unknown center", with_fulfillment(pickup, center_id=999_999), 400,
              "unknown_center")
    body_case("delivery-only center for pickup", with_fulfillment(pickup, center_id=shop.hub.id),
              400, "unknown_center")
    body_case("closed center", with_fulfillment(pickup, center_id=closed_center_id), 400,
              "unknown_center")
    body_case("center id as string", with_fulfillment(pickup, center_id=str(shop.store.id)))
    body_case("SQL as center id", with_fulfillment(pickup, center_id=f"{shop.store.id} OR 1=1"))
    body_case("center id zero", with_fulfillment(pickup, center_id=0))
    body_case("center id negative", with_fulfillment(pickup, center_id=-3))
    body_case("center id beyond any column", with_fulfillment(pickup, center_id=2**40))
    body_case("center id float", with_fulfillment(pickup, center_id=1.5))
    body_case("center id missing for pickup", with_fulfillment(pickup, center_id=_DROP))
    body_case("center id null", with_fulfillment(pickup, center_id=None))

    # Fulfillment methods.
    body_case("unknown method", with_fulfillment(pickup, method="teleport"))
    body_case("method in capitals", with_fulfillment(pickup, method="PICKUP"))
    body_case("method missing", with_fulfillment(pickup, method=_DROP))
    body_case("fulfillment missing", with_top(pickup, fulfillment=_DROP))
    body_case("fulfillment not an object", with_top(pickup, fulfillment="pickup"))

    # Payment methods.
    body_case("unknown payment method", with_top(pickup, payment_method="bitcoin"))
    body_case("SQL as payment method", with_top(pickup, payment_method="pay_at_pickup' --"))
    body_case("payment method missing", with_top(pickup, payment_method=_DROP))
    body_case("cash on delivery for a pickup", with_top(pickup, payment_method="cash_on_delivery"))
    body_case("pay at pickup for a delivery", with_top(delivery, payment_method="pay_at_pickup"))

    # Addresses.
    body_case("delivery without address", with_fulfillment(delivery, address=_DROP))
    body_case("delivery with null address", with_fulfillment(delivery, address=None))
    body_case("address not an object", with_fulfillment(delivery, address="漕溪北路 88 号"))
    for field in ("name", "phone", "province", "city", "district", "street"):
        body_case(f"address without {field}", with_address(delivery, **{field: _DROP}))
        body_case(f"address with blank {field}", with_address(delivery, **{field: "   "}))
    body_case("address with a bad phone", with_address(delivery, phone="call me maybe"))
    body_case("address latitude out of range", with_address(delivery, lat=200))
    body_case("address latitude not a number", with_address(delivery, lat="north"))
    body_case("address with unknown field", with_address(delivery, floor=3))
    body_case("unserved district", with_address(delivery, district="疏附县"), 422,
              "no_center_serves_address")
    body_case("SQL in the district", with_address(delivery, district="静安区' OR '1'='1"), 422,
              "no_center_serves_address")

    # Markup and control characters meant for someone's screen.
    body_case("script in the name", with_address(delivery, name=SCRIPT))
    body_case("img in the street", with_address(delivery, street=IMG))
    body_case("script in the note", with_top(pickup, note=SCRIPT))
    body_case("NUL in the name", with_address(delivery, name="王\x00女士"))
    body_case("note too long", with_top(pickup, note="很" * 501))

    # Fields nobody asked for.
    body_case("unknown top-level field", with_top(pickup, total={"amount": 1, "currency": "CNY"}))
    body_case("unknown line field", with_line(pickup, price=1))
    return cases


def test_every_bad_order_is_refused_and_writes_nothing(session, client, shop, token_for,
                                                        make_product, make_center, stock):
    inactive = make_product(active=False)
    stock(shop.store, inactive, 10)
    closed = make_center(code="SH-OLD")
    closed.active = False
    headers = token_for(shop.shopper)
    before = snapshot(session)
    failures = []
    for label, kwargs, status, code in bad_inputs(shop, inactive.sku, closed.id):
        response = client.post(f"{API}/orders", headers=headers, **kwargs)
        body = response.get_json(silent=True)
        if response.status_code != status or not isinstance(body, dict) \
                or body.get("code") != code:
            failures.append((label, response.status_code, response.get_data(as_text=True)[:200]))
            continue
        if not (isinstance(body.get("message"), str) and isinstance(body.get("errors"), dict)):
            failures.append((label, "not the error shape", body))
        if snapshot(session) != before:
            failures.append((label, "wrote something"))
            break
    assert failures == []
    # And the same good order goes through, so the walk did test what it meant to.
    good = client.post(f"{API}/orders", headers=headers, json=pickup_body(shop))
    assert good.status_code == 201
    assert snapshot(session) != before


def test_validation_errors_name_the_field(client, shop, token_for):
    body = client.post(f"{API}/orders", headers=token_for(shop.shopper),
                       json=with_line(pickup_body(shop), quantity=0)).get_json()
    assert body["code"] == "validation_error"
    assert "quantity" in body["errors"]["lines"]["0"]
    body = client.post(f"{API}/orders", headers=token_for(shop.shopper),
                       json=with_line(pickup_body(shop), sku=SQL)).get_json()
    assert "sku" in body["errors"]["lines"]["0"]


def test_online_payment_unconfigured_writes_nothing(session, client, shop, token_for):
    before = snapshot(session)
    response = client.post(f"{API}/orders", headers=token_for(shop.shopper),
                           json=with_top(pickup_body(shop), payment_method="stripe"))
    assert response.status_code == 503 and response.get_json()["code"] == "payments_unavailable"
    assert snapshot(session) == before


@pytest.mark.parametrize("value", [SQL, SCRIPT, "../../etc/passwd", "%00", "' OR ''='"])
def test_hostile_order_ids_are_simply_not_found(client, shop, token_for, value):
    response = client.get(f"{API}/orders/{value}", headers=token_for(shop.shopper))
    assert response.status_code == 404 and response.get_json()["code"] == "not_found"
