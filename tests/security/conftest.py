"""Fixtures of the security tests: those of the customer center's tests, shared."""

from tests.crm.conftest import make_order  # noqa: F401
