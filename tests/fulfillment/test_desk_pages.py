"""The store desk pages: the queue, mark ready, hand over, delivery steps, stock."""

import re

import pytest
import sqlalchemy as sa

from core.extensions import db
from core.models import Role
from fulfillment import services
from fulfillment.models import Fulfillment, Stock
from storefront.models import Order
from storefront.orders import place_order
from tests.conftest import delivery_address
from tests.support.pages import login

PHONE = "13812345678"


@pytest.fixture()
def shopper(make_user):
    return make_user(phone=PHONE, name="王女士")


@pytest.fixture()
def order_at(shop, shopper):
    """``order_at(center, quantity=1, product=0)`` places a pay-at-pickup order there."""

    def place(center, quantity=1, product=0):
        order = place_order(shopper, lines=[{"sku": shop.products[product].sku,
                                             "quantity": quantity}],
                            fulfillment={"method": "pickup", "center_id": center.id},
                            payment_method="pay_at_pickup")
        db.session.commit()
        return order

    return place


def fulfillment_of(session, order) -> Fulfillment:
    session.expire_all()
    return session.execute(
        sa.select(Fulfillment).where(Fulfillment.order_id == order.id)).scalar_one()


def stock_row(session, center, product) -> Stock:
    session.expire_all()
    return session.execute(sa.select(Stock).where(
        Stock.center_id == center.id, Stock.product_id == product.id)).scalar_one()


def ready(session, shop, order) -> Fulfillment:
    f = fulfillment_of(session, order)
    services.mark_ready(f, shop.clerk)
    session.commit()
    return f


# --- who may come in -------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/desk", "/desk/stock"])
def test_anonymous_is_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("url", ["/desk", "/desk/stock"])
def test_shopper_and_crm_agent_are_refused(client, shop, url):
    login(client, shop.shopper)
    assert client.get(url).status_code == 403
    login(client, shop.agent)
    assert client.get(url).status_code == 403


def test_shopper_cannot_post_desk_actions(client, shop, order_at, session):
    order = order_at(shop.store)
    f = fulfillment_of(session, order)
    login(client, shop.shopper)
    assert client.post(f"/desk/fulfillments/{f.id}/ready").status_code == 403
    assert fulfillment_of(session, order).status == "reserved"


# --- the queue -------------------------------------------------------------------------------


def test_staff_see_only_their_centers_queue(client, shop, order_at):
    mine = order_at(shop.store)
    theirs = order_at(shop.far_store)
    login(client, shop.clerk)
    page = client.get("/desk")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert mine.number in html
    assert theirs.number not in html
    # the contact's phone shows its last 4 digits only
    assert "*******5678" in html
    assert PHONE not in html


def test_staff_asking_for_another_center_get_404(client, shop, order_at):
    theirs = order_at(shop.far_store)
    login(client, shop.clerk)
    response = client.get(f"/desk?center={shop.far_store.id}")
    assert response.status_code == 404
    assert theirs.number not in response.get_data(as_text=True)
    assert client.get(f"/desk/stock?center={shop.far_store.id}").status_code == 404


def test_admin_picks_a_center(client, shop, order_at):
    theirs = order_at(shop.far_store)
    login(client, shop.admin)
    html = client.get(f"/desk?center={shop.far_store.id}").get_data(as_text=True)
    assert theirs.number in html


def test_empty_queue_has_a_designed_message(client, shop):
    login(client, shop.clerk)
    html = client.get("/desk").get_data(as_text=True)
    assert 'class="card empty"' in html


# --- mark ready and hand over ----------------------------------------------------------------


def test_mark_ready(client, shop, order_at, session):
    order = order_at(shop.store)
    f = fulfillment_of(session, order)
    login(client, shop.clerk)
    response = client.post(f"/desk/fulfillments/{f.id}/ready")
    assert response.status_code == 302
    f = fulfillment_of(session, order)
    assert f.status == "ready"
    assert len(f.pickup_code) >= 6
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert order.number in page and "Hand over" in page


def test_marking_ready_twice_is_refused_with_a_message(client, shop, order_at, session):
    order = order_at(shop.store)
    f = ready(session, shop, order)
    login(client, shop.clerk)
    response = client.post(f"/desk/fulfillments/{f.id}/ready", follow_redirects=True)
    assert response.status_code == 200
    assert "cannot take this step" in response.get_data(as_text=True)


def test_other_centers_fulfillment_is_404(client, shop, order_at, session):
    order = order_at(shop.store)
    f = fulfillment_of(session, order)
    login(client, shop.far_clerk)
    assert client.post(f"/desk/fulfillments/{f.id}/ready").status_code == 404
    assert fulfillment_of(session, order).status == "reserved"
    f = ready(session, shop, order)
    response = client.post(f"/desk/fulfillments/{f.id}/handover", data={"code": f.pickup_code})
    assert response.status_code == 404
    assert fulfillment_of(session, order).status == "ready"


def test_hand_over_with_the_right_code(client, shop, order_at, session):
    product = shop.products[0]
    order = order_at(shop.store, quantity=2)
    f = ready(session, shop, order)
    login(client, shop.clerk)
    # the row's code opens the last look, where the clerk says how the customer paid
    look = client.post(f"/desk/fulfillments/{f.id}/handover", data={"code": f.pickup_code.lower()})
    assert look.status_code == 200 and fulfillment_of(session, order).status == "ready"
    response = client.post(f"/desk/fulfillments/{f.id}/handover", follow_redirects=True,
                           data={"code": f.pickup_code.lower(), "confirming": "1",
                                 "paid_method": "cash"})
    assert response.status_code == 200
    assert "handed over" in response.get_data(as_text=True)
    assert fulfillment_of(session, order).status == "picked_up"
    row = stock_row(session, shop.store, product)
    assert (row.on_hand, row.reserved) == (8, 0)
    assert session.get(Order, order.id).status == "fulfilled"


def test_hand_over_with_a_wrong_code_is_refused(client, shop, order_at, session):
    order = order_at(shop.store)
    f = ready(session, shop, order)
    login(client, shop.clerk)
    response = client.post(f"/desk/fulfillments/{f.id}/handover", data={"code": "WRONG234"})
    assert response.status_code == 400
    assert "does not match" in response.get_data(as_text=True)
    assert fulfillment_of(session, order).status == "ready"
    assert stock_row(session, shop.store, shop.products[0]).on_hand == 10


def test_code_box_finds_the_order_and_confirms(client, shop, order_at, session):
    order = order_at(shop.store)
    f = ready(session, shop, order)
    login(client, shop.clerk)
    page = client.post("/desk/code", data={"code": f.pickup_code})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert order.number in html
    assert shop.products[0].name_en in html
    assert "128.00" in html  # the amount to collect, pay at pickup
    assert fulfillment_of(session, order).status == "ready"  # nothing happens before confirming
    done = client.post(f"/desk/fulfillments/{f.id}/handover",
                       data={"code": f.pickup_code, "confirming": "1", "paid_method": "cash"})
    assert done.status_code == 302
    assert fulfillment_of(session, order).status == "picked_up"


def test_code_box_wrong_code_is_a_form_error(client, shop, order_at, session):
    order_at(shop.store)
    login(client, shop.clerk)
    response = client.post("/desk/code", data={"code": "ZZZZ2345"})
    assert response.status_code == 400
    assert "does not match" in response.get_data(as_text=True)
    empty = client.post("/desk/code", data={"code": ""})
    assert empty.status_code == 400
    assert "Type the code the customer shows" in empty.get_data(as_text=True)


def test_code_of_another_center_is_no_match(client, shop, order_at, session):
    order = order_at(shop.store)
    f = ready(session, shop, order)
    login(client, shop.far_clerk)
    response = client.post("/desk/code", data={"code": f.pickup_code})
    assert response.status_code == 400
    assert order.number not in response.get_data(as_text=True)


def test_too_many_wrong_codes_are_rate_limited(client, shop, order_at, session):
    order = order_at(shop.store)
    f = ready(session, shop, order)
    login(client, shop.clerk)
    for _ in range(5):
        assert client.post("/desk/code", data={"code": "ZZZZ2345"}).status_code == 400
    blocked = client.post("/desk/code", data={"code": f.pickup_code})
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)
    # the row's own hand-over is limited too
    for _ in range(5):
        client.post(f"/desk/fulfillments/{f.id}/handover", data={"code": "ZZZZ2345"})
    row = client.post(f"/desk/fulfillments/{f.id}/handover", data={"code": f.pickup_code})
    assert row.status_code == 429
    assert "Too many attempts" in row.get_data(as_text=True)
    assert fulfillment_of(session, order).status == "ready"


# --- deliveries ------------------------------------------------------------------------------


def test_dispatch_and_deliver(client, shop, shopper, session):
    order = place_order(shopper, lines=[{"sku": shop.products[1].sku, "quantity": 1}],
                        fulfillment={"method": "delivery", "address": delivery_address()},
                        payment_method="cash_on_delivery")
    assert order.center_id == shop.hub.id
    login(client, shop.hub_clerk)
    html = client.get("/desk").get_data(as_text=True)
    assert order.number in html and "Dispatch" in html
    f = fulfillment_of(session, order)
    assert client.post(f"/desk/fulfillments/{f.id}/dispatch").status_code == 302
    assert fulfillment_of(session, order).status == "dispatched"
    assert 'data-testid="paid-method"' in client.get("/desk?tab=delivery").get_data(as_text=True)
    assert client.post(f"/desk/fulfillments/{f.id}/delivered").status_code == 302
    assert fulfillment_of(session, order).status == "dispatched"  # how was it paid?
    page = client.get("/desk?tab=delivery").get_data(as_text=True)
    assert "Choose how the customer paid." in page
    assert client.post(f"/desk/fulfillments/{f.id}/delivered",
                       data={"paid_method": "alipay_scan"}).status_code == 302
    assert fulfillment_of(session, order).status == "delivered"
    assert stock_row(session, shop.hub, shop.products[1]).on_hand == 9
    login(client, shop.clerk)
    assert client.post(f"/desk/fulfillments/{f.id}/dispatch").status_code == 404


# --- stock -----------------------------------------------------------------------------------


def test_stock_page_lists_products_with_figures(client, shop, order_at):
    order_at(shop.store, quantity=3)
    login(client, shop.clerk)
    html = client.get("/desk/stock").get_data(as_text=True)
    for product in shop.products:
        assert product.sku in html
    row = html.split(f'data-testid="stock-{shop.products[0].sku}"')[1].split("</tr>")[0]
    figures = re.findall(r'<td class="num"[^>]*>(\d+)</td>', row)
    assert figures == ["10", "3", "7"]  # on hand, reserved, available


def test_set_stock(client, shop, session):
    product = shop.products[2]
    login(client, shop.clerk)
    response = client.post(f"/desk/stock/{product.id}", data={"on_hand": "25"})
    assert response.status_code == 302
    assert stock_row(session, shop.store, product).on_hand == 25
    assert stock_row(session, shop.far_store, product).on_hand == 10


def test_set_stock_of_a_product_not_yet_stocked(client, shop, session, make_product):
    product = make_product()
    login(client, shop.clerk)
    assert client.post(f"/desk/stock/{product.id}", data={"on_hand": "4"}).status_code == 302
    assert stock_row(session, shop.store, product).on_hand == 4


def test_set_stock_below_reserved_is_refused(client, shop, order_at, session):
    product = shop.products[0]
    order_at(shop.store, quantity=3)
    login(client, shop.clerk)
    response = client.post(f"/desk/stock/{product.id}", data={"on_hand": "2"})
    assert response.status_code == 400
    assert "3 units are reserved" in response.get_data(as_text=True)
    row = stock_row(session, shop.store, product)
    assert (row.on_hand, row.reserved) == (10, 3)


@pytest.mark.parametrize("value", ["-1", "abc", "", "2.5", "9999999"])
def test_set_stock_bad_input_is_a_form_error(client, shop, session, value):
    product = shop.products[0]
    login(client, shop.clerk)
    response = client.post(f"/desk/stock/{product.id}", data={"on_hand": value})
    assert response.status_code == 400
    assert 'class="errors"' in response.get_data(as_text=True)
    assert stock_row(session, shop.store, product).on_hand == 10


@pytest.mark.parametrize("step, field, value", [("", "on_hand", "1"),
                                                  ("/alert", "alert_below", "3")])
def test_set_stock_at_another_center_is_404(client, shop, session, step, field, value):
    """A count, or the low-stock level: another center's stock does not exist for staff."""
    product = shop.products[0]
    before = getattr(stock_row(session, shop.far_store, product), field)
    login(client, shop.clerk)
    response = client.post(f"/desk/stock/{product.id}{step}?center={shop.far_store.id}",
                           data={field: value})
    assert response.status_code == 404
    assert getattr(stock_row(session, shop.far_store, product), field) == before
    assert client.post(f"/desk/stock/999999{step}", data={field: value}).status_code == 404


def test_staff_role_is_needed_even_for_admin_forms(client, shop, make_user):
    crm_agent = make_user(Role.CRM)
    login(client, crm_agent)
    assert client.post(f"/desk/stock/{shop.products[0].id}",
                       data={"on_hand": "1"}).status_code == 403
