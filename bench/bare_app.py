"""The reference for bench/pages.py: a bare Flask app serving fixed pages.

Its two routes mirror the shop's addresses and return an HTML body of exactly the byte
length the shop's catalog page and product page had (``BARE_CATALOG_BYTES``,
``BARE_PRODUCT_BYTES``), so the comparison measures the shop's work, not the wire.
Run it as ``gunicorn --chdir bench bare_app:app``.
"""

import os

from flask import Flask, Response

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

    @app.route("/healthz")
    def health():
        return {"status": "ok"}

    return app


app = create_app()
