"""Finding 14: the default SMS provider and the e-mail fallback logged the recipient and the
text (pickup codes, coupon codes, sign-in codes), and gunicorn's access log kept the query
strings of searches by phone, of card numbers and of coupon codes.

Now those log lines name a masked recipient and never the text, the access log keeps the
path with the values of personal parameters written as ``*``, SQL errors do not carry the
statement's values, and no log call in the shop is handed a phone, an e-mail or a code."""

import ast
import logging
import re
import runpy
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config
from gunicorn.util import load_class

from core.accesslog import RedactingLogger, RedactQueryFilter, redact_query
from core.clock import utcnow
from core.extensions import db
from core.jobs import run_job
from core.messaging import LoggingSmsProvider, send_email, send_sms
from core.models import User

ROOT = Path(__file__).resolve().parents[2]
PHONE, EMAIL = "13812345678", "jane.doe@example.com"


def test_the_logging_sms_provider_masks_the_number_and_keeps_the_text_out(app, caplog):
    with app.app_context(), caplog.at_level(logging.INFO, logger="core.messaging"):
        assert app.config["SMS_PROVIDER"] == "core.messaging:LoggingSmsProvider"  # the default
        ref = send_sms(PHONE, "海韵: 您的订单已可自提, 取货码 482913. 优惠券 HY-ABCD-EFGH")
    assert ref
    assert "*******5678" in caplog.text
    for secret in (PHONE, "482913", "HY-ABCD-EFGH", "取货码"):
        assert secret not in caplog.text


def test_the_e_mail_fallback_masks_the_address_and_keeps_subject_and_text_out(app, caplog,
                                                                               monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    with app.app_context(), caplog.at_level(logging.INFO, logger="core.messaging"):
        message_id = send_email(EMAIL, "Your sign-in code 731904",
                                "Your sign-in code is 731904.\nCoupon HY-WXYZ-2345.")
    assert message_id
    assert "j***@example.com" in caplog.text
    for secret in (EMAIL, "jane.doe", "731904", "HY-WXYZ-2345", "sign-in code"):
        assert secret not in caplog.text


def test_a_provider_subclass_still_gets_the_whole_text(app):
    """Masking is the log's business: a real provider receives the number and the text."""
    got = []

    class Capturing(LoggingSmsProvider):
        def send(self, to, body):
            got.append((to, body))
            return "ref-1"

    with app.app_context():
        app.extensions["shop_sms_provider"] = Capturing(app)
        try:
            assert send_sms(PHONE, "code 482913") == "ref-1"
        finally:
            app.extensions.pop("shop_sms_provider")
    assert got == [(PHONE, "code 482913")]


def _duplicate_users(now):
    for _ in range(2):
        db.session.add(User(email=EMAIL, name="Jane", role="customer", phone=PHONE,
                            password_hash="x"))
        db.session.flush()
    return "never"


def test_a_failed_job_logs_no_values_of_the_row(app, session, monkeypatch, caplog):
    """A job's failure is logged with its traceback, and its summary printed: neither
    carries the statement's parameters or the row PostgreSQL quotes in its DETAIL."""
    monkeypatch.setitem(app.extensions["shop_jobs"], "duplicate_users", _duplicate_users)
    with caplog.at_level(logging.INFO):
        summary = run_job("duplicate_users", utcnow())
    assert summary.startswith("failed: (")
    assert "IntegrityError" in caplog.text
    for text in (summary, caplog.text):
        assert EMAIL not in text and PHONE not in text


def test_an_unhandled_error_is_logged_without_the_row(app, caplog):
    """What ``core.errors`` logs for a 500, given PostgreSQL's own words for a duplicate."""
    detail = (f'duplicate key value violates unique constraint "users_email_key"\n'
              f"DETAIL:  Key (email)=({EMAIL}) already exists.\n"
              f"DETAIL:  Failing row contains (7, {EMAIL}, {PHONE}).")
    with caplog.at_level(logging.ERROR, logger="core.errors"):
        try:
            raise RuntimeError(detail)
        except RuntimeError:
            logging.getLogger("core.errors").exception("unhandled error on %s %s", "POST",
                                                       "/account")
    assert "Key (email)=(*) already exists" in caplog.text
    assert EMAIL not in caplog.text and PHONE not in caplog.text


# --- the access log ---------------------------------------------------------------------


def access_log_line(tmp_path, target: str, referer: str = "-") -> str:
    path, _, query = target.partition("?")
    cfg = Config()
    cfg.set("accesslog", str(tmp_path / "access.log"))
    logger = RedactingLogger(cfg)
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": target, "PATH_INFO": path,
               "QUERY_STRING": query, "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.0.0.5",
               "HTTP_REFERER": referer, "HTTP_USER_AGENT": "pytest"}
    request = SimpleNamespace(headers=[("REFERER", referer), ("USER-AGENT", "pytest")])
    response = SimpleNamespace(status="200 OK", sent=512, headers=[])
    logger.access(response, request, environ, timedelta(milliseconds=12))
    for handler in logger.access_log.handlers:
        handler.flush()
    return (tmp_path / "access.log").read_text()


@pytest.mark.parametrize("target, secret", [
    ("/desk/member?code=VIP20261234", "VIP20261234"),
    ("/desk/member?card=VIP20261234", "VIP20261234"),
    (f"/crm/customers?q={PHONE}&page=2", PHONE),
    ("/crm/coupons?q=HY-ABCD-EFGH", "HY-ABCD-EFGH"),
    ("/crm/customers?q=%E7%8E%8B%E5%A5%B3%E5%A3%AB", "%E7%8E%8B"),
    ("/login?next=/orders/abc%3Fq%3D13812345678", "13812345678"),
])
def test_the_access_log_keeps_the_path_without_personal_values(tmp_path, target, secret):
    line = access_log_line(tmp_path, target)
    assert secret not in line
    assert target.partition("?")[0] in line
    assert '"GET ' in line and " 200 512 " in line


def test_harmless_parameters_stay_in_the_access_log(tmp_path):
    line = access_log_line(tmp_path, f"/crm/customers?q={PHONE}&page=2")
    assert "/crm/customers?q=*&page=2" in line


def test_the_referrer_is_redacted_too(tmp_path):
    line = access_log_line(tmp_path, "/crm/customers/7",
                           referer=f"https://shop.example/crm/customers?q={PHONE}")
    assert PHONE not in line
    assert "https://shop.example/crm/customers?q=*" in line


def test_gunicorn_uses_the_redacting_logger():
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert load_class(settings["logger_class"]) is RedactingLogger
    assert "--config gunicorn.conf.py" in (ROOT / "scripts" / "serve").read_text()


def test_the_development_server_log_is_redacted_alike(app):
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '%s - - [%s] %s\n',
                               ("127.0.0.1", "today",
                                f'"GET /crm/customers?q={PHONE}&page=2 HTTP/1.1" 200 -'), None)
    assert RedactQueryFilter().filter(record)
    assert PHONE not in record.getMessage()
    assert "/crm/customers?q=*&page=2" in record.getMessage()
    assert any(isinstance(f, RedactQueryFilter) for f in logging.getLogger("werkzeug").filters)


def test_redact_query_keeps_names_and_blank_pairs_sane():
    assert redact_query("") == ""
    assert redact_query("q=&flag&page=3&card=VIP1") == "q=*&flag&page=3&card=*"


# --- no log call is handed personal data ---------------------------------------------------

LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical"}
PERSONAL = {"phone", "email", "to", "body", "subject", "code", "card_number", "pickup_code",
            "contact_phone", "collector_phone", "password", "address", "note", "notes"}


def _log_calls(tree):
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in LOG_METHODS):
            owner = node.func.value
            owner_name = owner.attr if isinstance(owner, ast.Attribute) else getattr(
                owner, "id", "")
            if owner_name in ("log", "logger", "_log"):
                yield node


def _personal_names(node) -> set[str]:
    """Names and attributes an argument reads, leaving out what ``mask_*()`` and ``len()``
    wrap (a masked number, a length)."""
    if isinstance(node, ast.Call) and (getattr(node.func, "id", "").startswith("mask_")
                                       or getattr(node.func, "id", "") == "len"):
        return set()
    found = set()
    if isinstance(node, ast.Name) and node.id in PERSONAL:
        found.add(node.id)
    if isinstance(node, ast.Attribute) and node.attr in PERSONAL:
        found.add(node.attr)
    for child in ast.iter_child_nodes(node):
        found |= _personal_names(child)
    return found


def test_no_log_call_in_the_shop_is_handed_personal_data():
    offenders = []
    for package in ("core", "storefront", "fulfillment", "crm"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for call in _log_calls(ast.parse(path.read_text())):
                for arg in call.args[1:]:
                    for name in _personal_names(arg):
                        offenders.append(f"{path.relative_to(ROOT)}:{call.lineno} {name}")
    assert offenders == []


def test_a_sign_in_code_leaves_no_code_and_no_whole_number_in_any_log(app, client, caplog,
                                                                     monkeypatch):
    """Rule 1, end to end with the default provider: the page and the API ask for a code,
    the shopper signs in with it; no log line of any logger holds the code or the number."""
    sent = []

    class Watched(LoggingSmsProvider):
        def send(self, to, body):
            sent.append(body)
            return super().send(to, body)

    monkeypatch.setitem(app.extensions, "shop_sms_provider", Watched(app))
    monkeypatch.setitem(app.config, "CODE_LIMIT_PER_PHONE", "5 per minute")
    with caplog.at_level(logging.DEBUG):
        assert client.post("/login/code/send", data={"phone": PHONE}).status_code == 302
        assert client.post("/api/v1/auth/otp", json={"phone": f"+86 {PHONE}"}
                           ).status_code == 202
        code = re.search(r"\b(\d{6})\b", sent[-1]).group(1)
        response = client.post("/api/v1/auth/token", json={"phone": PHONE, "code": code})
        assert response.status_code == 201
    assert len(sent) == 2
    assert "*******5678" in caplog.text
    assert PHONE not in caplog.text and code not in caplog.text
