"""Orders through the API: place, read, list, cancel, and Idempotency-Key."""

import json
import re
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from core.clock import utcnow
from core.extensions import db
from core.models import ApiToken, User
from fulfillment import services as desk
from fulfillment.models import Center, Fulfillment, Stock
from storefront.loyalty.membership import sign_up_member
from storefront.models import Category, IdempotencyKey, Order, Product
from tests.conftest import delivery_address

from .conftest import API, assert_error, delivery_body, pickup_body, snapshot


def stock_row(session, center, product) -> Stock:
    session.expire_all()
    return session.execute(sa.select(Stock).where(
        Stock.center_id == center.id, Stock.product_id == product.id)).scalar_one()


def fulfillment_of(session, public_id) -> Fulfillment:
    session.expire_all()
    order = session.execute(sa.select(Order).where(Order.public_id == public_id)).scalar_one()
    return order.fulfillment


# --- placing -------------------------------------------------------------------------------


def test_place_pickup_order(session, shop, place):
    response = place(shop.shopper, pickup_body(shop, quantity=2))
    assert response.status_code == 201
    body = response.get_json()
    assert isinstance(body["id"], str) and not body["id"].isdigit() and len(body["id"]) >= 12
    assert re.fullmatch(r"SH-\d{8}-\d{4,}", body["number"])
    assert body["status"] == "confirmed" and body["payment_method"] == "pay_at_pickup"
    assert body["total"] == {"amount": 2 * 12800, "currency": "CNY"}
    assert body["lines"] == [{
        "sku": shop.products[0].sku, "name": shop.products[0].name_zh, "quantity": 2,
        "unit_price": {"amount": 12800, "currency": "CNY"},
        "line_total": {"amount": 25600, "currency": "CNY"}, "member_price": False,
        "price_tier": None}]
    assert body["fulfillment"]["method"] == "pickup"
    assert body["fulfillment"]["center_id"] == shop.store.id
    assert body["fulfillment"]["status"] == "reserved"
    assert "pickup_code" not in body["fulfillment"]
    assert datetime.fromisoformat(body["created_at"]).utcoffset() is not None
    row = stock_row(session, shop.store, shop.products[0])
    assert (row.on_hand, row.reserved) == (10, 2)


def test_place_delivery_order_is_routed(session, shop, place):
    response = place(shop.shopper, delivery_body(shop, delivery_address(), quantity=3))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["fulfillment"]["method"] == "delivery"
    assert body["fulfillment"]["center_id"] == shop.hub.id
    assert body["fulfillment"]["address"]["street"] == "漕溪北路 88 号"
    assert body["contact_name"] == "王女士" and body["payment_method"] == "cash_on_delivery"
    assert stock_row(session, shop.hub, shop.products[1]).reserved == 3


def test_member_pays_the_member_price(session, shop, place, make_product, stock):
    product = make_product(price=50000, member_price=45000)
    stock(shop.store, product, 5)
    sign_up_member(shop.shopper, name="王丽", phone="13812345678")
    body = place(shop.shopper, pickup_body(shop, product=product)).get_json()
    assert body["total"] == {"amount": 45000, "currency": "CNY"}
    assert body["lines"][0]["member_price"] is True


def test_insufficient_stock_names_the_lines_short(session, shop, place):
    before = snapshot(session)
    body = assert_error(place(shop.shopper, pickup_body(shop, quantity=11)),
                        409, "insufficient_stock")
    assert body["lines"] == [{"sku": shop.products[0].sku, "requested": 11, "available": 10}]
    assert snapshot(session) == before


def test_delivery_short_everywhere_names_lines_by_sku(session, shop, place, stock):
    stock(shop.hub, shop.products[1], 1)
    session.commit()
    before = snapshot(session)
    body = assert_error(place(shop.shopper, delivery_body(shop, delivery_address(), quantity=2)),
                        409, "insufficient_stock")
    assert body["lines"] == [{"sku": shop.products[1].sku, "requested": 2, "available": 1}]
    assert snapshot(session) == before


def test_no_center_serves_the_address(session, shop, place):
    before = snapshot(session)
    assert_error(place(shop.shopper, delivery_body(shop, delivery_address(
        province="新疆维吾尔自治区", city="喀什市", district="疏附县"))),
        422, "no_center_serves_address")
    assert snapshot(session) == before


def test_place_needs_a_user(client, shop):
    assert_error(client.post(f"{API}/orders", json=pickup_body(shop)), 401, "unauthorized")


# --- reading -------------------------------------------------------------------------------


def test_owner_reads_the_order_and_sees_the_code_once_ready(session, client, shop, token_for,
                                                            pickup_order):
    url = f"{API}/orders/{pickup_order['id']}"
    owner = token_for(shop.shopper)
    body = client.get(url, headers=owner).get_json()
    assert {key: body.pop(key) for key in ("timeline", "refunds")} == {
        "timeline": [], "refunds": []}
    assert body == pickup_order
    desk.mark_ready(fulfillment_of(session, pickup_order["id"]), shop.clerk)
    session.commit()
    ready = client.get(url, headers=owner).get_json()["fulfillment"]
    code = fulfillment_of(session, pickup_order["id"]).pickup_code
    assert ready["status"] == "ready" and ready["pickup_code"] == code and len(code) >= 6


@pytest.mark.parametrize("who", ["clerk", "agent", "admin"])
def test_staff_of_its_center_crm_and_admin_read_it_without_the_code(
        session, client, shop, token_for, pickup_order, who):
    desk.mark_ready(fulfillment_of(session, pickup_order["id"]), shop.clerk)
    response = client.get(f"{API}/orders/{pickup_order['id']}",
                          headers=token_for(getattr(shop, who)))
    assert response.status_code == 200
    fulfillment = response.get_json()["fulfillment"]
    assert fulfillment["status"] == "ready" and "pickup_code" not in fulfillment


@pytest.mark.parametrize("who", ["far_clerk", "other_shopper"])
def test_others_do_not_see_the_order(client, shop, token_for, make_user, pickup_order, who):
    user = make_user() if who == "other_shopper" else getattr(shop, who)
    assert_error(client.get(f"{API}/orders/{pickup_order['id']}", headers=token_for(user)),
                 404, "not_found")


def test_read_order_boundaries(client, shop, token_for, pickup_order):
    assert_error(client.get(f"{API}/orders/{pickup_order['id']}"), 401, "unauthorized")
    assert_error(client.get(f"{API}/orders/nope", headers=token_for(shop.shopper)),
                 404, "not_found")
    assert_error(client.get(f"{API}/orders/{pickup_order['number']}",
                            headers=token_for(shop.shopper)), 404, "not_found")


def test_my_orders_newest_first_and_only_mine(session, client, shop, place, make_user,
                                             token_for):
    first = place(shop.shopper, pickup_body(shop)).get_json()
    second = place(shop.shopper, pickup_body(shop, product=shop.products[2])).get_json()
    session.execute(sa.update(Order).where(Order.public_id == first["id"])
                    .values(created_at=utcnow() - timedelta(hours=1)))
    place(make_user(), pickup_body(shop))
    response = client.get(f"{API}/me/orders", headers=token_for(shop.shopper))
    assert response.status_code == 200
    assert [o["id"] for o in response.get_json()["items"]] == [second["id"], first["id"]]
    nobody = client.get(f"{API}/me/orders", headers=token_for(make_user())).get_json()
    assert nobody == {"items": []}
    assert_error(client.get(f"{API}/me/orders"), 401, "unauthorized")


# --- cancelling ----------------------------------------------------------------------------


def test_owner_cancels_and_stock_is_released(session, client, shop, token_for, pickup_order):
    assert stock_row(session, shop.store, shop.products[0]).reserved == 2
    response = client.post(f"{API}/orders/{pickup_order['id']}/cancel",
                           headers=token_for(shop.shopper))
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "cancelled" and body["fulfillment"]["status"] == "cancelled"
    row = stock_row(session, shop.store, shop.products[0])
    assert (row.on_hand, row.reserved) == (10, 0)
    again = client.post(f"{API}/orders/{pickup_order['id']}/cancel",
                        headers=token_for(shop.shopper))
    assert_error(again, 409, "illegal_transition")


def test_owner_cannot_cancel_once_ready_but_the_store_can(session, client, shop, token_for,
                                                         pickup_order):
    desk.mark_ready(fulfillment_of(session, pickup_order["id"]), shop.clerk)
    session.commit()
    url = f"{API}/orders/{pickup_order['id']}/cancel"
    assert_error(client.post(url, headers=token_for(shop.shopper)), 409, "illegal_transition")
    assert stock_row(session, shop.store, shop.products[0]).reserved == 2
    response = client.post(url, headers=token_for(shop.clerk))
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    assert stock_row(session, shop.store, shop.products[0]).reserved == 0


def test_cancel_boundaries(session, client, shop, token_for, make_user, pickup_order):
    url = f"{API}/orders/{pickup_order['id']}/cancel"
    assert_error(client.post(url), 401, "unauthorized")
    assert_error(client.post(url, headers=token_for(make_user())), 404, "not_found")
    assert_error(client.post(url, headers=token_for(shop.far_clerk)), 404, "not_found")
    assert_error(client.post(url, headers=token_for(shop.agent)), 403, "forbidden")
    assert stock_row(session, shop.store, shop.products[0]).reserved == 2
    response = client.post(url, headers=token_for(shop.admin))
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    session.expire_all()
    assert stock_row(session, shop.store, shop.products[0]).reserved == 0
    assert fulfillment_of(session, pickup_order["id"]).status == "cancelled"


# --- Idempotency-Key -----------------------------------------------------------------------


def order_count(session) -> int:
    return session.execute(sa.select(sa.func.count(Order.id))).scalar_one()


def test_same_key_twice_one_order_same_response(session, shop, place):
    before = order_count(session)
    first = place(shop.shopper, pickup_body(shop), key="checkout-7f3a")
    second = place(shop.shopper, pickup_body(shop), key="checkout-7f3a")
    assert first.status_code == second.status_code == 201
    assert second.get_json() == first.get_json()
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert order_count(session) == before + 1
    assert stock_row(session, shop.store, shop.products[0]).reserved == 1


def test_same_key_different_users_two_orders(session, shop, place, make_user):
    before = order_count(session)
    first = place(shop.shopper, pickup_body(shop), key="same-key")
    second = place(make_user(), pickup_body(shop), key="same-key")
    assert first.status_code == second.status_code == 201
    assert first.get_json()["id"] != second.get_json()["id"]
    assert order_count(session) == before + 2


def test_different_keys_two_orders(session, shop, place):
    before = order_count(session)
    place(shop.shopper, pickup_body(shop), key="a")
    place(shop.shopper, pickup_body(shop), key="b")
    place(shop.shopper, pickup_body(shop))
    assert order_count(session) == before + 3


def test_a_failed_attempt_keeps_no_key(session, shop, place):
    assert_error(place(shop.shopper, pickup_body(shop, quantity=11), key="retry-me"),
                 409, "insufficient_stock")
    assert session.execute(sa.select(IdempotencyKey)).scalars().all() == []
    ok = place(shop.shopper, pickup_body(shop, quantity=1), key="retry-me")
    assert ok.status_code == 201 and "Idempotent-Replayed" not in ok.headers


def test_key_older_than_a_day_is_forgotten(session, shop, place):
    first = place(shop.shopper, pickup_body(shop), key="old-key").get_json()
    session.execute(sa.update(IdempotencyKey).where(IdempotencyKey.key == "old-key")
                    .values(created_at=utcnow() - timedelta(hours=25)))
    session.commit()
    second = place(shop.shopper, pickup_body(shop), key="old-key")
    assert second.status_code == 201 and second.get_json()["id"] != first["id"]
    keys = session.execute(sa.select(IdempotencyKey).where(
        IdempotencyKey.key == "old-key")).scalars().all()
    assert len(keys) == 1 and keys[0].response["id"] == second.get_json()["id"]


def test_job_purges_keys_past_the_window_only(app, session, shop, place):
    from core.jobs import run_job

    now = utcnow()
    for key, age in (("stale", timedelta(hours=24, seconds=1)), ("fresh", timedelta(hours=23))):
        assert place(shop.shopper, pickup_body(shop), key=key).status_code == 201
        session.execute(sa.update(IdempotencyKey).where(IdempotencyKey.key == key)
                        .values(created_at=now - age))
    session.commit()
    assert run_job("purge_idempotency_keys", now) == "1 idempotency key(s) purged"
    assert session.execute(sa.select(IdempotencyKey.key)).scalars().all() == ["fresh"]
    assert run_job("purge_idempotency_keys", now) == "0 idempotency key(s) purged"
    replay = place(shop.shopper, pickup_body(shop), key="fresh")
    assert replay.headers.get("Idempotent-Replayed") == "true"


def test_bad_key_is_a_validation_error(session, shop, place):
    before = snapshot(session)
    assert_error(place(shop.shopper, pickup_body(shop), key="k" * 256), 400, "validation_error")
    assert snapshot(session) == before


def _seed_idempotency(app):
    category = Category(slug="cat", name_zh="海参")
    product = Product(sku="HS-IDEM", slug="idem", name_zh="辽参", price_amount=9900,
                      category=category)
    center = Center(code="IDEM", name_zh="门店", is_pickup=True, province="上海市",
                    city="上海市", district="静安区", address_zh="南京西路1号", lat=31.2, lng=121.4)
    db.session.add_all([product, center])
    db.session.flush()
    db.session.add(Stock(center_id=center.id, product_id=product.id, on_hand=50, reserved=0))
    user = User(email="twice@example.com", name="Twice", role="customer", password_hash="x")
    db.session.add(user)
    db.session.flush()
    app.config["IDEM"] = {"center_id": center.id, "token": ApiToken.issue(user, 1)[1]}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_concurrent_duplicates_make_one_order(live_server_factory, backend):
    """Eight identical requests at once under one key: one order, eight identical answers."""
    server = live_server_factory(backend, seed=_seed_idempotency)
    seed = server.app.config["IDEM"]
    body = json.dumps({"lines": [{"sku": "HS-IDEM", "quantity": 1}],
                       "fulfillment": {"method": "pickup", "center_id": seed["center_id"]},
                       "payment_method": "pay_at_pickup"}).encode()
    barrier = threading.Barrier(8)

    def post(_):
        request = urllib.request.Request(
            f"{server.url}{API}/orders", data=body, method="POST",
            headers={"Content-Type": "application/json", "Idempotency-Key": "double-tap",
                     "Authorization": f"Bearer {seed['token']}"})
        barrier.wait(timeout=60)
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(post, range(8)))
    assert {status for status, _ in results} == {201}
    assert len({json.dumps(b, sort_keys=True) for _, b in results}) == 1
    with server.app.app_context():
        assert db.session.execute(sa.select(sa.func.count(Order.id))).scalar_one() == 1
        assert db.session.execute(sa.select(Stock.reserved)).scalar_one() == 1
        db.session.remove()


# --- queries do not grow with the list -----------------------------------------------------


def count_queries(session, call) -> int:
    statements = []

    def count(*_):
        statements.append(1)

    connection = session.connection()
    sa.event.listen(connection, "before_cursor_execute", count)
    try:
        call()
    finally:
        sa.event.remove(connection, "before_cursor_execute", count)
    return len(statements)


def test_lists_take_the_same_queries_for_2_and_6_orders(session, client, shop, place,
                                                        token_for):
    shopper, clerk = token_for(shop.shopper), token_for(shop.clerk)

    def lists():
        assert client.get(f"{API}/me/orders", headers=shopper).status_code == 200
        assert client.get(f"{API}/staff/fulfillments", headers=clerk).status_code == 200

    for _ in range(2):
        place(shop.shopper, pickup_body(shop))
    few = count_queries(session, lists)
    assert few >= 4  # tokens, orders, lines, fulfillments, queue, lines, order refs
    for _ in range(4):
        place(shop.shopper, pickup_body(shop))
    assert count_queries(session, lists) == few


def _statement_word(statement: str) -> str:
    """'INSERT orders', 'SELECT products', 'SET LOCAL lock_timeout': what a statement does and
    to which table (a SELECT by its first table)."""
    words = " ".join(statement.split())
    if re.match(r"WITH \w+ AS \(", words):  # several in one: each part, then the last
        parts, depth, start, end = [], 0, 0, 0
        for end, char in enumerate(words):
            if char == "(":
                depth += 1
                start = end + 1 if depth == 1 else start
            elif char == ")":
                depth -= 1
                if depth == 0:
                    parts.append(words[start:end])
                    if not re.match(r", \w+ AS \(", words[end + 1:]):
                        break
        return " + ".join(_statement_word(part) for part in [*parts, words[end + 2:]])
    if words.startswith("SELECT"):
        return "SELECT " + re.search(r"FROM (\w+)", words).group(1)
    match = re.match(r"(INSERT|UPDATE|DELETE|SET LOCAL)(?: INTO| FROM)? (\w+)", words)
    return f"{match.group(1)} {match.group(2)}" if match else words[:30]


def _locking(seen: list[str]) -> int:
    """Where the stock row's UPDATE is (alone, or with the writes that ride with it)."""
    return next(i for i, words in enumerate(seen) if words.endswith("UPDATE stock"))


def _with_statements(session, request):
    """``request()``'s response and what each of its statements does, in order
    (``_statement_word``)."""
    seen = []

    def record(_connection, _cursor, statement, *_args):
        seen.append(_statement_word(statement))

    connection = session.connection()
    sa.event.listen(connection, "before_cursor_execute", record)
    try:
        return request(), seen
    finally:
        sa.event.remove(connection, "before_cursor_execute", record)


def test_a_member_s_checkout_runs_a_fixed_list_of_statements(session, shop, place, token_for,
                                                               make_product, stock, backend):
    """A member with a phone and an e-mail orders a product priced for their tier: every
    statement of the checkout, in order, from the token to the stock row (the number is
    made in the order's INSERT; the SMS and the e-mail are one INSERT)."""
    product = make_product(price=50000, member_price=45000)
    stock(shop.store, product, 5)
    sign_up_member(shop.shopper, name="王丽", phone="13812345678")
    headers, body = token_for(shop.shopper), pickup_body(shop, product=product)
    session.commit()
    session.expunge_all()  # as a request of its own finds them: nothing known yet
    response, seen = _with_statements(session, lambda: place(shop.shopper, body, headers=headers))
    assert response.status_code == 201, response.get_json()
    checkout = seen[seen.index("SELECT users"):_locking(seen) + 1]
    pg = backend == "postgresql"
    assert checkout == [
        "SELECT users",
        # with the store chosen for pickup and the open membership; on PostgreSQL it also
        # sets the transaction's lock wait
        "SELECT products",
        "SELECT tiers", "SELECT member_prices",  # the tier's rounding, its prices: once
        # on PostgreSQL the order, its fulfillment and their lines are one statement, and
        # the writes nothing reads back ride with the next statement
        *(["INSERT orders + INSERT fulfillments + INSERT order_lines"
           " + INSERT fulfillment_lines + SELECT parent",  # the order's family and its work
           "INSERT crm_figures_due + INSERT outbox_messages + SELECT lots",
           "INSERT stock_movements + UPDATE stock"] if pg else
          ["INSERT orders", "INSERT order_lines", "INSERT fulfillments",
           "INSERT fulfillment_lines", "INSERT crm_figures_due", "INSERT outbox_messages",
           "SELECT lots", "INSERT stock_movements", "UPDATE stock"])]
    order = session.execute(sa.select(Order).where(
        Order.public_id == response.get_json()["id"])).scalar_one()
    assert order.number.endswith(f"-{order.id:04d}") and order.total_amount == 45000
    if pg:  # the test's transaction is still the request's: its SET LOCAL holds
        assert session.execute(sa.text("SHOW lock_timeout")).scalar_one() == "1min"


def test_a_checkout_that_reads_its_products_apart_still_limits_its_lock_wait(
        session, shop, place, make_product, stock, backend):
    """A pickup of more products than one read takes sets the lock wait by its own
    statement (the read that sets it is the pickup's combined one)."""
    if backend != "postgresql":
        pytest.skip("lock_timeout is PostgreSQL's")
    products = [make_product(price=1000) for _ in range(9)]
    for product in products:
        stock(shop.store, product, 5)
    body = pickup_body(shop, product=products[0])
    body["lines"] = [{"sku": p.sku, "quantity": 1} for p in products]
    response, seen = _with_statements(session, lambda: place(shop.shopper, body))
    assert response.status_code == 201, response.get_json()
    assert "SET LOCAL lock_timeout" in seen
    assert session.execute(sa.text("SHOW lock_timeout")).scalar_one() == "1min"


def test_the_stock_row_waits_for_nothing_but_the_commit(session, shop, place, stock,
                                                        make_product):
    """The answer (and the copy an Idempotency-Key keeps of it) is made before the stock
    row's UPDATE: in a flash sale the hot row is held for that statement and the commit
    only. The answer still shows the order as placed, and the key replays it."""
    product = make_product(price=50000)
    stock(shop.store, product, 5)
    body = pickup_body(shop, product=product)
    response, seen = _with_statements(session, lambda: place(shop.shopper, body, key="flash-1"))
    assert response.status_code == 201, response.get_json()
    after = seen[_locking(seen) + 1:]
    assert after[0].startswith(("RELEASE", "COMMIT"))  # the commit (a savepoint's, here)
    assert seen.index("UPDATE idempotency_keys") < _locking(seen)
    answer = response.get_json()
    assert answer["fulfillment"]["status"] == "reserved" and answer["lines"][0]["quantity"] == 1
    assert session.execute(sa.select(Stock.reserved).where(
        Stock.center_id == shop.store.id, Stock.product_id == product.id)).scalar_one() == 1
    again = place(shop.shopper, body, key="flash-1")
    assert again.get_json() == answer and again.headers["Idempotent-Replayed"] == "true"


def test_a_shopper_reading_english_gets_the_answer_in_english_and_the_confirmation_in_the_shop_s(
        session, shop, place, token_for):
    """The answer speaks the request's language; the SMS and e-mail the order queues speak the
    shop's (zh_CN), names and amounts included, whatever the request's."""
    from crm.outreach.models import OutboxMessage

    shop.shopper.phone = "13800001234"
    headers = {**token_for(shop.shopper), "Accept-Language": "en-US,en;q=0.9"}
    response = place(shop.shopper, pickup_body(shop), headers=headers)
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    assert answer["lines"][0]["name"] == shop.products[0].name_en
    messages = session.execute(sa.select(OutboxMessage).where(
        OutboxMessage.kind == "order_confirmed",
        OutboxMessage.dedupe_key.like("confirmed:%"))).scalars().all()
    assert {m.channel for m in messages} == {"sms", "email"}
    for message in messages:
        assert answer["number"] in message.body and "取货码" in message.body
        assert shop.store.name_zh in message.body and shop.store.name_en not in message.body
        assert "¥128.00" in message.body and "已收到订单" in message.subject
