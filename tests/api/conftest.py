"""Helpers for the API tests: request bodies, placing orders, what the database holds."""

import pytest
import sqlalchemy as sa

API = "/api/v1"


def pickup_body(shop, *, product=None, quantity=1, center=None, payment="pay_at_pickup"):
    product = product or shop.products[0]
    return {
        "lines": [{"sku": product.sku, "quantity": quantity}],
        "fulfillment": {"method": "pickup", "center_id": (center or shop.store).id},
        "payment_method": payment,
    }


def delivery_body(shop, address, *, product=None, quantity=1):
    product = product or shop.products[1]
    return {
        "lines": [{"sku": product.sku, "quantity": quantity}],
        "fulfillment": {"method": "delivery", "address": address},
        "payment_method": "cash_on_delivery",
    }


@pytest.fixture()
def shop(shop, session):
    """The shop, committed: an error response rolls back only what its request did.

    (The app's error handler rolls the session back; in tests a commit is a savepoint,
    so what the fixtures made must be committed to outlive a 4xx.)
    """
    session.commit()
    return shop


def committing(token_for, session):
    """``token_for`` whose headers are committed together with everything made before."""

    def issue(user):
        headers = token_for(user)
        session.commit()
        return headers

    return issue


@pytest.fixture()
def token_for(token_for, session):
    """Auth headers for a user, committed together with everything made before."""
    return committing(token_for, session)


def snapshot(session) -> dict:
    """Row counts of everything an order writes, and every stock row's figures."""
    session.expire_all()
    counts = {
        table: session.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
        for table in ("orders", "order_lines", "fulfillments", "fulfillment_lines",
                      "idempotency_keys")
    }
    counts["stock"] = session.execute(sa.text(
        "SELECT center_id, product_id, on_hand, reserved FROM stock "
        "ORDER BY center_id, product_id")).all()
    return counts


@pytest.fixture()
def place(client, token_for):
    """``place(user, body, key=None)`` -> the response of ``POST /orders``."""

    def post(user, body, key=None, headers=None):
        all_headers = dict(headers or token_for(user))
        if key is not None:
            all_headers["Idempotency-Key"] = key
        return client.post(f"{API}/orders", json=body, headers=all_headers)

    return post


@pytest.fixture()
def pickup_order(shop, place):
    """A pickup order of 2 units of the first product at the store, by the shopper."""
    response = place(shop.shopper, pickup_body(shop, quantity=2))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def assert_error(response, status: int, code: str) -> dict:
    """The response is the API's JSON error with this status and code."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    body = response.get_json()
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["errors"], dict)
    return body


#: requests the fuzzer sent, by (database, role): test_fuzz.py counts, the summary prints
FUZZ_COUNTS = pytest.StashKey[dict]()


def pytest_terminal_summary(terminalreporter, config):
    counts = config.stash.get(FUZZ_COUNTS, None)
    if counts:
        terminalreporter.write_sep("-", f"fuzzed API requests: {sum(counts.values())}")
        for (backend, role), n in sorted(counts.items()):
            terminalreporter.write_line(f"{backend:<10} {role:<8} {n}")
