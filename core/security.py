"""What every response tells the browser, and where the client's address comes from.

- ``Content-Security-Policy`` on every page: scripts only from the shop's own files and
  Stripe.js (no inline script, no ``on...=`` attributes, no ``eval``), Stripe's frames, images
  from the shop itself (and ``data:``), no plugins, no ``<base>``, forms posting only back to
  the shop, and no framing (uploaded images also from ``STORAGE_PUBLIC_URL``'s origin).
  Styles come from the shop's stylesheets and from ``style`` attributes: the pages use them
  for computed widths and colours (charts, progress bars) and Stripe.js writes its own on its
  elements. An inline style cannot run script, and what it
  could load is held to ``img-src``/``default-src`` 'self'.
- ``X-Frame-Options: DENY`` (nothing of the shop frames its pages), ``nosniff``, and
  ``Referrer-Policy: same-origin`` on every response.
- ``Strict-Transport-Security`` when the session cookie is ``Secure`` (the shop is served
  over HTTPS): ``HSTS_SECONDS``.
- Behind ``PROXY_HOPS`` reverse proxies, the client's address, scheme and host are read
  from ``X-Forwarded-For/-Proto/-Host`` (werkzeug's ProxyFix, trusting that many hops);
  with the default 0 those headers are ignored, as anyone can send them.
"""

from urllib.parse import urlsplit

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

#: where Stripe serves Stripe.js and the frames of the Payment Element
STRIPE_JS_ORIGIN = "https://js.stripe.com"
#: the pages the policy is sent with (a JSON answer or a CSV is never rendered as a page)
POLICED_TYPES = ("text/html", "image/svg+xml")


def _origin(url: str | None) -> str | None:
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(config) -> str:
    """The policy for ``config``: Stripe.js from ``STRIPE_JS_URL``'s origin (Stripe's own,
    with the hosts Stripe asks for, or a stand-in such as localstripe, which answers its
    own script's calls)."""
    scripts, frames, connect = ["'self'"], [], ["'self'"]
    stripe_js = _origin(config.get("STRIPE_JS_URL"))
    if stripe_js == STRIPE_JS_ORIGIN:
        scripts += [stripe_js, "https://*.js.stripe.com"]
        frames += [stripe_js, "https://*.js.stripe.com", "https://hooks.stripe.com"]
        connect += ["https://api.stripe.com"]
    elif stripe_js:
        scripts.append(stripe_js)
        frames.append(stripe_js)
        connect.append(stripe_js)
    images = _origin(config.get("STORAGE_PUBLIC_URL"))  # uploaded images from the store
    directives = {
        "default-src": ["'self'"],
        "script-src": scripts,
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"] + ([images] if images else []),
        "connect-src": connect,
        "frame-src": frames or ["'none'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def register_security(app: Flask) -> None:
    hops = app.config.get("PROXY_HOPS") or 0
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    @app.after_request
    def security_headers(response):
        # what the view set itself stands; the rest added, the headers read once
        headers = response.headers
        present = {name.lower() for name, _ in headers.items()}
        for name, value in _ALWAYS:
            if name.lower() not in present:
                headers.add(name, value)
        if response.mimetype in POLICED_TYPES and "content-security-policy" not in present:
            headers.add("Content-Security-Policy", content_security_policy(app.config))
        if app.config.get("SESSION_COOKIE_SECURE") and \
                "strict-transport-security" not in present:
            headers.add("Strict-Transport-Security",
                        f"max-age={int(app.config.get('HSTS_SECONDS', 31536000))}")
        return response


#: the headers every answer carries (unless its view set its own)
_ALWAYS = (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
           ("Referrer-Policy", "same-origin"))
