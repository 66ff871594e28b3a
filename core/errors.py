"""Domain errors with stable codes, and how they reach people: JSON for the API, pages else.

Services raise ``DomainError`` subclasses; nothing below the edge knows about HTTP, but
each error carries the status an edge should use, so the mapping lives in one place.
"""

import logging

from flask import jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule said no. ``code`` is stable; ``message`` is for people; ``status`` for HTTP."""

    code = "error"
    status = 400
    message = _l("The request could not be completed.")

    def __init__(self, message=None, *, code=None, status=None, errors=None, extra=None):
        super().__init__(str(message or self.message))
        if message is not None:
            self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.errors = errors or {}
        self.extra = extra or {}

    def to_dict(self) -> dict:
        body = {"code": self.code, "message": str(self.message), "errors": self.errors}
        body.update(self.extra)
        return body


class ValidationFailed(DomainError):
    code = "validation_error"
    status = 400
    message = _l("Some fields are not valid.")


class NotFound(DomainError):
    code = "not_found"
    status = 404
    message = _l("Not found.")


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    message = _l("You are not allowed to do this.")


class Unauthorized(DomainError):
    code = "unauthorized"
    status = 401
    message = _l("Please sign in.")


class IllegalTransition(DomainError):
    code = "illegal_transition"
    status = 409
    message = _l("This step is not possible in the current state.")


class Conflict(DomainError):
    code = "conflict"
    status = 409


class TooManyAttempts(DomainError):
    code = "too_many_attempts"
    status = 429
    message = _l("Too many attempts. Please wait a few minutes and try again.")


class TooManyRequests(DomainError):
    """A limit was reached; ``retry_after`` (seconds) goes out as the ``Retry-After`` header."""

    code = "too_many_requests"
    status = 429
    message = _l("Too many attempts. Please wait a few minutes and try again.")

    def __init__(self, retry_after: int, message=None):
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


class Busy(DomainError):
    """Too many people at once (a flash sale's hot product): nothing was done; try again."""

    code = "busy"
    status = 503
    message = _l("So many people are ordering right now that we could not take yours. "
                 "Nothing was charged or reserved: please try again in a moment.")

    def __init__(self, retry_after: int = 1, message=None):
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


# Werkzeug's HTTP errors, by status, as stable codes for the API.
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


# What people read for Werkzeug's HTTP errors (its own descriptions are English only).
_HTTP_MESSAGES = {
    400: _l("The request could not be understood."),
    401: _l("Please sign in."),
    403: _l("You are not allowed to do this."),
    404: _l("Not found."),
    405: _l("This address does not take this kind of request."),
    413: _l("The request is too large."),
    415: _l("This kind of content is not accepted here."),
    429: _l("Too many attempts. Please wait a few minutes and try again."),
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, code: str, message: str, errors=None):
    if wants_json():
        body = {"code": code, "message": str(message), "errors": errors or {}}
        return jsonify(body), status
    return render_template("error.html", status=status, message=message), status


def _route() -> str:
    """The request's route as a pattern (``/orders/<public_id>``), for the log: the address
    as typed may hold a phone, a code or a token in a segment."""
    return request.url_rule.rule if request.url_rule is not None else "(no route)"


def register_errorhandlers(app) -> None:
    """JSON errors under /api, designed pages elsewhere; never a stack trace."""

    @app.errorhandler(DomainError)
    def handle_domain(err: DomainError):
        from .extensions import db

        db.session.rollback()
        headers = {}
        if getattr(err, "retry_after", None):
            headers["Retry-After"] = str(err.retry_after)
        if wants_json():
            return jsonify(err.to_dict()), err.status, headers
        return (render_template("error.html", status=err.status, message=err.message),
                err.status, headers)

    @app.errorhandler(HTTPException)
    def handle_http(err: HTTPException):
        status = err.code or 500
        code = _HTTP_CODES.get(status, "http_error")
        message = err.description or err.name
        if status == 400 and "CSRF" in (err.description or ""):
            code, message = "csrf_failed", _l("This form has expired. Please reload the page "
                                              "and try again.")
        elif status in _HTTP_MESSAGES and message == type(err).description:
            message = _HTTP_MESSAGES[status]  # Werkzeug's default words: say them in ours
        return error_response(status, code, message)

    @app.errorhandler(Exception)
    def handle_unexpected(err: Exception):
        from .database import is_busy_error
        from .extensions import db

        db.session.rollback()
        if isinstance(err, sa_exc.OperationalError) and is_busy_error(err):
            log.warning("busy on %s %s: %s", request.method, _route(), type(err.orig))
            return handle_domain(Busy())
        log.exception("unhandled error on %s %s", request.method, _route())
        return error_response(500, "internal_error", _l("Something went wrong on our side."))
