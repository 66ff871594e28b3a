"""MkDocs hook: pages written at build time from the app itself, so they cannot drift from it.

The states and codes page: every code the shop shows in words (order and fulfillment states,
complaint steps, tiers, ...) with its English and Chinese label, read from the ``labels``
modules through the app's own translations.

The Chinese pages under ``zh/`` are marked ``lang="zh-CN"`` (the theme's language is English).

The API reference page and ``openapi.json``: the shop serves its OpenAPI document at
``/api/v1/openapi.json`` (``core.api``, built from the routes' own declarations). This hook
asks a fresh app for it through Flask's test client (no server, no network, an empty
in-memory database) and adds two generated files to the site: the document itself, and
``api-reference.md``, a plain page that lists every operation by tag (method, path, who may
call it, parameters, body, answers) and every schema with its fields. So the page is always
the document as served, and a broken link in it fails the strict build like any other.
"""

import importlib
import json
import re
import tempfile
from contextlib import contextmanager

from flask_babel import force_locale
from mkdocs.structure.files import File

from core.app import create_app

#: the page's own words around the generated tables
INTRO = """# API reference

This page is written at every build from the document the shop serves at
`GET /api/v1/openapi.json` ([download it](openapi.json)): it cannot drift from the routes.
How to sign in, idempotency and the error format are in the [API guide](api.md).

"""


@contextmanager
def fresh_app():
    """The shop's app on an empty in-memory database, in a throw-away instance folder."""
    with tempfile.TemporaryDirectory() as instance:
        yield create_app({
            "TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "INSTANCE_PATH": instance,
            "SECRET_KEY": "docs-build", "CACHE_TYPE": "SimpleCache",
            "RATELIMIT_STORAGE_URI": "memory://",
        })


def served_document(app) -> dict:
    """The OpenAPI document exactly as ``GET /api/v1/openapi.json`` answers it."""
    response = app.test_client().get("/api/v1/openapi.json")
    if response.status_code != 200:
        raise RuntimeError(f"/api/v1/openapi.json answered {response.status_code}")
    return response.get_json()


#: (module, dict of labels, heading): the codes the pages show in words, in the glossary's order
LABELS = [
    ("core.labels", "ROLE_LABELS", "Roles: who signs in"),
    ("storefront.labels", "ORDER_STATUS_LABELS", "Order states"),
    ("storefront.labels", "FULFILLMENT_STATUS_LABELS", "Fulfillment states, as shoppers read them"),
    ("fulfillment.labels", "STATUS_LABELS", "Fulfillment states at the desk"),
    ("fulfillment.labels", "DELIVERY_STATUS_LABELS", "A delivery at the desk"),
    ("fulfillment.labels", "COURIER_STATUS_LABELS", "A courier parcel at the desk"),
    ("storefront.labels", "METHOD_LABELS", "Fulfillment methods"),
    ("fulfillment.labels", "PAYMENT_LABELS", "How an order is paid"),
    ("fulfillment.labels", "TRANSFER_STATUS_LABELS", "Transfer states"),
    ("storefront.labels", "CHANNEL_LABELS", "Where an order was placed"),
    ("storefront.labels", "TIER_LABELS", "Club tiers (the card)"),
    ("crm.club.labels", "POINTS_KIND_LABELS", "Points ledger lines"),
    ("crm.club.labels", "REGISTRATION_STATUS_LABELS", "Event registrations"),
    ("storefront.labels", "COUPON_STATE_LABELS", "Coupon states"),
    ("storefront.labels", "COUPON_SOURCE_LABELS", "Where a coupon came from"),
    ("crm.care.labels", "STATUS_LABELS", "Complaint states"),
    ("crm.care.labels", "STEP_LABELS", "Complaint steps"),
    ("crm.care.labels", "CATEGORY_LABELS", "Complaint categories"),
    ("crm.care.labels", "SEVERITY_LABELS", "Complaint severity"),
    ("crm.care.labels", "CHANNEL_LABELS", "How a complaint came in"),
    ("crm.care.labels", "REMEDY_LABELS", "Remedies"),
    ("crm.care.labels", "PROGRESS_LABELS", "Recall calls"),
    ("crm.customers.labels", "STAGE_LABELS", "Customer stages"),
    ("crm.customers.labels", "SEGMENT_LABELS", "RFM segments"),
    ("crm.customers.labels", "SOURCE_LABELS", "Where a customer came from"),
    ("crm.customers.labels", "CHANNEL_CHOICE_LABELS", "Preferred channels"),
    ("crm.followups.labels", "KIND_LABELS", "Follow-up kinds"),
    ("crm.followups.labels", "FOLLOWUP_STATUS_LABELS", "Follow-up states"),
    ("crm.followups.labels", "OUTCOME_LABELS", "Call outcomes"),
    ("crm.outreach.labels", "OUTBOX_STATUS_LABELS", "Outbox message states"),
    ("crm.outreach.labels", "PURPOSE_LABELS", "Message purposes"),
    ("crm.outreach.labels", "SKIP_REASON_LABELS", "Why a message was skipped"),
]

CODES_INTRO = """# States and codes

Every code the shop stores and shows in words, with its words in both languages, read at
each build from the shop's own `labels` modules and translation catalogues: the API and the
CSV exports carry the code, the pages the words. The terms around them are in the
[glossary](glossary.md).

"""


def codes_page(app) -> str:
    """The states and codes page: one table per set of labels, code / English / 中文."""
    out = [CODES_INTRO]
    for module, name, heading in LABELS:
        labels = getattr(importlib.import_module(module), name)
        out.append(f"## {heading}\n")
        out.append(f"`{module}.{name}`\n")
        out.append("| code | English | 中文 |\n| --- | --- | --- |")
        for code, label in labels.items():
            words = {}
            for locale in ("en", "zh_CN"):
                with app.test_request_context(), force_locale(locale):
                    words[locale] = str(label)
            out.append(f"| `{code}` | {cell(words['en'])} | {cell(words['zh_CN'])} |")
        out.append("")
    return "\n".join(out) + "\n"


def schema_anchor(name: str) -> str:
    return "schema-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def type_of(schema: dict) -> str:
    """A short, linked description of a schema's type."""
    if not schema:
        return "any"
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return f"[{name}](#{schema_anchor(name)})"
    if "allOf" in schema:
        return " and ".join(type_of(part) for part in schema["allOf"])
    if "oneOf" in schema or "anyOf" in schema:
        return " or ".join(type_of(part) for part in schema.get("oneOf", schema.get("anyOf")))
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = " or ".join(kind)
    if kind == "array":
        return f"array of {type_of(schema.get('items', {}))}"
    extra = []
    if "enum" in schema:
        extra.append("one of " + ", ".join(f"`{v}`" for v in schema["enum"] if v is not None))
    if "format" in schema:
        extra.append(schema["format"])
    if schema.get("nullable"):
        extra.append("nullable")
    return kind + (f" ({'; '.join(extra)})" if extra else "")


def cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render(document: dict) -> str:
    """The reference page in Markdown: operations by tag, then the schemas."""
    out = [INTRO]
    info = document.get("info", {})
    out.append(f"**{info.get('title', 'API')}** {info.get('version', '')} "
               f"(OpenAPI {document.get('openapi', '')}). {info.get('description', '')}\n")
    by_tag: dict[str, list] = {}
    for path, operations in document.get("paths", {}).items():
        for method, op in operations.items():
            for tag in op.get("tags", ["other"]):
                by_tag.setdefault(tag, []).append((path, method, op))
    out.append("## Operations\n")
    out.append(f"{sum(len(v) for v in by_tag.values())} operations in {len(by_tag)} groups.\n")
    for tag in sorted(by_tag):
        out.append(f"### {tag}\n")
        for path, method, op in sorted(by_tag[tag]):
            out.append(f"#### `{method.upper()} {path}`\n")
            out.append(f"{op.get('summary', '')}\n")
            out.append("Authentication: " + ("bearer token" if op.get("security") else "none")
                       + "\n")
            params = op.get("parameters", [])
            if params:
                out.append("| parameter | in | type | required |\n| --- | --- | --- | --- |")
                for p in params:
                    out.append(f"| `{p['name']}` | {p['in']} | {cell(type_of(p.get('schema', {})))}"
                               f" | {'yes' if p.get('required') else 'no'} |")
                out.append("")
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                out.append(f"Body: {type_of(body.get('schema', {}))}\n")
            out.append("| answer | meaning | body |\n| --- | --- | --- |")
            for status, answer in sorted(op.get("responses", {}).items()):
                content = answer.get("content", {}).get("application/json", {})
                out.append(f"| {status} | {cell(answer.get('description', ''))} | "
                           f"{cell(type_of(content.get('schema', {})) if content else '')} |")
            out.append("")
    schemas = document.get("components", {}).get("schemas", {})
    out.append("## Schemas\n")
    for name in sorted(schemas):
        schema = schemas[name]
        out.append(f"### {name} {{#{schema_anchor(name)}}}\n")
        properties = schema.get("properties", {})
        if not properties:
            out.append(f"{cell(type_of(schema))}\n")
            continue
        required = set(schema.get("required", []))
        out.append("| field | type | required |\n| --- | --- | --- |")
        for field, spec in properties.items():
            note = " (read only)" if spec.get("readOnly") else ""
            out.append(f"| `{field}` | {cell(type_of(spec))}{note} | "
                       f"{'yes' if field in required else 'no'} |")
        out.append("")
    return "\n".join(out) + "\n"


def on_post_page(output, page, config):
    """The Chinese pages (``zh/``) say so to browsers, screen readers and search."""
    if page.file.src_uri.startswith("zh/"):
        return output.replace('<html lang="en"', '<html lang="zh-CN"', 1)
    return output


def on_files(files, config):
    with fresh_app() as app:
        document = served_document(app)
        codes = codes_page(app)
    files.append(File.generated(config, "codes.md", content=codes))
    files.append(File.generated(config, "openapi.json",
                                content=json.dumps(document, ensure_ascii=False, indent=2)))
    files.append(File.generated(config, "api-reference.md", content=render(document)))
    return files
