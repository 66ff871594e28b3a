"""Pages every module shares: the language switch, uploaded images, health, the API document."""

from pathlib import Path

from flask import Blueprint, current_app, jsonify, redirect, request, send_from_directory
from flask_login import current_user
from werkzeug.exceptions import NotFound

from .api import openapi_document
from .extensions import db
from .i18n import LANG_COOKIE
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
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    if not (folder / filename).is_file():
        raise NotFound()
    response = send_from_directory(folder, filename, max_age=7 * 24 * 3600)
    return response


@bp.route("/healthz")
def health():
    return jsonify({"status": "ok"})


@bp.route("/api/v1/openapi.json")
def openapi():
    return jsonify(openapi_document())
