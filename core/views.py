"""Pages every module shares: the language switch, uploaded images, health, the API document."""

import redis
import sqlalchemy as sa
from flask import Blueprint, Response, current_app, jsonify, redirect, request
from flask_login import current_user
from werkzeug.exceptions import NotFound

from .api import openapi_document
from .extensions import db
from .i18n import LANG_COOKIE
from .storage import CACHE_CONTROL, CONTENT_TYPES, NAME_RE, storage
from .urls import local_path

bp = Blueprint("core", __name__)


@bp.route("/lang/<code>")
def set_language(code: str):
    response = redirect(local_path(request.args.get("next")) or "/")
    if code in current_app.config["SHOP_LOCALES"]:
        if current_user.is_authenticated and current_user.locale != code:
            current_user.locale = code  # messages sent later speak this language too
            db.session.commit()
        response.set_cookie(
            LANG_COOKIE, code, max_age=365 * 24 * 3600, httponly=True, samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response


@bp.route("/uploads/<path:filename>")
def uploaded_file(filename: str):
    """An uploaded image from the store (any node serves what another received); its name
    is its content's hash, so browsers and proxies keep it a year."""
    if not NAME_RE.match(filename):
        raise NotFound()
    data = storage().read(filename)
    if data is None:
        raise NotFound()
    response = Response(data, mimetype=CONTENT_TYPES[filename.rsplit(".", 1)[1]])
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.set_etag(filename.split(".", 1)[0])
    return response.make_conditional(request)


@bp.route("/healthz")
def health():
    """The process serves (a load balancer's liveness check): nothing else is asked."""
    return jsonify({"status": "ok"})


def _redis_state() -> str:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return "not_configured"
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


def _database_state() -> str:
    db.session.execute(sa.text("SELECT 1"))
    return "ok"


def _storage_state() -> str:
    storage().check()
    return "ok"


@bp.route("/readyz")
def ready():
    """Whether this node can serve: the database, Redis (when configured) and the image
    store answer. 503 names what is down (the reason goes to the log, not the answer)."""
    states = {}
    for name, probe in (("database", _database_state), ("redis", _redis_state),
                        ("storage", _storage_state)):
        try:
            states[name] = probe()
        except Exception as exc:  # noqa: BLE001 - any failure means "down"
            current_app.logger.warning("readyz: %s is down (%s)", name,
                                       exc.__class__.__name__)
            states[name] = "down"
    down = [name for name, state in states.items() if state == "down"]
    body = {**states, "down": down} if down else states
    response = jsonify(body)
    response.status_code = 503 if down else 200
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/api/v1/openapi.json")
def openapi():
    return jsonify(openapi_document())
