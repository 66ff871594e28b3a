"""Fixtures of the payment tests: one localstripe server per run, reset for each test."""

import pytest

from ..api.conftest import API, committing, pickup_body
from .localstripe import LocalStripe, app_config


@pytest.fixture(scope="session")
def localstripe():
    server = LocalStripe()
    yield server
    server.stop()


@pytest.fixture()
def stripe_on(app, localstripe, monkeypatch):
    """The session's app talks to localstripe (its data emptied) for this test."""
    localstripe.reset()
    for key, value in app_config(localstripe).items():
        monkeypatch.setitem(app.config, key, value)
    return localstripe


@pytest.fixture()
def fresh_stripe(localstripe):
    """localstripe with its data emptied, for a live server of the test's own."""
    localstripe.reset()
    return localstripe


@pytest.fixture()
def headers(token_for, session):
    """Auth headers for a user, committed together with everything made before."""
    return committing(token_for, session)


@pytest.fixture()
def online_order(client, session, shop, headers, stripe_on):
    """An online pickup order of 2 units and its PaymentIntent, through the API."""
    session.commit()
    h = headers(shop.shopper)
    placed = client.post(f"{API}/orders", json=pickup_body(shop, quantity=2, payment="stripe"),
                         headers=h)
    assert placed.status_code == 201, placed.get_json()
    body = placed.get_json()
    answer = client.post(f"{API}/orders/{body['id']}/payment-intent", headers=h)
    assert answer.status_code == 200, answer.get_json()
    return {"id": body["id"], "headers": h, **answer.get_json()}
