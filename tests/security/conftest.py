"""The security tests sign in and out a lot: each request loads its user afresh."""

import pytest


@pytest.fixture(autouse=True)
def _afresh(fresh_requests):
    return fresh_requests
