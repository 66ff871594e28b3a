"""Fixtures of the security tests: those of the customer center's and of the API's tests
(the shop and tokens committed, so an error response's rollback leaves them in place), and
each request loading its user afresh (the tests sign in and out a lot)."""

import pytest

from tests.api.conftest import pickup_order, place, shop, token_for  # noqa: F401
from tests.crm.conftest import make_order  # noqa: F401


@pytest.fixture(autouse=True)
def _afresh(fresh_requests):
    return fresh_requests
