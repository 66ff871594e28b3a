"""Finding 10: no Content-Security-Policy, no HSTS even with secure cookies, and framing
allowed to the same origin.

Now every page carries a policy that allows scripts only from the shop's files and
Stripe.js (and no inline script anywhere in the templates), framing is denied, and HSTS
is sent while the session cookie is ``Secure``."""

import re
from pathlib import Path

import pytest

from core.security import content_security_policy
from tests.support.pages import login

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
STATIC_JS = Path(__file__).resolve().parents[2] / "static" / "js"


def policy(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request.path}"
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def assert_strict(directives) -> None:
    assert directives["default-src"] == ["'self'"]
    scripts = directives["script-src"]
    assert "'self'" in scripts
    assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "https:", "data:"} & set(scripts)
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert directives["img-src"] == ["'self'", "data:"]


def assert_no_framing_or_sniffing(response) -> None:
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("path", ["/", "/products", "/login", "/register", "/vip", "/cart",
                                  "/no-such-page"])
def test_public_pages_carry_a_strict_policy(client, path):
    response = client.get(path)
    assert response.mimetype == "text/html"
    assert_strict(policy(response))
    assert_no_framing_or_sniffing(response)


def test_staff_pages_carry_the_policy(client, shop):
    login(client, shop.admin)
    for path in ("/desk", "/crm", "/crm/dashboard", "/admin/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_strict(policy(response))
        assert_no_framing_or_sniffing(response)


def test_the_desk_center_picker_needs_no_inline_script(client, shop):
    """The admin's center picker sent its form with ``onchange="..."``, which the policy
    blocks; it is marked ``data-autosubmit`` and shop.js sends it."""
    login(client, shop.admin)
    html = client.get("/desk").get_data(as_text=True)
    assert 'id="center-picker"' in html
    assert not re.search(r"\son[a-z]+\s*=", html)
    assert re.search(r'<select id="center-picker"[^>]*data-autosubmit', html)
    assert "select[data-autosubmit]" in (STATIC_JS / "shop.js").read_text()


def test_no_template_has_inline_script():
    """Inline ``<script>``, ``on...=`` handlers and ``javascript:`` URLs would be blocked
    by the policy: the templates use static files instead."""
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text()
        for match in re.finditer(r"<script\b[^>]*>", text, re.I):
            if "src=" not in match.group(0):
                found.append(f"{path.relative_to(TEMPLATES)}: {match.group(0)}")
        for match in re.finditer(r"<[^>]*\s(on[a-z]+)\s*=", text, re.I):
            found.append(f"{path.relative_to(TEMPLATES)}: {match.group(1)}=")
        if re.search(r"javascript:", text, re.I):
            found.append(f"{path.relative_to(TEMPLATES)}: javascript: URL")
    assert found == []


def test_stripe_js_and_its_frames_are_allowed(app):
    directives = {
        part.split()[0]: part.split()[1:]
        for part in content_security_policy(app.config).split(";")}
    assert app.config["STRIPE_JS_URL"].startswith("https://js.stripe.com/")
    assert "https://js.stripe.com" in directives["script-src"]
    assert {"https://js.stripe.com", "https://hooks.stripe.com"} <= set(directives["frame-src"])
    assert "https://api.stripe.com" in directives["connect-src"]


def test_a_stand_in_for_stripe_js_is_allowed_by_its_origin():
    """The payment tests serve Stripe.js from localstripe, whose script calls its server."""
    text = content_security_policy({"STRIPE_JS_URL": "http://127.0.0.1:8420/js.stripe.com/v3/"})
    directives = {part.split()[0]: part.split()[1:] for part in text.split(";")}
    for name in ("script-src", "frame-src", "connect-src"):
        assert "http://127.0.0.1:8420" in directives[name]
    assert "https://js.stripe.com" not in text


def test_no_hsts_over_plain_http(client):
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_hsts_when_the_session_cookie_is_secure(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    for path in ("/", "/api/v1/products"):
        response = client.get(path, base_url="https://shop.example")
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_json_answers_are_not_sniffed_or_framed(client):
    response = client.get("/api/v1/products")
    assert response.mimetype == "application/json"
    assert_no_framing_or_sniffing(response)
