"""The API fuzzed from its own OpenAPI document: no request gets a 500.

Schemathesis reads ``GET /api/v1/openapi.json`` from the app (through WSGI: no network) and
calls every operation with what it generates from the document: its examples, boundary and
wrong-type values, other content types, and valid and invalid data drawn by Hypothesis, mixed
with the values that once gave 500s (``HOSTILE``: a NUL and other control characters in
strings, ids past a column and past 64 bits). Each operation is called as a shopper who is a
member, a store clerk, a CRM agent and an admin, on SQLite and on PostgreSQL, each run in the
test's rolled-back transaction.

Bounded and reproducible: ``EXAMPLES`` drawn cases per operation on top of the fixed ones,
derandomized, so a run sends the same requests every time. The check is schemathesis'
``not_a_server_error``; a 503 ``payments_unavailable`` (no Stripe set up here) is an answer
of the contract. A failure shows the request (as curl) and the answer.
"""

import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from core.clock import utcnow
from storefront.loyalty.membership import sign_up_member
from tests.conftest import make_app

from .conftest import FUZZ_COUNTS

EXAMPLES = 25
ROLES = ("shopper", "clerk", "agent", "admin")
HOSTILE = {
    "text": ["a\x00b", "\x00", "x\x1b[0my", "\x7f", "line\x85break", "9" * 30, "-1", "1e309"],
    "numbers": [2**31, 2**63, 10**30, -(2**63) - 1, -1, 0],
}
CONFIG = schemathesis.Config.from_dict({
    "dictionaries": {name: {"values": values} for name, values in HOSTILE.items()},
    "generation": {
        "database": "none",
        "dictionaries": {
            "string": {"dictionary": "text", "probability": 0.1},
            "integer": {"dictionary": "numbers", "probability": 0.1},
        },
    },
})

# The document is the same for every database: read it once, at collection, from an app of
# its own (it touches no database), so that schemathesis can make one test per operation.
_document_app = make_app("sqlite://", Path(tempfile.mkdtemp(prefix="shop-openapi-document-")))
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", _document_app, config=CONFIG)


@pytest.fixture(params=ROLES)
def role(request):
    return request.param


@pytest.fixture()
def role_headers(role, shop, token_for):
    """The role's Bearer token; the shopper is a member, so the club's operations run too."""
    sign_up_member(shop.shopper, name="王丽", phone="13800000001", city="上海市",
                   baby_birthday=(utcnow() - timedelta(days=185)).date())
    users = {"shopper": shop.shopper, "clerk": shop.clerk, "agent": shop.agent,
             "admin": shop.admin}
    return token_for(users[role])


@pytest.fixture()
def count_case(request, backend, role):
    counts = request.config.stash.setdefault(FUZZ_COUNTS, {})

    def count():
        counts[(backend, role)] = counts.get((backend, role), 0) + 1

    return count


@settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))
@schema.parametrize()
def test_no_request_gets_a_server_error(case, app, role_headers, count_case):
    count_case()
    response = case.call(app=app, headers=role_headers)
    if response.status_code == 503 and '"payments_unavailable"' in response.text:
        return
    case.validate_response(response, checks=[not_a_server_error], headers=role_headers)
