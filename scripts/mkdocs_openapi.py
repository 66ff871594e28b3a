"""MkDocs hook: the API reference page and ``openapi.json``, written at build time from the app.

The shop serves its OpenAPI document at ``/api/v1/openapi.json`` (``core.api``, built from
the routes' own declarations). This hook asks a fresh app for it through Flask's test client
(no server, no network, an empty in-memory database) and adds two generated files to the
site: the document itself, and ``api-reference.md``, a plain page that lists every operation
by tag (method, path, who may call it, parameters, body, answers) and every schema with its
fields. So the page is always the document as served, and a broken link in it fails the
strict build like any other.
"""

import json
import re
import tempfile

from mkdocs.structure.files import File

from core.app import create_app

#: the page's own words around the generated tables
INTRO = """# API reference

This page is written at every build from the document the shop serves at
`GET /api/v1/openapi.json` ([download it](openapi.json)): it cannot drift from the routes.
How to sign in, idempotency and the error format are in the [API guide](api.md).

"""


def served_document() -> dict:
    """The OpenAPI document exactly as ``GET /api/v1/openapi.json`` answers it."""
    with tempfile.TemporaryDirectory() as instance:
        app = create_app({
            "TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "INSTANCE_PATH": instance,
            "SECRET_KEY": "docs-build", "CACHE_TYPE": "SimpleCache",
            "RATELIMIT_STORAGE_URI": "memory://",
        })
        response = app.test_client().get("/api/v1/openapi.json")
        if response.status_code != 200:
            raise RuntimeError(f"/api/v1/openapi.json answered {response.status_code}")
        return response.get_json()


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


def on_files(files, config):
    document = served_document()
    files.append(File.generated(config, "openapi.json",
                                content=json.dumps(document, ensure_ascii=False, indent=2)))
    files.append(File.generated(config, "api-reference.md", content=render(document)))
    return files
