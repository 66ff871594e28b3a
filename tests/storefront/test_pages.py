"""The shopper's pages: catalog, cart, checkout, orders, accounts and the VIP club."""

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask import g

from core.cache import mark_changed
from core.clock import shop_today
from core.extensions import db
from fulfillment import services as desk
from fulfillment.models import Fulfillment, Stock
from storefront import cart as carts
from storefront.loyalty.membership import membership_of
from storefront.loyalty.models import Membership
from storefront.models import CartItem, Category, Order
from storefront.orders import place_order
from tests.conftest import PASSWORD
from tests.support.forms import checkout_data
from tests.support.pages import login

# --- helpers ----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fresh_request_state(client, monkeypatch):
    """Each request starts afresh, as in production. The test's app context outlives the
    requests, and so does ``g``: the signed-in user, the locale and the CSRF token that
    Flask-Login, Flask-Babel and Flask-WTF keep there must not leak into the next request."""
    open_ = client.open

    def fresh_open(*args, **kwargs):
        for name in ("_login_user", "_flask_babel", "csrf_token"):
            g.pop(name, None)
        kwargs.setdefault("buffered", True)  # read whole and closed, as a server does
        return open_(*args, **kwargs)

    monkeypatch.setattr(client, "open", fresh_open)


def english(client):
    db.session.commit()
    client.set_cookie("lang", "en")


def page(client, url, status=200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def add_to_cart(client, product, quantity=1):
    return client.post("/cart/add", data={"product_id": product.id, "quantity": quantity})


ADDRESS = {"name": "王女士", "phone": "13812345678", "province": "上海市", "city": "上海市",
           "district": "徐汇区", "street": "漕溪北路 88 号"}


def counts(session) -> tuple[int, int, int]:
    """(orders, fulfillments, units reserved anywhere): what a refused checkout must not touch."""
    session.expire_all()
    return (session.execute(sa.select(sa.func.count()).select_from(Order)).scalar_one(),
            session.execute(sa.select(sa.func.count()).select_from(Fulfillment)).scalar_one(),
            session.execute(sa.select(sa.func.coalesce(sa.func.sum(Stock.reserved), 0)))
            .scalar_one())


def cart_of(session, user) -> dict[int, int]:
    session.expire_all()
    return dict(session.execute(sa.select(CartItem.product_id, CartItem.quantity)
                                .where(CartItem.user_id == user.id)).all())


def orders_of(session, user) -> list[Order]:
    session.expire_all()
    return list(session.execute(sa.select(Order).where(Order.user_id == user.id)
                                .order_by(Order.id)).scalars())


# --- language ---------------------------------------------------------------------------------


def test_pages_are_chinese_by_default_and_english_after_the_switch(client, shop):
    db.session.commit()
    product = shop.products[0]
    html = page(client, "/products")
    assert 'lang="zh-CN"' in html and product.name_zh in html
    assert "¥128.00" in html and "CN¥" not in html

    response = client.get("/lang/en?next=/products")
    assert response.status_code == 302 and response.headers["Location"] == "/products"
    html = page(client, "/products")
    assert 'lang="en"' in html and product.name_en in html and "¥128.00" in html
    assert "CN¥" not in html  # the shop's sign in English too
    html = page(client, f"/products/{product.slug}")
    assert product.name_en in html and "Add to cart" in html


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_every_page_renders_in_both_languages(client, shop, lang):
    login(client, shop.shopper, lang=lang)
    urls = ["/", "/products", f"/products/{shop.products[0].slug}", "/cart", "/checkout",
            "/orders", "/account", "/vip", "/member"]
    for url in urls:
        html = page(client, url)
        assert (('lang="zh-CN"' if lang == "zh_CN" else 'lang="en"') in html), url
        assert shop.shopper.name in html, url  # the header knows who is signed in


def test_anonymous_pages_render(client, shop):
    db.session.commit()
    for url in ["/", "/products", "/cart", "/vip", "/member", "/login", "/register"]:
        assert "<main" in page(client, url), url


# --- catalog ----------------------------------------------------------------------------------


def test_catalog_filters_by_category_and_search(client, make_product, session):
    formula = Category(slug="formula-test", name_zh="奶粉", name_en="Formula")
    session.add(formula)
    sea = make_product(name="淡干海参 20头")
    milk = make_product(name="婴儿配方奶粉 1段", category=formula)
    english(client)

    html = page(client, "/products?category=formula-test")
    assert milk.name_en in html and sea.name_en not in html
    assert 'aria-current="page">Formula<' in html
    html = page(client, "/products?q=海参")
    assert sea.name_en in html and milk.name_en not in html
    html = page(client, f"/products?q={milk.sku.lower()}")
    assert milk.name_en in html and sea.name_en not in html
    html = page(client, "/products?q=nothing-sells-like-this")
    assert 'data-testid="no-products"' in html and "No products match" in html
    html = page(client, "/products?category=no-such-category")
    assert 'data-testid="no-products"' in html
    assert page(client, "/products?page=abc").count('data-testid="product-card"') == 2


def test_catalog_shows_the_member_price_teaser(client, make_product):
    with_member = make_product(price=39800, member_price=35800)
    without = make_product(price=26800)
    english(client)
    html = page(client, "/products")
    assert "Member price (Classic) from ¥358.00" in html
    card = html.split(without.name_en)[1].split("</article>")[0]
    assert "Member price" not in card and with_member.name_en in html


def test_product_page_shows_prices_supply_and_stock(client, shop, make_product, stock):
    formula = make_product(price=32800, member_price=29800, days_of_supply=25)
    stock(shop.store, formula, 3)
    stock(shop.far_store, formula, 0)
    english(client)
    html = page(client, f"/products/{formula.slug}")
    assert formula.name_en in html and "¥328.00" in html and "¥298.00" in html
    assert "One unit lasts about 25 days." in html
    assert "In stock at 1 store for pickup." in html
    assert re.search(r'<img|product-placeholder', html)

    missing = make_product()
    english(client)
    html = page(client, f"/products/{missing.slug}")
    assert "Currently out of stock." in html
    assert re.search(r'type="submit" disabled', html)
    page(client, "/products/no-such-product", status=404)


def test_catalog_cache_follows_price_and_stock_changes(client, shop, session):
    product = shop.products[0]
    english(client)
    html = page(client, f"/products/{product.slug}")
    assert "In stock at 2 stores for pickup." in html and "¥128.00" in html

    product.price_amount = 9900
    mark_changed(session, "catalog")
    desk.set_stock(shop.store.id, product.id, 0, shop.clerk)
    session.commit()
    html = page(client, f"/products/{product.slug}")
    assert "In stock at 1 store for pickup." in html and "¥99.00" in html
    assert "¥99.00" in page(client, "/products")

    desk.set_stock(shop.far_store.id, product.id, 0, shop.far_clerk)
    desk.set_stock(shop.hub.id, product.id, 0, shop.hub_clerk)
    session.commit()
    assert "Currently out of stock." in page(client, f"/products/{product.slug}")


def test_anonymous_catalog_is_cacheable_and_writes_no_session(client, shop):
    db.session.commit()
    for url in ["/", "/products", f"/products/{shop.products[0].slug}"]:
        response = client.get(url)
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers, url
        assert "no-cache" in response.headers["Cache-Control"]
    response = client.get("/products")
    etag = response.headers["ETag"]
    again = client.get("/products", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_signed_in_catalog_is_private(client, shop):
    login(client, shop.shopper)
    response = client.get("/products")
    assert response.headers["Cache-Control"].startswith("private")
    assert "ETag" not in response.headers


# --- cart -------------------------------------------------------------------------------------


def test_guest_cart_add_update_remove(client, shop):
    english(client)
    product = shop.products[0]
    response = add_to_cart(client, product, 2)
    assert response.status_code == 302 and response.headers["Location"] == "/cart"
    with client.session_transaction() as s:
        assert s["cart"] == {str(product.id): 2}
    html = page(client, "/cart")
    assert product.name_en in html and 'data-testid="cart-count">2<' in html
    assert "¥256.00" in html

    client.post("/cart/update", data={"product_id": product.id, "quantity": 5})
    with client.session_transaction() as s:
        assert s["cart"] == {str(product.id): 5}
    client.post("/cart/remove", data={"product_id": product.id})
    with client.session_transaction() as s:
        assert s["cart"] == {}
    html = page(client, "/cart")
    assert 'data-testid="empty-cart"' in html and "Your cart is empty" in html


@pytest.mark.parametrize("quantity", ["0", "-1", "100", "abc", ""])
def test_bad_cart_quantities_change_nothing(client, shop, quantity):
    english(client)
    product = shop.products[0]
    add_to_cart(client, product, 2)
    client.post("/cart/add", data={"product_id": product.id, "quantity": quantity})
    if quantity != "0":
        client.post("/cart/update", data={"product_id": product.id, "quantity": quantity})
    with client.session_transaction() as s:
        assert s["cart"] == {str(product.id): 2}
    flash = page(client, "/cart").split('<div class="flash error" role="status">')[1]
    assert "quantity" in flash.split("</div>")[0]


def test_unknown_product_is_not_added(client, shop):
    english(client)
    response = client.post("/cart/add", data={"product_id": 99999999, "quantity": 1})
    assert response.status_code == 302
    with client.session_transaction() as s:
        assert not s.get("cart")
    assert "Unknown product." in page(client, "/cart")


def test_signed_in_cart_lives_in_the_database(client, shop, session):
    login(client, shop.shopper)
    product = shop.products[1]
    add_to_cart(client, product, 3)
    assert cart_of(session, shop.shopper) == {product.id: 3}
    assert 'data-testid="cart-count">3<' in page(client, "/products")
    client.post("/cart/update", data={"product_id": product.id, "quantity": 1})
    assert cart_of(session, shop.shopper) == {product.id: 1}
    client.post("/cart/remove", data={"product_id": product.id})
    assert cart_of(session, shop.shopper) == {}


def test_guest_cart_merges_into_the_account_at_login(client, shop, session):
    a, b = shop.products[:2]
    carts.add_item(shop.shopper, {}, a.id, 1)
    english(client)
    add_to_cart(client, a, 2)
    add_to_cart(client, b, 1)
    response = client.post("/login?next=/cart", data={"identifier": shop.shopper.email,
                                                      "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/cart"
    assert cart_of(session, shop.shopper) == {a.id: 3, b.id: 1}
    with client.session_transaction() as s:
        assert "cart" not in s
    assert 'data-testid="cart-count">4<' in page(client, "/cart")


def test_first_visit_gets_a_token_only_when_adding(app, client, shop, monkeypatch):
    """The cached product page writes no session; adding without a token asks to confirm."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    english(client)
    product = shop.products[0]
    response = client.get(f"/products/{product.slug}")
    assert "Set-Cookie" not in response.headers
    assert 'name="csrf_token" value=""' in response.get_data(as_text=True)

    response = add_to_cart(client, product, 2)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Add to your cart?" in html
    with client.session_transaction() as s:
        assert not s.get("cart")
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    response = client.post("/cart/add", data={"product_id": product.id, "quantity": 2,
                                              "csrf_token": token})
    assert response.status_code == 302
    with client.session_transaction() as s:
        assert s["cart"] == {str(product.id): 2}
    # Now the visitor has a token, and the cached page carries it (signed anew each second:
    # the same session token, perhaps another timestamp).
    again = re.search(r'name="csrf_token" value="([^"]+)"',
                      page(client, f"/products/{product.slug}")).group(1)
    assert again.split(".")[0] == token.split(".")[0]
    assert client.get("/cart/token").get_json()["csrf_token"]
    # Other forms still refuse a missing token outright.
    assert client.post("/cart/remove", data={"product_id": product.id}).status_code == 400
    with client.session_transaction() as s:
        assert s["cart"] == {str(product.id): 2}


# --- accounts ---------------------------------------------------------------------------------


def test_login_refuses_wrong_passwords_and_foreign_next(client, shop):
    english(client)
    response = client.post("/login", data={"identifier": shop.shopper.email,
                                           "password": "nope"})
    assert response.status_code == 400
    assert "Wrong phone, e-mail or password." in response.get_data(as_text=True)
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        client.post("/logout")
        response = client.post("/login", query_string={"next": target},
                               data={"identifier": shop.shopper.email, "password": PASSWORD})
        assert response.status_code == 302
        assert "evil" not in response.headers["Location"]


def test_register_confirms_by_link_and_never_tells_an_address_is_taken(client, session,
                                                                         mailbox):
    english(client)
    data = {"email": "Mei@Example.com", "name": "李梅", "phone": "13900002222",
            "password": "long enough", "confirm": "long enough"}
    response = client.post("/register", data=data)
    first = response.get_data(as_text=True)
    assert response.status_code == 200 and "Look in your inbox" in first
    assert client.get("/account").status_code == 302  # not signed in before the link
    response = client.post(mailbox.link_for("mei@example.com"), data={"password": "long enough"})
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    html = page(client, "/account")
    assert "mei@example.com" in html and "李梅" in html

    client.post("/logout")
    response = client.post("/register", data=data)
    assert response.status_code == 200
    def main(html):
        return html[html.index('<div class="narrow">'):html.index("</main>")]

    assert main(response.get_data(as_text=True)) == main(first)  # the same words
    assert "already has one" in mailbox.sent[-1][2]
    response = client.post("/register", data={**data, "email": "x@example.com",
                                              "password": "short", "confirm": "short"})
    assert response.status_code == 400 and "at least 8" in response.get_data(as_text=True)
    response = client.post("/register", data={**data, "email": "y@example.com",
                                              "confirm": "different"})
    assert response.status_code == 400 and "differ" in response.get_data(as_text=True)


def test_logout_needs_post_and_signs_out(client, shop):
    login(client, shop.shopper)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 302
    assert client.get("/account").status_code == 302


# --- checkout ---------------------------------------------------------------------------------


def test_anonymous_checkout_goes_to_sign_in(client):
    response = client.get("/checkout")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=%2Fcheckout")


def test_checkout_with_an_empty_cart_says_so(client, shop):
    login(client, shop.shopper)
    html = page(client, "/checkout")
    assert 'data-testid="empty-cart"' in html


def test_checkout_lists_pickup_stores_with_hours_stock_and_distance(client, shop, stock):
    product = shop.products[0]
    stock(shop.far_store, product, 0)
    login(client, shop.shopper)
    add_to_cart(client, product, 1)
    html = page(client, "/checkout")
    assert shop.store.name_en in html and shop.far_store.name_en in html
    assert shop.hub.name_en not in html.split('data-method="delivery"')[0]
    assert "Open 10:00–21:00" in html and "Has every item today" in html
    assert "Not every item in stock today" in html and " km" not in html
    html = page(client, f"/checkout?lat={shop.far_store.lat}&lng={shop.far_store.lng}")
    assert "0.0 km" in html
    assert html.index(shop.far_store.name_en) < html.index(shop.store.name_en)
    assert "checkout.js" in html


def test_checkout_pickup_creates_an_order(client, shop, session):
    a, b = shop.products[:2]
    login(client, shop.shopper)
    add_to_cart(client, a, 2)
    add_to_cart(client, b, 1)
    response = client.post("/checkout", data=checkout_data([(a, 2), (b, 1)], center=shop.store))
    assert response.status_code == 302
    [order] = orders_of(session, shop.shopper)
    assert response.headers["Location"] == f"/orders/{order.public_id}"
    assert order.fulfillment_method == "pickup" and order.center_id == shop.store.id
    assert order.status == "confirmed" and order.payment_method == "pay_at_pickup"
    assert order.total_amount == 2 * a.price_amount + b.price_amount
    assert cart_of(session, shop.shopper) == {}

    html = page(client, response.headers["Location"])
    assert order.number in html and "We are preparing your order" in html
    assert shop.store.name_en in html and 'class="pickup-code"' not in html
    html = page(client, "/orders")
    assert order.number in html and "Confirmed" in html and "Store pickup" in html


def test_checkout_delivery_creates_an_order(client, shop, session):
    product = shop.products[0]
    login(client, shop.shopper)
    add_to_cart(client, product, 1)
    response = client.post("/checkout", data=checkout_data(
        [(product, 1)], method="delivery", **ADDRESS, note="请下午送"))
    assert response.status_code == 302
    [order] = orders_of(session, shop.shopper)
    assert order.fulfillment_method == "delivery" and order.center_id == shop.hub.id
    assert order.payment_method == "cash_on_delivery" and order.note == "请下午送"
    html = page(client, "/orders")
    assert order.number in html and "Home delivery" in html
    html = page(client, f"/orders/{order.public_id}")
    assert "漕溪北路 88 号" in html and "We are preparing your delivery" in html


def test_checkout_only_orders_the_lines_confirmed(client, shop, session):
    a, b = shop.products[:2]
    login(client, shop.shopper)
    add_to_cart(client, a, 2)
    add_to_cart(client, b, 1)
    response = client.post("/checkout", data=checkout_data([(a, 3)], center=shop.store))
    assert response.status_code == 302
    [order] = orders_of(session, shop.shopper)
    assert [(ln.sku, ln.quantity) for ln in order.lines] == [(a.sku, 3)]
    assert cart_of(session, shop.shopper) == {b.id: 1}


def _refused(client, session, data, status, *texts):
    before = counts(session)
    response = client.post("/checkout", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == status, html
    for text in texts:
        assert text in html
    assert 'id="checkout-form"' in html  # the form again, with what was typed
    assert counts(session) == before
    return html


def test_checkout_refuses_an_address_nobody_delivers_to(client, shop, session):
    product = shop.products[0]
    login(client, shop.shopper)
    add_to_cart(client, product, 1)
    html = _refused(client, session, checkout_data(
        [(product, 1)], method="delivery", **{**ADDRESS, "district": "黄浦区"}), 422,
        "We don&#39;t deliver to this address yet", 'data-kind="no_center"',
        "Choose pickup instead")
    assert 'value="黄浦区"' in html
    assert cart_of(session, shop.shopper) == {product.id: 1}


def test_checkout_names_what_is_short_and_where_it_is(client, shop, session, stock):
    product = shop.products[0]
    stock(shop.store, product, 1)
    login(client, shop.shopper)
    add_to_cart(client, product, 3)
    html = _refused(client, session, checkout_data([(product, 3)], center=shop.store), 409,
                    'data-kind="stock"', product.name_en,
                    "you asked for 3, 1 available", 'data-testid="alternatives"')
    alternatives = html.split('data-testid="alternatives"')[1].split("</ul>")[0]
    assert shop.far_store.name_en in alternatives and shop.store.name_en not in alternatives


def test_checkout_delivery_short_of_stock_is_refused(client, shop, session, stock):
    product = shop.products[0]
    stock(shop.hub, product, 0)
    login(client, shop.shopper)
    add_to_cart(client, product, 1)
    _refused(client, session, checkout_data([(product, 1)], method="delivery", **ADDRESS), 409,
             'data-kind="stock"', product.name_en)


@pytest.mark.parametrize("quantity", ["0", "-2", "100", "1.5", "abc", ""])
def test_checkout_refuses_bad_quantities(client, shop, session, quantity):
    product = shop.products[0]
    login(client, shop.shopper)
    add_to_cart(client, product, 1)
    _refused(client, session, checkout_data([(product, quantity)], center=shop.store), 400,
             "Please check the fields marked below.")


@pytest.mark.parametrize("missing", ["name", "phone", "province", "city", "district", "street"])
def test_checkout_delivery_needs_the_whole_address(client, shop, session, missing):
    product = shop.products[0]
    login(client, shop.shopper)
    add_to_cart(client, product, 1)
    address = {k: v for k, v in ADDRESS.items() if k != missing}
    html = _refused(client, session, checkout_data([(product, 1)], method="delivery", **address),
                    400, "Please fill this in for delivery.")
    assert f'id="{missing}-error"' in html


@pytest.mark.parametrize("case", ["cash_for_pickup", "pickup_for_delivery", "stripe",
                                  "no_store", "delivery_center_for_pickup", "bad_phone",
                                  "not_in_cart", "no_lines", "unknown_method", "injection"])
def test_checkout_refuses_inconsistent_input(client, shop, session, case):
    a, b = shop.products[:2]
    login(client, shop.shopper)
    add_to_cart(client, a, 1)
    data = {
        "cash_for_pickup": checkout_data([(a, 1)], center=shop.store, payment="cash_on_delivery"),
        "pickup_for_delivery": checkout_data([(a, 1)], method="delivery", **ADDRESS,
                                             payment="pay_at_pickup"),
        "stripe": checkout_data([(a, 1)], center=shop.store, payment="stripe"),
        "no_store": checkout_data([(a, 1)]),
        "delivery_center_for_pickup": checkout_data([(a, 1)], center=shop.hub),
        "bad_phone": checkout_data([(a, 1)], method="delivery", **{**ADDRESS, "phone": "call me"}),
        "not_in_cart": checkout_data([(b, 1)], center=shop.store),
        "no_lines": checkout_data([], center=shop.store),
        "unknown_method": checkout_data([(a, 1)], method="drone", center=shop.store),
        "injection": checkout_data([(a, 1)], method="delivery",
                                   **{**ADDRESS, "district": "'; DROP TABLE orders; --"}),
    }[case]
    status = 422 if case == "injection" else 400
    html = _refused(client, session, data, status)
    assert "DROP TABLE orders" not in html or "&#39;; DROP TABLE orders" in html


# --- orders -----------------------------------------------------------------------------------


def _pickup_order(shop, user=None, quantity=1):
    order = place_order(user or shop.shopper,
                        lines=[{"sku": shop.products[0].sku, "quantity": quantity}],
                        fulfillment={"method": "pickup", "center_id": shop.store.id},
                        payment_method="pay_at_pickup")
    db.session.commit()
    return order


def _fulfillment(session, order) -> Fulfillment:
    session.expire_all()
    return session.execute(sa.select(Fulfillment)
                           .where(Fulfillment.order_id == order.id)).scalar_one()


def test_orders_page_without_orders_is_designed(client, shop):
    login(client, shop.shopper)
    html = page(client, "/orders")
    assert 'data-testid="no-orders"' in html and "No orders yet" in html


def test_orders_are_listed_newest_first(client, shop):
    first, second = _pickup_order(shop), _pickup_order(shop)
    login(client, shop.shopper)
    html = page(client, "/orders")
    assert html.index(second.number) < html.index(first.number)


def test_pickup_code_and_qr_show_only_when_ready_and_only_to_the_owner(
        client, shop, session, make_user):
    order = _pickup_order(shop)
    url = f"/orders/{order.public_id}"
    login(client, shop.shopper)
    html = page(client, url)
    assert 'class="pickup-code"' not in html and "qr.svg" not in html
    assert client.get(f"{url}/qr.svg").status_code == 404

    f = _fulfillment(session, order)
    desk.mark_ready(f, shop.clerk)
    session.commit()
    html = page(client, url)
    assert f'<p class="pickup-code" data-testid="pickup-code">{f.pickup_code}</p>' in html
    assert len(f.pickup_code) >= 6 and f"{url}/qr.svg" in html and "Ready for pickup" in html
    response = client.get(f"{url}/qr.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert b"<svg" in response.data and "no-store" in response.headers["Cache-Control"]
    # A full QR code (21 modules a side and more, plus the border), not a Micro QR: every
    # scanner reads it, the desk's jsQR included.
    size = int(re.search(rb'viewBox="0 0 (\d+) ', response.data).group(1))
    assert size >= 21 + 2 * 2
    assert "Cancel order" not in html  # too late for the owner to cancel

    login(client, make_user())
    assert client.get(url).status_code == 404
    assert client.get(f"{url}/qr.svg").status_code == 404
    assert client.post(f"{url}/cancel").status_code == 404
    login(client, shop.clerk)  # staff of the center may look, but the code is the shopper's
    html = page(client, url)
    assert order.number in html and f.pickup_code not in html
    assert client.get(f"{url}/qr.svg").status_code == 404
    login(client, shop.far_clerk)
    assert client.get(url).status_code == 404
    assert client.get("/orders/no-such-order").status_code == 404


def test_owner_cancels_before_the_store_prepares_it(client, shop, session):
    order = _pickup_order(shop, quantity=2)
    url = f"/orders/{order.public_id}"
    login(client, shop.shopper)
    assert "Cancel order" in page(client, url)
    response = client.post(f"{url}/cancel")
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Order, order.id).status == "cancelled"
    html = page(client, url)
    assert "This order is cancelled" in html and "Cancel order" not in html
    assert counts(session)[2] == 0


def test_picked_up_order_says_so(client, shop, session):
    order = _pickup_order(shop)
    f = _fulfillment(session, order)
    desk.mark_ready(f, shop.clerk)
    desk.hand_over(f, f.pickup_code, shop.clerk, collected={"method": "cash"})
    login(client, shop.shopper)
    html = page(client, f"/orders/{order.public_id}")
    assert "Picked up. Enjoy!" in html and 'class="pickup-code"' not in html
    assert "Completed" in html


# --- the VIP club -----------------------------------------------------------------------------


def test_vip_for_anonymous_visitors_invites_to_sign_in(client):
    english(client)
    html = page(client, "/vip")
    assert "What members get" in html and "/login?next=/vip" in html
    assert "/register?next=/vip" in html
    assert client.post("/vip", data={"name": "x"}).status_code == 302
    assert 'data-testid="member-join"' in page(client, "/member")


def test_vip_signup_gives_a_card_at_once(client, shop, session):
    login(client, shop.shopper)
    html = page(client, "/vip")
    consent = re.search(r'<input[^>]*name="marketing_consent"[^>]*>', html).group(0)
    assert "checked" not in consent
    assert "Sea cucumber recipes" in html and "erase" in html  # interests; the privacy note

    baby = shop_today() + timedelta(days=60)  # a due date
    response = client.post("/vip", data={
        "name": "王芳", "phone": "139 0000 1111", "birthday": "1990-05-01",
        "baby_birthday": baby.isoformat(), "city": "上海", "interests": ["formula", "events"]})
    assert response.status_code == 302 and response.headers["Location"] == "/vip"
    session.expire_all()
    membership = membership_of(shop.shopper)
    assert membership.card_number.startswith("VIP") and membership.tier == "classic"
    assert membership.interests == ["formula", "events"] and membership.marketing_consent is False
    assert membership.baby_birthday == baby and membership.birthday == date(1990, 5, 1)

    html = page(client, "/vip")
    assert 'class="vip-card' in html and membership.card_number in html
    assert "Classic card" in html
    html = page(client, "/account")
    assert membership.card_number in html and "Classic card" in html
    html = page(client, "/member")
    assert membership.card_number in html and 'data-testid="member-points">0<' in html

    # Applying again changes nothing and shows the card.
    response = client.post("/vip", data={"name": "x", "phone": "13900001111"})
    assert response.status_code == 200 and membership.card_number in response.get_data(True)
    assert session.execute(sa.select(sa.func.count()).select_from(Membership)
                           .where(Membership.user_id == shop.shopper.id)).scalar_one() == 1


@pytest.mark.parametrize("field,value", [
    ("phone", "not a phone"), ("phone", ""), ("name", ""), ("birthday", "1990-13-01"),
    ("birthday", timedelta(days=2)), ("baby_birthday", timedelta(days=400)),  # from today
    ("interests", "casino")])
def test_vip_signup_refuses_bad_input(client, shop, session, field, value, clock):
    if isinstance(value, timedelta):
        value = (clock.today() + value).isoformat()
    login(client, shop.shopper)
    data = {"name": "王芳", "phone": "13900001111", "marketing_consent": "y", field: value}
    response = client.post("/vip", data=data)
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    session.expire_all()
    assert membership_of(shop.shopper) is None


def test_vip_marketing_consent_is_recorded_when_ticked(client, shop, session):
    login(client, shop.shopper)
    client.post("/vip", data={"name": "王芳", "phone": "13900001111", "marketing_consent": "y"})
    session.expire_all()
    assert membership_of(shop.shopper).marketing_consent is True


def test_tier_labels_are_the_card_names(app):
    from storefront.pages import tier_label

    with app.test_request_context(headers={"Cookie": "lang=en"}):
        assert [tier_label(t) for t in ("classic", "silver", "gold", "diamond")] == [
            "Classic card", "Silver card", "Gold card", "Diamond card"]
