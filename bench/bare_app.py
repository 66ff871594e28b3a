"""The reference for bench/pages.py and bench/signed_in_pages.py: a bare Flask app.

Its two catalog routes mirror the shop's addresses and return an HTML body of exactly the
byte length the shop's catalog page and product page had (``BARE_CATALOG_BYTES``,
``BARE_PRODUCT_BYTES``), so the comparison measures the shop's work, not the wire.

``/template`` is the reference of a signed-in page: Flask renders a Jinja template
(``templates/bare_list.html`` extending a base layout with a header, navigation and the
visitor's name) holding a table of ``BARE_TEMPLATE_ITEMS`` rows (50): a link, a name, a
status, a date and an amount each, about 15 KB. No database, no session, no cookie.
Run it as ``gunicorn --chdir bench bare_app:app``.
"""

import os
from datetime import datetime, timedelta

from flask import Flask, Response, render_template, request

_HEAD = b"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>%s</title>" \
        b"</head><body>\n"
_TAIL = b"\n</body></html>\n"
_TEXT = (b"<p>Dried sea cucumber, infant formula and gift boxes, delivered or ready for pickup "
         b"at our own stores.</p>\n")


def fixed_page(size: int, title: str) -> bytes:
    """An HTML page of exactly ``size`` bytes."""
    head = _HEAD % title.encode()
    room = size - len(head) - len(_TAIL)
    if room < 0:
        return (head + _TAIL)[:max(size, 0)]
    return head + (_TEXT * (room // len(_TEXT) + 1))[:room] + _TAIL


def create_app() -> Flask:
    app = Flask(__name__)
    catalog = fixed_page(int(os.environ.get("BARE_CATALOG_BYTES", "20000")), "catalog")
    product = fixed_page(int(os.environ.get("BARE_PRODUCT_BYTES", "15000")), "product")

    @app.route("/products")
    def products():
        return Response(catalog, mimetype="text/html")

    @app.route("/products/<slug>")
    def product_page(slug):
        return Response(product, mimetype="text/html")

    items = _template_items(int(os.environ.get("BARE_TEMPLATE_ITEMS", "50")))
    nav = [("Shop", "/products"), ("Cart", "/cart"), ("Orders", "/orders"),
           ("Member", "/member"), ("Help", "/help")]

    @app.route("/template")
    def template_page():
        return render_template(
            "bare_list.html", lang="en", shop_name="Haiyun", nav=nav, title="Your list",
            user={"name": "陈静", "cart_count": 3}, items=items,
            footer="Dried sea cucumber, infant formula and gift boxes.",
            page=request.args.get("page", 1, type=int))

    @app.route("/healthz")
    def health():
        return {"status": "ok"}

    return app


def _template_items(n: int) -> list[dict]:
    start = datetime(2026, 11, 11, 9, 0)
    statuses = ("pending", "ready", "collected", "cancelled")
    return [{"id": i, "number": f"HY2026{i:06d}", "name": f"Dried sea cucumber gift box {i}",
             "note": "pickup at Xihu store" if i % 3 == 0 else "",
             "status": statuses[i % len(statuses)], "when": start + timedelta(hours=7 * i),
             "amount": 12800 + 350 * i} for i in range(1, n + 1)]


app = create_app()
