"""Page addresses, query strings and forms that once gave a 500 (core/inputs.py answers
them at the edge): an error page or the page itself, never a server error, nothing written.
One test per family, on both databases."""

import pytest
import sqlalchemy as sa
from flask import g

from core.extensions import db
from fulfillment.models import DeliveryZone
from storefront.models import Order

from ..support.pages import session_token

TOO_BIG_IDS = [str(2**31), str(2**63), "9" * 30, "9" * 5000]
HOSTILE_NUMBERS = ["abc", "-1", "0", "1e3", "1.5", str(2**31), "9" * 30, "²", " "]


@pytest.fixture(autouse=True)
def _fresh_request_state(client, monkeypatch):
    """Each request starts afresh, as in production (the test's app context outlives the
    requests, and Flask-Login, Flask-Babel and Flask-WTF keep their state in ``g``)."""
    open_ = client.open

    def fresh_open(*args, **kwargs):
        for name in ("_login_user", "_flask_babel", "csrf_token"):
            g.pop(name, None)
        return open_(*args, **kwargs)

    monkeypatch.setattr(client, "open", fresh_open)


def login(client, user, lang="en"):
    """Sign ``user`` in, the test's rows committed first (an error page rolls back)."""
    db.session.commit()
    client.set_cookie("lang", lang)
    with client.session_transaction() as s:
        s["_user_id"] = session_token(user)
        s["_fresh"] = True


def call(client, url, method="GET", **kwargs):
    response = client.open(url, method=method, **kwargs)
    text = response.get_data(as_text=True)
    assert response.status_code < 500 and "Traceback" not in text, (url, kwargs)
    return response


def test_a_nul_in_a_search_is_refused_with_a_page(client, shop):
    for user, url, key in [(shop.shopper, "/products", "q"), (shop.shopper, "/products",
                                                              "category"),
                           (shop.agent, "/crm/customers", "q"), (shop.agent, "/crm/coupons", "q"),
                           (shop.admin, "/admin/orders/", "q"), (shop.clerk, "/desk/member",
                                                                 "code")]:
        login(client, user)
        for value in ("a\x00b", "\x00", "tab\tin a search"):
            response = call(client, url, query_string={key: value})
            assert response.status_code == 400, (url, key, value)
            assert "Some fields are not valid." in response.get_data(as_text=True)


def test_an_id_past_its_column_is_not_found(client, shop):
    login(client, shop.admin)
    for number in TOO_BIG_IDS:
        for url in (f"/orders/{number}", f"/crm/customers/{number}",
                    f"/crm/complaints/{number}", f"/admin/products/{number}/edit",
                    f"/crm/club/events/{number}", f"/admin/lots/{number}"):
            response = call(client, url)
            assert response.status_code == 404, url
            assert "Not found." in response.get_data(as_text=True)


def test_page_numbers_and_ids_in_a_query_that_are_no_number(client, shop):
    """A page number out of range shows a page; an id no column holds finds nothing."""
    login(client, shop.admin)
    for value in HOSTILE_NUMBERS:
        for url, key in [("/products", "page"), ("/admin/orders/", "page"),
                         ("/crm/customers", "page"), ("/crm/outbox", "page"),
                         ("/crm/recalls", "lot"), ("/crm/complaints", "lot"),
                         ("/crm/access-log", "customer"), ("/crm/access-log", "staff")]:
            assert call(client, url, query_string={key: value}).status_code == 200, (url, value)
        for url in ("/desk", "/desk/stock"):  # the desk of a center that does not exist
            assert call(client, url, query_string={"center": value}).status_code in (200, 404)


def test_a_form_with_a_nul_or_a_number_no_column_holds_changes_nothing(client, shop, session):
    session.commit()  # the shop outlives the refusals (an error page rolls back)
    orders = session.execute(sa.select(sa.func.count()).select_from(Order)).scalar_one()
    # signing in and the cart, as a visitor
    for data in ({"email": "a\x00b@example.com", "password": "x"},
                 {"email": shop.shopper.email, "password": "pass\x00word"}):
        assert call(client, "/login", method="POST", data=data).status_code == 400
    for product_id in TOO_BIG_IDS[:3]:
        response = call(client, "/cart/add", method="POST",
                       data={"product_id": product_id, "quantity": 1})
        with client.session_transaction() as s:
            assert not s.get("cart"), response.status_code
    # the back office and the customer center
    login(client, shop.admin)
    url = f"/admin/centers/{shop.hub.id}/zones"
    for fee in ("NaN", "sNaN", "Infinity", "-Infinity"):
        call(client, url, method="POST", data={
            "zone-name": "近郊", "zone-fee": fee, "zone-districts": "上海市 上海市 徐汇区"})
    assert session.execute(sa.select(sa.func.count()).select_from(DeliveryZone)).scalar_one() \
        == 0
    login(client, shop.agent)
    for lot_id in TOO_BIG_IDS[:3]:
        response = call(client, "/crm/recalls", method="POST", data={"lot_id": lot_id})
        assert response.status_code == 400
    for field, value in [("max_recency_days", "1000000000"), ("min_recency_days", "999999"),
                         ("min_monetary", "30000000")]:
        response = call(client, "/crm/segments/count", method="POST", data={field: value})
        assert response.status_code == 400 and field in response.get_json()["errors"]
    response = call(client, "/crm/customers/new", method="POST",
                   data={"name": "王\x00丽", "phone": "13800000009"})
    assert response.status_code == 400
    session.expire_all()
    assert session.execute(sa.select(sa.func.count()).select_from(Order)).scalar_one() == orders


def test_a_body_past_the_limit_is_413_on_a_page(client, shop, app):
    login(client, shop.agent)
    response = client.post("/crm/customers/new", data={"notes": "x" * app.config[
        "MAX_CONTENT_LENGTH"]})
    assert response.status_code == 413
    assert "The request is too large." in response.get_data(as_text=True)
