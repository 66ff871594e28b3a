"""Checking seeded customer figures against what the services compute."""

from crm.customers.services import refresh_figures


def assert_figures_as_refreshed(customers, fields):
    """The seeded figures are what the per-order refresh computes from the orders."""
    for c in customers:
        seeded = {f: getattr(c, f) for f in fields}
        refresh_figures(c)
        assert {f: getattr(c, f) for f in fields} == seeded, c.name
    assert sum(c.orders_count for c in customers) > 0
