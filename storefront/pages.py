"""Serving the catalog fast: cached page content, and the globals the shop's templates share.

A catalog page (home, product list, product) is rendered in two layers. The *content*
(everything inside ``<main>``) is the same for every visitor of one locale, so it is
rendered once and cached under a key that carries the locale, the page and its query, and
the versions of the "catalog" and "stock" namespaces (``core.cache``): a product, price or
stock change moves a version on, and the next request renders afresh. The *shell* (header
with the visitor's name and cart count, flashed messages) is rendered around it per request.

An anonymous visitor with no flashed messages sees the same shell as every other such
visitor with the same number of items in the cart, so the whole page is cached for them:
a hit costs two ``stat`` calls and one cache read, and no database query.

The add-to-cart form's CSRF token is per visitor: the cached HTML carries a placeholder,
replaced on the way out by the token of the visitor's session. A visitor who has no token
yet (a first visit) gets an empty one rather than a new session on every catalog GET; the
form then fetches a token when it is submitted (``static/js/shop.js``), and without
JavaScript the cart asks once to confirm (``cart_add`` in ``views/cart.py``). Either way no
state changes without a valid token.
"""

import hashlib
from collections.abc import Callable

from flask import current_app, render_template, request, session, url_for
from flask_login import current_user
from flask_login.config import COOKIE_NAME
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from core.cache import key as cache_key
from core.cache import version
from core.extensions import cache
from core.i18n import current_locale
from core.storage import upload_url

from .labels import (
    fulfillment_status_label,
    method_label,
    order_status_label,
    payment_label,
    tier_label,
)
from .nearby import CITY_COOKIE, chosen_city

#: stands for the visitor's CSRF token inside cached HTML
CSRF_PLACEHOLDER = "__csrf_token_placeholder__"
SHELL_TEMPLATE = "storefront/_cached_page.html"

def product_image_url(product) -> str | None:
    """Where a product's picture is served from: static/ or the upload folder; None if none."""
    return stored_image_url(getattr(product, "image", None))


def stored_image_url(image: str | None) -> str | None:
    """Where a stored image (a path under static/, or an upload's name) is served from."""
    if not image:
        return None
    if image.startswith(("http://", "https://")):
        return None  # no third-party hosts: shops in mainland China cannot rely on them
    if image.startswith("static/"):
        return url_for("static", filename=image[len("static/"):])
    return upload_url(image)


TEMPLATE_GLOBALS = {
    "tier_label": tier_label,
    "order_status_label": order_status_label,
    "fulfillment_status_label": fulfillment_status_label,
    "method_label": method_label,
    "payment_label": payment_label,
    "product_image_url": product_image_url,
    "stored_image_url": stored_image_url,
    "chosen_city": chosen_city,
}


# --- the cache --------------------------------------------------------------------------------


def guest_cart() -> dict:
    """The guest cart in the session, ``{product_id (str): quantity}``; never None."""
    value = session.get("cart")
    return value if isinstance(value, dict) else {}


def guest_cart_count() -> int:
    try:
        return sum(int(q) for q in guest_cart().values())
    except (TypeError, ValueError):
        return 0


def _versions() -> tuple[str, str]:
    return version("catalog"), version("stock")


def cached_content(name: str, parts: tuple, build: Callable[[], dict]) -> dict:
    """The page's content for this locale and these ``parts``, built by ``build`` on a miss.

    ``build`` returns ``{"title", "content", ...}`` where ``content`` is rendered HTML.
    """
    key = cache_key("content", name, current_locale(), *_versions(), *parts)
    fragment = cache.get(key)
    if fragment is None:
        fragment = build()
        cache.set(key, fragment)
    return fragment


def render_fragment(template: str, **context) -> str:
    """Render content shared by every visitor: without the context processors (no user, no
    cart count). Such templates use only what they are given and the Jinja globals
    (``url_for``, ``_``, ``localized``, the filters), never ``request``, ``session`` or
    ``csrf_token()`` (a form carries ``CSRF_PLACEHOLDER`` instead).
    """
    return current_app.jinja_env.get_template(template).render(**context)


def _render_shell(fragment: dict) -> str:
    return render_template(SHELL_TEMPLATE, page_title=fragment.get("title", ""),
                           page_description=fragment.get("description"),
                           content=Markup(fragment["content"]))


def _without_session() -> bool:
    """No session and no remember-me cookie: an anonymous visitor with an empty cart and no
    messages, known without waking the session or Flask-Login (the common first visit)."""
    cookies = request.cookies
    config = current_app.config
    return (config["SESSION_COOKIE_NAME"] not in cookies
            and config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) not in cookies)


def serve_catalog_page(name: str, parts: tuple, build: Callable[[], dict], *,
                       has_form: bool = False):
    """A response for a catalog page, from the cache where it can be.

    ``has_form``: the content holds a form whose CSRF token is ``CSRF_PLACEHOLDER``.
    Anonymous visitors without flashed messages get the whole page from the cache (keyed
    also by the full path and the cart count shown in the header); everyone else gets the
    cached content in a freshly rendered shell.
    """
    fresh = _without_session()
    if fresh:
        count = 0
    elif current_user.is_authenticated or "_flashes" in session:
        html = _render_shell(cached_content(name, parts, build))
        return _finish(html.encode(), public=False, token=_token(has_form, fresh))
    else:
        count = guest_cart_count()
    page_key = cache_key("page", name, current_locale(), *_versions(), request.full_path, count,
                         request.cookies.get(CITY_COOKIE, ""))  # the header names the city
    etag = None
    if not has_form:
        etag = hashlib.blake2b(page_key.encode(), digest_size=12).hexdigest()
        if "HTTP_IF_NONE_MATCH" in request.environ and request.if_none_match.contains(etag):
            return _finish(b"", public=True, etag=etag, status=304)
    body = cache.get(page_key)
    if body is None:
        body = _render_shell(cached_content(name, parts, build)).encode()
        cache.set(page_key, body)
    return _finish(body, public=True, etag=etag, token=_token(has_form, fresh))


def _token(has_form: bool, fresh: bool) -> bytes | None:
    """The visitor's own CSRF token when the session has one; else empty (see the module doc).
    None when the page has no form."""
    if not has_form:
        return None
    if fresh or "csrf_token" not in session:
        return b""
    return generate_csrf().encode()


_PLACEHOLDER_BYTES = CSRF_PLACEHOLDER.encode()


def _finish(body: bytes, *, public: bool, etag: str | None = None, token: bytes | None = None,
            status: int = 200):
    if token is not None:
        body = body.replace(_PLACEHOLDER_BYTES, token)
        public = public and not token  # a page with a visitor's token is that visitor's
    response = current_app.response_class(body, status=status,
                                          content_type="text/html; charset=utf-8")
    headers = response.headers
    # A cookie says who is asking: shared caches must keep the anonymous page apart.
    headers["Vary"] = "Cookie"
    if public:
        headers["Cache-Control"] = "no-cache"
        if etag:
            headers["ETag"] = f'"{etag}"'
    else:
        headers["Cache-Control"] = "private, no-cache"
    return response
