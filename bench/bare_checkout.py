"""The floor for a checkout: Flask and psycopg, no ORM, an order's essential writes only.

    DATABASE_URL=postgresql://... gunicorn --worker-class gthread --threads 4 -w 2 \
        bench.bare_checkout:app

``POST /api/v1/orders`` with the shop's body for a pickup of one line, in one transaction:
the bearer token's user, the product's price, one conditional UPDATE that reserves the
units, the order, its line, its fulfillment and its line, one ledger movement; commit.
201, or 409 when the store is short, 401 for an unknown token. Rows are the shop's own
tables, so the two are measured on the same database with the same indexes. It checks
nothing the shop checks beyond that (slots, points, coupons, member prices, idempotency):
it is what no checkout can do without.
"""

import hashlib
import os
import secrets
import threading

import psycopg
from flask import Flask, jsonify, request

app = Flask(__name__)
_URL = os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
_local = threading.local()


def _connection() -> psycopg.Connection:
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = _local.conn = psycopg.connect(_URL)
    return conn


@app.get("/healthz")
def healthz():
    return "ok"


@app.post("/api/v1/orders")
def place_order():
    token = request.headers.get("Authorization", "").partition(" ")[2].strip()
    body = request.get_json(silent=True) or {}
    try:
        line = body["lines"][0]
        sku, quantity = str(line["sku"]), int(line["quantity"])
        center_id = int(body["fulfillment"]["center_id"])
    except (KeyError, IndexError, TypeError, ValueError):
        return jsonify(code="validation_error"), 400
    conn = _connection()
    with conn.transaction():
        user = conn.execute(
            "SELECT user_id FROM api_tokens WHERE token_hash = %s AND expires_at > now()",
            (hashlib.sha256(token.encode()).hexdigest(),)).fetchone()
        if user is None:
            return jsonify(code="unauthorized"), 401
        product = conn.execute(
            "SELECT id, price_amount, name_zh FROM products WHERE sku = %s AND active",
            (sku,)).fetchone()
        if product is None:
            return jsonify(code="validation_error"), 400
        product_id, price, name = product
        reserved = conn.execute(
            "UPDATE stock SET reserved = reserved + %s, updated_at = now() "
            "WHERE center_id = %s AND product_id = %s AND on_hand - reserved >= %s "
            "RETURNING id", (quantity, center_id, product_id, quantity)).fetchone()
        if reserved is None:
            raise _Short()  # leaving the block by an exception rolls it back
        total = price * quantity
        public_id = secrets.token_urlsafe(12)
        order_id = conn.execute(
            "INSERT INTO orders (public_id, user_id, status, currency, subtotal_amount, "
            "delivery_fee_amount, total_amount, paid_amount, payment_method, "
            "fulfillment_method, center_id, created_at, disputed, points_redeemed, "
            "points_discount_amount, coupon_discount_amount) VALUES (%s, %s, 'confirmed', "
            "'CNY', %s, 0, %s, 0, 'pay_at_pickup', 'pickup', %s, now(), false, 0, 0, 0) "
            "RETURNING id", (public_id, user[0], total, total, center_id)).fetchone()[0]
        conn.execute(
            "INSERT INTO order_lines (order_id, product_id, sku, name_zh, quantity, "
            "unit_price_amount, line_total_amount, member_price) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, false)",
            (order_id, product_id, sku, name, quantity, price, total))
        fulfillment_id = conn.execute(
            "INSERT INTO fulfillments (order_id, center_id, method, status, created_at, "
            "failed_attempts) VALUES (%s, %s, 'pickup', 'reserved', now(), 0) RETURNING id",
            (order_id, center_id)).fetchone()[0]
        conn.execute(
            "INSERT INTO fulfillment_lines (fulfillment_id, product_id, sku, name_zh, quantity, "
            "collected_quantity) VALUES (%s, %s, %s, %s, %s, 0)",
            (fulfillment_id, product_id, sku, name, quantity))
        conn.execute(
            "INSERT INTO stock_movements (center_id, product_id, kind, on_hand_delta, "
            "reserved_delta, fulfillment_id, created_at) "
            "VALUES (%s, %s, 'reserved', 0, %s, %s, now())",
            (center_id, product_id, quantity, fulfillment_id))
    return jsonify(id=public_id, status="confirmed"), 201


class _Short(Exception):
    """The store has too few units: the transaction block rolls the order back."""


@app.errorhandler(_Short)
def _short(_err):
    return jsonify(code="insufficient_stock"), 409
