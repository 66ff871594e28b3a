"""Coupons: issued to a shopper, applied at checkout (page and API), used once, given back."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.clock import utcnow
from core.errors import Conflict
from core.extensions import db
from storefront import coupons, orders
from storefront.coupon_models import CouponState
from storefront.models import Order
from tests.support.forms import checkout_data
from tests.support.pages import login

pytestmark = pytest.mark.dates  # calendar rules: CI runs these shifted too


def pickup_at(center):
    return {"method": "pickup", "center_id": center.id}


def give(user, amount=3000, minimum=0, days=30, **kw):
    return coupons.issue_coupon(user.id, amount=amount, minimum_amount=minimum,
                                source="manual", valid_days=days, **kw)


def place(shop, user=None, coupon=None, quantity=1, product=None):
    product = product or shop.products[0]
    return orders.place_order(user or shop.shopper,
                              lines=[{"sku": product.sku, "quantity": quantity}],
                              fulfillment=pickup_at(shop.store), payment_method="pay_at_pickup",
                              coupon=coupon)


def test_code_is_readable_and_unique(session, shop):
    codes = {give(shop.shopper).code for _ in range(20)}
    assert len(codes) == 20
    for code in codes:
        assert len(code) == 12 and code.startswith("HY-") and code[7] == "-"
        assert not set(code[3:].replace("-", "")) & set("01OI")


def test_coupon_comes_off_the_total_and_is_used(session, shop):
    coupon = give(shop.shopper, amount=3000)
    product = shop.products[0]
    order = place(shop, coupon=coupon.code.lower().replace("-", ""))
    assert order.coupon_id == coupon.id and order.coupon_discount_amount == 3000
    assert order.total_amount == product.price_amount - 3000
    session.refresh(coupon)
    assert coupon.state == CouponState.USED and coupon.used_at is not None


def test_coupon_never_takes_the_total_below_zero(session, shop):
    coupon = give(shop.shopper, amount=10_000_000)
    order = place(shop, coupon=coupon.code)
    assert order.total_amount == 0
    assert order.coupon_discount_amount == shop.products[0].price_amount


@pytest.mark.parametrize("case,code", [
    ("unknown", "coupon_invalid"), ("foreign", "coupon_invalid"), ("used", "coupon_used"),
    ("expired", "coupon_expired"), ("minimum", "coupon_minimum"), ("void", "coupon_invalid")])
def test_bad_coupons_are_refused_and_nothing_is_written(session, shop, make_user, case, code):
    owner = make_user() if case == "foreign" else shop.shopper
    coupon = give(owner, minimum=10_000_000 if case == "minimum" else 0)
    if case == "used":
        place(shop, coupon=coupon.code)
    if case == "expired":
        coupon.valid_until = utcnow() - timedelta(minutes=1)
    if case == "void":
        coupon.state = CouponState.VOID
    session.commit()
    before = session.execute(sa.select(sa.func.count(Order.id))).scalar_one()
    with pytest.raises(Conflict) as err:
        place(shop, coupon="HY-ZZZZ-ZZZZ" if case == "unknown" else coupon.code)
    assert err.value.code == code and err.value.status == 409
    session.rollback()
    assert session.execute(sa.select(sa.func.count(Order.id))).scalar_one() == before


def test_cancelling_gives_the_coupon_back(session, shop):
    coupon = give(shop.shopper)
    order = place(shop, coupon=coupon.code)
    orders.cancel_order(order, shop.shopper)
    session.refresh(coupon)
    assert coupon.state == CouponState.ISSUED
    again = place(shop, coupon=coupon.code)
    assert again.coupon_id == coupon.id


def test_expiring_an_unpaid_order_gives_the_coupon_back(session, shop, stripe_on):
    coupon = give(shop.shopper)
    order = orders.place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                               fulfillment=pickup_at(shop.store), payment_method="stripe",
                               coupon=coupon.code)
    assert order.status == "pending_payment"
    assert orders.expire_order(order, utcnow())
    session.refresh(coupon)
    assert coupon.state == CouponState.ISSUED


def test_expiry_job_marks_old_coupons(session, shop):
    old, fresh = give(shop.shopper), give(shop.shopper)
    old.valid_until = utcnow() - timedelta(days=1)
    session.flush()
    assert coupons.expire_coupons(utcnow()).startswith("1 ")
    session.refresh(old), session.refresh(fresh)
    assert (old.state, fresh.state) == (CouponState.EXPIRED, CouponState.ISSUED)


# --- the pages and the API --------------------------------------------------------------------


def test_checkout_page_previews_then_uses_the_coupon(client, session, shop):
    coupon = give(shop.shopper, amount=2500)
    product = shop.products[0]
    login(client, shop.shopper)
    client.post("/cart/add", data={"product_id": product.id, "quantity": 1})
    data = checkout_data([(product, 1)], center=shop.store)
    preview = client.post("/checkout", data={**data, "coupon": coupon.code, "apply_coupon": "1"})
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and 'data-testid="coupon-discount"' in html
    assert f'data-discount="{2500}"' in html and coupon.code in html
    assert session.execute(sa.select(sa.func.count(Order.id))).scalar_one() == 0
    placed = client.post("/checkout", data={**data, "coupon": coupon.code})
    assert placed.status_code == 302
    order = session.execute(sa.select(Order)).scalar_one()
    assert order.total_amount == product.price_amount - 2500
    assert "-¥25.00" in client.get(placed.headers["Location"]).get_data(as_text=True)
    mine = client.get("/orders").get_data(as_text=True)
    assert 'data-testid="my-coupons"' in mine and 'data-state="used"' in mine


def test_checkout_page_shows_a_bad_coupon_as_a_form_error(client, session, shop):
    product = shop.products[0]
    login(client, shop.shopper)
    client.post("/cart/add", data={"product_id": product.id, "quantity": 1})
    response = client.post("/checkout", data={
        **checkout_data([(product, 1)], center=shop.store), "coupon": "HY-ZZZZ-ZZZZ"})
    assert response.status_code == 409
    assert 'data-testid="coupon-error"' in response.get_data(as_text=True)
    assert session.execute(sa.select(sa.func.count(Order.id))).scalar_one() == 0


def test_api_takes_a_coupon_and_answers_409_codes(client, session, shop, token_for):
    coupon = give(shop.shopper, amount=1000)
    headers = token_for(shop.shopper)
    db.session.commit()
    body = {"lines": [{"sku": shop.products[0].sku, "quantity": 1}],
            "fulfillment": {"method": "pickup", "center_id": shop.store.id},
            "payment_method": "pay_at_pickup", "coupon": coupon.code}
    first = client.post("/api/v1/orders", json=body, headers=headers)
    assert first.status_code == 201, first.json
    assert first.json["coupon"] == coupon.code
    assert first.json["coupon_discount"]["amount"] == 1000
    second = client.post("/api/v1/orders", json=body, headers=headers)
    assert second.status_code == 409 and second.json["code"] == "coupon_used"
    spec = client.get("/api/v1/openapi.json").get_data(as_text=True)
    for code in coupons.ERROR_CODES:
        assert code in spec



def test_api_lists_my_coupons(client, session, shop, token_for, make_user):
    usable, old = give(shop.shopper, amount=1200), give(shop.shopper)
    old.valid_until = utcnow() - timedelta(days=1)
    give(make_user())  # someone else's
    headers = token_for(shop.shopper)
    db.session.commit()
    items = client.get("/api/v1/me/coupons", headers=headers).json["items"]
    assert [(i["code"], i["state"]) for i in items] == [(usable.code, "issued"),
                                                        (old.code, "expired")]
    assert items[0]["amount"] == {"amount": 1200, "currency": "CNY"}
