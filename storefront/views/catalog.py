"""The catalog's pages: the home page, the product list and search, a product.

Their content is the same for every visitor of one locale and tier, so it is cached
(``pages.serve_catalog_page``); the shell around it is per visitor.
"""

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user

from core.errors import NotFound
from core.i18n import localized
from fulfillment.routing import stock_summary

from .. import cart as carts
from .. import catalog
from ..loyalty.tiers import catalog_prices
from ..pages import CSRF_PLACEHOLDER, render_fragment, serve_catalog_page
from ..web import bp

FEATURED_COUNT = 4


def _viewer_tier() -> str:
    """The signed-in member's tier ("" for everyone else): catalog content varies by it.

    One query, which also counts the cart for the header (kept in ``g``).
    """
    if not current_user.is_authenticated:
        return ""
    g.cart_count, tier = carts.count_and_tier(current_user._get_current_object())
    return tier or ""


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    args = request.args
    try:
        value = int(args[name]) if name in args else default
    except ValueError:
        return default
    return min(max(value, low), high)


def _text_arg(name: str, limit: int) -> str | None:
    # ``in`` first: a missing key makes MultiDict.get build an exception, on the hot path.
    args = request.args
    return (args[name].strip()[:limit] or None) if name in args else None


@bp.route("/")
def home():
    def build():
        categories = catalog.categories()
        featured = _featured(categories)
        content = render_fragment("storefront/home.html", categories=categories,
                                  featured=featured, club=catalog_prices(featured, tier))
        return {"title": _("Premium sea cucumber and infant nutrition"), "content": content,
                "description": _("Dried sea cucumber, infant formula and gift boxes, "
                                 "delivered or ready for pickup at our own stores.")}

    tier = _viewer_tier()
    return serve_catalog_page("home", (tier,), build)


def _featured(categories) -> list:
    """The first products by position, taking turns across the categories (one query)."""
    items, _pages = catalog.search_products(per_page=catalog.PAGE_SIZE)
    by_category = {c.id: [] for c in categories}
    for item in items:
        by_category.setdefault(item.category_id, []).append(item)
    featured = []
    while len(featured) < FEATURED_COUNT and any(by_category.values()):
        for queue in by_category.values():
            if queue and len(featured) < FEATURED_COUNT:
                featured.append(queue.pop(0))
    return featured


@bp.route("/products")
def products():
    category = _text_arg("category", 60)
    q = _text_arg("q", 100)
    page = _int_arg("page", 1, 1, 10_000)
    per_page = current_app.config.get("CATALOG_PER_PAGE", catalog.PAGE_SIZE)

    def build():
        categories = catalog.categories()
        items, pages = catalog.search_products(q=q, category=category, page=page,
                                               per_page=per_page)
        current = next((c for c in categories if c.slug == category), None)
        if q:
            title = _("Search: %(q)s", q=q)
        elif current is not None:
            title = localized(current, "name")
        else:
            title = _("Shop")
        content = render_fragment(
            "storefront/products.html", categories=categories, current=current,
            category=category, q=q, items=items, page=min(page, pages), pages=pages,
            title=title, club=catalog_prices(items, tier))
        return {"title": title, "content": content}

    tier = _viewer_tier()
    return serve_catalog_page("products", (category or "", q or "", page, per_page, tier), build)


@bp.route("/products/<slug>")
def product(slug: str):
    if len(slug) > 80:
        raise NotFound()

    def build():
        item = catalog.product_by_slug(slug)
        in_stores, in_delivery = stock_summary(item.id)
        name = localized(item, "name")
        content = render_fragment(
            "storefront/product.html", product=item, name=name, in_stores=in_stores,
            in_delivery=in_delivery, csrf_placeholder=CSRF_PLACEHOLDER,
            club=catalog_prices([item], tier))
        description = (localized(item, "description") or "").strip().replace("\n", " ")
        return {"title": name, "content": content, "description": description[:160] or None}

    tier = _viewer_tier()
    return serve_catalog_page("product", (slug, tier), build, has_form=True)
