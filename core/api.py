"""Plumbing for the JSON API: reading bodies through marshmallow, and the OpenAPI document.

Each module's ``api.py`` declares its routes with ``route``; the declarations feed
``/api/v1/openapi.json`` so the document cannot drift from the routes.
"""

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, current_app, jsonify, request
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError

from .errors import ValidationFailed
from .inputs import MAX_ID

API_PREFIX = "/api/v1"
_routes: list[dict] = []


def api_blueprint(name: str, import_name: str) -> Blueprint:
    return Blueprint(name, import_name, url_prefix=API_PREFIX)


def route(bp: Blueprint, rule: str, methods=("GET",), *, summary: str, tag: str,
          body: type[Schema] | None = None, query: type[Schema] | None = None,
          response: type[Schema] | None = None, status: int = 200,
          auth: bool | str = True, errors: tuple[str, ...] = (), also: tuple[str, ...] = ()):
    """``bp.route`` that also records the operation for the OpenAPI document. ``also`` names
    other successful statuses with the same response body (``"201:account created"``)."""

    def decorator(view):
        _routes.append({
            "rule": rule, "methods": methods, "summary": summary, "tag": tag, "body": body,
            "query": query, "response": response, "status": status, "auth": auth,
            "errors": errors, "also": also,
        })
        return bp.route(rule, methods=list(methods))(view)

    return decorator


def load_body(schema: Schema) -> dict:
    """The request's JSON object, validated; a 400 ``validation_error`` otherwise."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationFailed(
            _l("The body must be a JSON object."), errors={"_body": [str(_l("Not a JSON object."))]}
        )
    try:
        return schema.load(data)
    except ValidationError as err:
        raise ValidationFailed(errors=err.messages) from None


def load_query(schema: Schema) -> dict:
    """The query string, validated (repeatable keys become lists where the schema says)."""
    data = {}
    for name, field in schema.fields.items():
        key = field.data_key or name
        if key not in request.args:
            continue
        values = request.args.getlist(key)
        data[key] = values if field.__class__.__name__ == "List" else values[-1]
    try:
        return schema.load(data)
    except ValidationError as err:
        raise ValidationFailed(errors=err.messages) from None


def ok(payload, status: int = 200):
    return jsonify(payload), status


def openapi_document() -> dict:
    """The OpenAPI 3 document of every declared route."""
    spec = APISpec(
        title=f"{current_app.config['SHOP_NAME']} API", version="1.0.0", openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "JSON API for the storefront, the desks and the customer center."},
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", {
        "type": "object", "required": ["code", "message", "errors"],
        "properties": {
            "code": {"type": "string"}, "message": {"type": "string"},
            "errors": {"type": "object", "additionalProperties": True},
        },
    })
    error_schema = {"schema": {"$ref": "#/components/schemas/Error"}}
    error_ref = {"content": {"application/json": error_schema}}
    paths: dict[str, dict] = {}
    for r in _routes:
        path = API_PREFIX + _openapi_path(r["rule"])
        for method in r["methods"]:
            op = {"summary": r["summary"], "tags": [r["tag"]], "responses": {}}
            params = [
                {"name": p, "in": "path", "required": True, "schema": _PATH_SCHEMAS[kind]}
                for kind, p in _path_params(r["rule"])
            ]
            if r["query"] is not None:
                op["parameters"] = [{"in": "query", "schema": r["query"]}]
            if params:
                op.setdefault("parameters", []).extend(params)
            if r["body"] is not None:
                op["requestBody"] = {
                    "required": True, "content": {"application/json": {"schema": r["body"]}},
                }
            ok_resp = {"description": "OK"}
            if r["response"] is not None:
                ok_resp["content"] = {"application/json": {"schema": r["response"]}}
            op["responses"][str(r["status"])] = ok_resp
            for other in r["also"]:
                status, _, name = other.partition(":")
                op["responses"][status] = {**ok_resp, "description": name or "OK"}
            if r["auth"]:
                op["security"] = [{"bearer": []}]
                op["responses"]["401"] = {"description": "No valid token", **error_ref}
            if isinstance(r["auth"], str):
                op["responses"]["403"] = {"description": "Not allowed for this role", **error_ref}
            for code in r["errors"]:
                status, _, name = code.partition(":")
                op["responses"][status] = {"description": name or "Error", **error_ref}
            paths.setdefault(path, {})[method.lower()] = op
    for path, ops in paths.items():
        spec.path(path=path, operations=ops)
    return spec.to_dict()


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def _path_params(rule: str) -> list[tuple[str, str]]:
    """``(converter, name)`` of each of the rule's variables (converter "" for a string)."""
    return re.findall(r"<(?:([a-z]+):)?([a-z_]+)>", rule)


#: what a path variable may hold, by converter: an ``int`` is a database id (``IdConverter``)
_PATH_SCHEMAS = {
    "": {"type": "string"},
    "int": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
}
