"""Access logs without personal data: the path is kept, and of the query string only the
values of harmless parameters (page numbers, filters by state); every other value (``q``
searches by phone or name, ``code`` and ``card`` at the desk, ``next``, a location) is
written as ``*``. The referrer, which carries the previous page's query, is treated alike.

``gunicorn.conf.py`` (read by gunicorn from the project's folder, as ``scripts/serve``
runs it) names ``RedactingLogger``; the development server's request lines go through
``RedactQueryFilter``.
"""

import logging
import re
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from gunicorn.glogging import Logger

#: query parameters whose values say nothing about a person
SAFE_PARAMS = frozenset({
    "page", "per_page", "status", "state", "stage", "when", "tab", "segment", "source",
    "refund_requested", "overdue", "method", "lang", "channel", "center", "kind", "days",
    "sort", "lot", "batch", "staff", "followup", "customer",
})
REDACTED = "*"


def redact_query(query: str | None) -> str:
    """``q=138...&page=2`` -> ``q=*&page=2``."""
    parts = []
    for pair in (query or "").split("&"):
        if not pair:
            continue
        name, sep, _value = pair.partition("=")
        if unquote_plus(name).strip().lower() in SAFE_PARAMS:
            parts.append(pair)
        else:
            parts.append(f"{name}={REDACTED}" if sep else name)
    return "&".join(parts)


def redact_uri(uri: str | None) -> str:
    """A request target or a full URL with its query redacted (and any fragment dropped)."""
    if not uri or "?" not in uri:
        return uri or ""
    parts = urlsplit(uri)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, redact_query(parts.query), ""))


class RedactingLogger(Logger):
    """gunicorn's logger, with query values redacted in every atom of the access log that
    can hold them (``%(r)s``, ``%(q)s``, ``%(f)s``, ``%({referer}i)s``, ``%({raw_uri}e)s``...)."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["r"] = "%s %s %s" % (environ.get("REQUEST_METHOD"),  # noqa: UP031 - as gunicorn
                                   redact_uri(environ.get("RAW_URI")),
                                   environ.get("SERVER_PROTOCOL"))
        atoms["q"] = redact_query(environ.get("QUERY_STRING"))
        if atoms.get("f") not in (None, "-"):
            atoms["f"] = redact_uri(atoms["f"])
        for key in ("{referer}i", "{raw_uri}e", "{request_uri}e"):
            if key in atoms:
                atoms[key] = redact_uri(atoms[key])
        if "{query_string}e" in atoms:
            atoms["{query_string}e"] = redact_query(atoms["{query_string}e"])
        return atoms


_REQUEST_LINE = re.compile(r'"([A-Z]+) (\S+) (HTTP/[\d.]+)"')


class RedactQueryFilter(logging.Filter):
    """For werkzeug's request lines (``flask run``, the test servers): the same redaction."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "?" in message:
            record.msg = _REQUEST_LINE.sub(
                lambda m: f'"{m.group(1)} {redact_uri(m.group(2))} {m.group(3)}"', message)
            record.args = ()
        return True


def redact_development_server_log() -> None:
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, RedactQueryFilter) for f in logger.filters):
        logger.addFilter(RedactQueryFilter())
