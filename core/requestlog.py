"""Each request's id, its figures and its log line; errors reported with the request's id.

- Every response carries ``X-Request-ID``: the proxy's (nginx's ``$request_id``) when it sent
  a sane one (8 to 64 letters, digits, ``-``, ``_`` or ``.``), else a new one.
- ``LOG_FORMAT=json``: every log record is one JSON object a line (time, level, logger,
  message, request id), and every request adds one:
  ``{"event": "request", "request_id", "method", "endpoint", "path", "status",
  "duration_ms", "user_id"}``. The path is the route's pattern (``/orders/<int:order_id>``),
  never the address as typed, and no query string: nothing in it can hold a phone, a code, a
  card number or a token. Plain text otherwise (and gunicorn's redacted access log).
- ``SENTRY_DSN``: errors go to Sentry (or a compatible service) with ``send_default_pii``
  off, and ``scrub_event`` takes out what could still name a person: request bodies,
  cookies, headers but a few, query strings, the user but their id, the values of
  local variables, a logged error's separate arguments and extra fields.
"""

import json
import logging
import re
import time
import uuid

import sentry_sdk
from flask import Flask, g, has_request_context, request

from .metrics import record_request
from .privacy import redact_database_values

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_log = logging.getLogger("shop.request")


def request_id() -> str | None:
    """The current request's id (None outside a request)."""
    return g.get("request_id") if has_request_context() else None


def _user_id() -> int | None:
    user = g.get("api_user") or g.get("_login_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "id", None)


class RequestIdFilter(logging.Filter):
    """Puts ``request_id`` on every record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line; a request's fields come as the record's ``fields``."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "request_id": getattr(record, "request_id", None) or request_id(),
        }
        fields = getattr(record, "fields", None)
        if fields:
            entry.update(fields)
        else:
            entry["message"] = record.getMessage()
        if record.exc_info:
            entry["error"] = redact_database_values(
                record.exc_text or self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(log_format: str) -> None:
    """Plain lines with the request id, or JSON lines (``LOG_FORMAT=json``), on the root
    logger's handlers (gunicorn's workers and ``flask`` commands alike)."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.INFO)
    root.setLevel(logging.INFO)
    # the process's own stream handlers (basicConfig's), not those tools put there
    for handler in (h for h in root.handlers if type(h) is logging.StreamHandler):
        if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
            handler.addFilter(RequestIdFilter())
        if log_format == "json":
            handler.setFormatter(JsonFormatter())
        elif isinstance(handler.formatter, JsonFormatter) or handler.formatter is None:
            handler.setFormatter(logging.Formatter(
                "%(levelname)s %(name)s [%(request_id)s] %(message)s"))


def register_request_log(app: Flask) -> None:
    json_lines = app.config.get("LOG_FORMAT") == "json"

    @app.before_request
    def _start():
        given = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = given if _SANE_ID.match(given) else uuid.uuid4().hex
        g.request_started = time.perf_counter()
        if app.extensions.get("shop_sentry"):
            sentry_sdk.set_tag("request_id", g.request_id)

    @app.after_request
    def _finish(response):
        started = g.get("request_started")
        if started is None:  # a request refused before the app's hooks ran
            return response
        seconds = time.perf_counter() - started
        rule = request.url_rule
        endpoint = request.endpoint or "none"
        record_request(request.method, endpoint, response.status_code, seconds)
        response.headers[REQUEST_ID_HEADER] = g.request_id
        if json_lines:
            _log.info("request", extra={"fields": {
                "event": "request", "method": request.method, "endpoint": endpoint,
                "path": rule.rule if rule is not None else None,
                "status": response.status_code, "duration_ms": round(seconds * 1000, 1),
                "user_id": _user_id()}})
        return response


# --- error reporting ---------------------------------------------------------------------

#: headers kept on a reported error; every other (cookies, authorization, ...) is dropped
_KEPT_HEADERS = {"user-agent", "accept", "accept-language", "content-type", "content-length",
                 "host", "x-request-id"}


def scrub_event(event: dict, _hint: dict | None = None) -> dict:
    """Sentry's ``before_send``: an error report without personal data."""
    req = event.get("request")
    if isinstance(req, dict):
        req.pop("data", None)
        req.pop("cookies", None)
        req.pop("env", None)
        if req.get("query_string"):
            req["query_string"] = "[removed]"
        if isinstance(req.get("url"), str):
            req["url"] = req["url"].split("?", 1)[0]
        headers = req.get("headers")
        if isinstance(headers, dict):
            req["headers"] = {k: v for k, v in headers.items() if k.lower() in _KEPT_HEADERS}
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    entry = event.get("logentry")
    if isinstance(entry, dict):  # an error logged: its words, never its arguments apart
        for key in ("message", "formatted"):
            if isinstance(entry.get(key), str):
                entry[key] = redact_database_values(entry[key])
        entry.pop("params", None)
    event.pop("extra", None)
    for exc in (event.get("exception") or {}).get("values") or []:
        if isinstance(exc.get("value"), str):
            exc["value"] = redact_database_values(exc["value"])
        for frame in (exc.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    event.pop("breadcrumbs", None)
    return event


def init_error_reporting(app: Flask) -> bool:
    """Sentry when ``SENTRY_DSN`` is set; returns whether it was started."""
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return False
    sentry_sdk.init(dsn=dsn, send_default_pii=False, include_local_variables=False,
                    max_breadcrumbs=0, before_send=scrub_event,
                    environment=app.config.get("SENTRY_ENVIRONMENT"),
                    traces_sample_rate=0)
    app.extensions["shop_sentry"] = True
    return True
