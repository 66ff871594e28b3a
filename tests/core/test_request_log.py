"""Logs an operator can use: a request id on every answer, one JSON line per request with
LOG_FORMAT=json (never a phone, a code or a query value), errors logged with the request id,
and error reports scrubbed of personal data."""

import io
import json
import logging

import pytest

from core.requestlog import JsonFormatter, RequestIdFilter, scrub_event
from tests.conftest import make_app


@pytest.fixture()
def json_app(tmp_path, migrated_database):
    """An app with LOG_FORMAT=json whose log lines land in ``app.log_stream`` (a stream
    handler on the root logger, as gunicorn's workers have one)."""
    url, _drop = migrated_database("sqlite")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        app = make_app(url, tmp_path / "instance", LOG_FORMAT="json")

        @app.route("/boom")
        def boom():
            raise RuntimeError("broken for 13812345678")

        @app.route("/boom/<slug>")
        def boom_at(slug):
            raise RuntimeError("broken")

        app.log_stream = stream
        yield app
    finally:
        root.removeHandler(handler)


def lines(app) -> list[dict]:
    return [json.loads(line) for line in app.log_stream.getvalue().splitlines() if line]


def test_every_answer_carries_a_request_id(client):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert len(first.headers["X-Request-ID"]) == 32
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


def test_a_sane_request_id_from_the_proxy_is_kept(client):
    given = client.get("/healthz", headers={"X-Request-ID": "nginx-5f2a9c0d41b7"})
    assert given.headers["X-Request-ID"] == "nginx-5f2a9c0d41b7"
    for bad in ("short", "a b c d e f g h", "x" * 65, "id;Set-Cookie=a", "<script>x"):
        answer = client.get("/healthz", headers={"X-Request-ID": bad})
        assert answer.headers["X-Request-ID"] != bad
        assert len(answer.headers["X-Request-ID"]) == 32


def test_json_lines_say_what_happened_and_nothing_personal(json_app):
    client = json_app.test_client()
    answer = client.get("/products?q=13812345678&page=2",
                        headers={"X-Request-ID": "proxy-id-0001"})
    client.post("/api/v1/auth/otp", json={"phone": "13987654321"})
    client.post("/desk/code?code=482913", headers={"Authorization": "Bearer sekret-token"})
    text = json_app.log_stream.getvalue()
    for secret in ("13812345678", "13987654321", "482913", "sekret-token", "page=2", "q="):
        assert secret not in text
    requests_logged = [line for line in lines(json_app) if line.get("event") == "request"]
    first = requests_logged[0]
    assert first == {"time": first["time"], "level": "info", "logger": "shop.request",
                     "request_id": "proxy-id-0001", "event": "request", "method": "GET",
                     "endpoint": "storefront.products", "path": "/products",
                     "status": answer.status_code, "duration_ms": first["duration_ms"],
                     "user_id": None}
    assert isinstance(first["duration_ms"], float)
    assert [line["method"] for line in requests_logged] == ["GET", "POST", "POST"]


def test_a_signed_in_request_names_the_user_by_id(json_app):
    from core.extensions import db
    from core.models import ApiToken, Role, User

    with json_app.app_context():
        user = User(email="shopper@example.com", name="王丽", role=Role.CUSTOMER,
                    phone="13812345678")
        db.session.add(user)
        db.session.flush()
        _row, token = ApiToken.issue(user, 30)
        user_id = user.id
        db.session.commit()
    json_app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    logged = [line for line in lines(json_app) if line.get("event") == "request"][-1]
    assert logged["user_id"] == user_id and logged["endpoint"].endswith(".me")
    assert "13812345678" not in json_app.log_stream.getvalue()
    assert "王丽" not in json_app.log_stream.getvalue()


def test_an_error_is_logged_with_its_request_id(json_app):
    answer = json_app.test_client().get("/boom", headers={"X-Request-ID": "proxy-id-0500"})
    assert answer.status_code == 500
    errors = [line for line in lines(json_app) if line["level"] == "error"]
    assert errors and errors[0]["request_id"] == "proxy-id-0500"
    assert "RuntimeError" in errors[0]["error"]
    request_line = [line for line in lines(json_app) if line.get("event") == "request"][-1]
    assert (request_line["status"], request_line["request_id"]) == (500, "proxy-id-0500")


def test_an_error_names_the_route_not_the_address_typed(json_app):
    """A segment of the address may be anything a person typed (a phone, a code): the
    error's line names the route's pattern."""
    answer = json_app.test_client().get("/boom/13812345678",
                                        headers={"X-Request-ID": "proxy-id-0501"})
    assert answer.status_code == 500
    (error,) = [line for line in lines(json_app) if line["level"] == "error"]
    assert error["message"] == "unhandled error on GET /boom/<slug>"
    assert error["request_id"] == "proxy-id-0501"
    assert "13812345678" not in json_app.log_stream.getvalue()


def test_plain_lines_carry_the_request_id_too():
    record = logging.LogRecord("core.errors", logging.ERROR, __file__, 1, "boom", (), None)
    RequestIdFilter().filter(record)
    assert record.request_id == "-"
    assert json.loads(JsonFormatter().format(record))["message"] == "boom"


def test_error_reports_are_scrubbed():
    event = {
        "request": {"url": "https://shop.example/desk/pickup?code=482913",
                    "query_string": "code=482913", "data": {"phone": "13812345678"},
                    "cookies": {"session": "abc"}, "env": {"REMOTE_ADDR": "1.2.3.4"},
                    "headers": {"Authorization": "Bearer t", "Cookie": "session=abc",
                                "User-Agent": "ua", "X-Request-ID": "rid-12345678"}},
        "user": {"id": 7, "email": "a@example.com", "ip_address": "1.2.3.4"},
        "breadcrumbs": {"values": [{"message": "SELECT ... 13812345678"}]},
        "exception": {"values": [{"value": "Key (phone)=(13812345678) already exists.",
                                  "stacktrace": {"frames": [{"vars": {"code": "482913"}}]}}]},
    }
    event["logentry"] = {"message": "unhandled error on %s %s", "params": ["GET", "482913"],
                         "formatted": "Key (phone)=(13812345678) already exists."}
    event["extra"] = {"phone": "13812345678"}
    scrubbed = json.dumps(scrub_event(event))
    for secret in ("482913", "13812345678", "abc", "Bearer", "a@example.com", "1.2.3.4"):
        assert secret not in scrubbed
    assert '"id": 7' in scrubbed and "rid-12345678" in scrubbed


_SENDER = r"""
import sys
import sentry_sdk
from tests.conftest import make_app

app = make_app("sqlite:///" + sys.argv[2], sys.argv[3], SENTRY_DSN=sys.argv[1])

@app.route("/boom")
def boom():
    phone = "13812345678"  # a local variable a report must not carry
    raise RuntimeError("the desk broke")

headers = {"Authorization": "Bearer sekret-token", "Cookie": "session=cookie-value",
           "X-Request-ID": "rid-sentry-01"}
answer = app.test_client().get("/boom?code=482913", headers=headers)
assert answer.status_code == 500
sentry_sdk.flush(10)
"""


def test_sentry_gets_the_error_without_personal_data(tmp_path):
    """The real SDK, sending to a stand-in Sentry on loopback (in a process of its own, as
    the SDK patches Flask for the whole process)."""
    import gzip
    import subprocess
    import sys
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer
    from pathlib import Path

    received = []

    class Collector(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            received.append(body.decode("utf-8", "replace"))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        dsn = f"http://publickey@127.0.0.1:{server.server_port}/1"
        result = subprocess.run(
            [sys.executable, "-c", _SENDER, dsn, str(tmp_path / "shop.db"),
             str(tmp_path / "instance")],
            cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr[-3000:]
    finally:
        server.shutdown()
    sent = "\n".join(received)
    assert "the desk broke" in sent and "rid-sentry-01" in sent
    for secret in ("13812345678", "482913", "sekret-token", "cookie-value"):
        assert secret not in sent
