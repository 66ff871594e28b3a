"""Fixtures of the payment tests: one localstripe server per run, reset for each test."""

import pytest

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
