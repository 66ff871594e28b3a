"""The desk records the payment the clerk chose: nothing is booked as cash by default, the
amount due is shown, and the change for cash is worked out."""

import pytest
import sqlalchemy as sa

from storefront.models import Order
from storefront.payments.models import Payment

from .test_desk_more import ready, reread
from .test_desk_pages import fulfillment_of, login, order_at, shopper  # noqa: F401

pytestmark = pytest.mark.dates


def payments_of(session, order_id):
    session.expire_all()
    return sorted((p.method, p.amount) for p in session.execute(
        sa.select(Payment).where(Payment.order_id == order_id)).scalars())


def test_the_last_look_asks_how_the_customer_paid_with_nothing_chosen(
        client, session, shop, order_at):  # noqa: F811
    f = ready(session, shop, order_at(shop.store))
    login(client, shop.clerk)
    page = client.post("/desk/code", data={"code": f.pickup_code}).get_data(as_text=True)
    assert "128.00" in page  # the amount due
    radios = [chunk for chunk in page.split("<input") if 'name="paid_method"' in chunk]
    assert len(radios) == 4 and not any("checked" in r for r in radios)
    assert "not recorded" not in page


def test_confirming_without_a_way_of_paying_books_nothing(client, session, shop,
                                                          order_at):  # noqa: F811
    f = ready(session, shop, order_at(shop.store))
    login(client, shop.clerk)
    response = client.post(f"/desk/fulfillments/{f.id}/handover",
                           data={"code": f.pickup_code, "confirming": "1"})
    assert response.status_code == 400
    assert "Choose how the customer paid." in response.get_data(as_text=True)
    assert reread(session, f).status == "ready"
    assert payments_of(session, f.order_id) == []


def test_a_code_typed_in_the_row_opens_the_last_look(client, session, shop,
                                                     order_at):  # noqa: F811
    f = ready(session, shop, order_at(shop.store))
    login(client, shop.clerk)
    response = client.post(f"/desk/fulfillments/{f.id}/handover",
                           data={"code": f.pickup_code.lower()})
    assert response.status_code == 200
    assert 'data-testid="paid-method"' in response.get_data(as_text=True)
    assert reread(session, f).status == "ready"
    assert payments_of(session, f.order_id) == []
    wrong = client.post(f"/desk/fulfillments/{f.id}/handover", data={"code": "ZZZZ2345"})
    assert wrong.status_code == 400 and "does not match" in wrong.get_data(as_text=True)


@pytest.mark.parametrize("method", ["wechat_scan", "alipay_scan", "card_terminal"])
def test_the_chosen_way_is_recorded(client, session, shop, order_at, method):  # noqa: F811
    f = ready(session, shop, order_at(shop.store))
    login(client, shop.clerk)
    response = client.post(f"/desk/fulfillments/{f.id}/handover", follow_redirects=True,
                           data={"code": f.pickup_code, "confirming": "1",
                                 "paid_method": method})
    assert response.status_code == 200
    assert payments_of(session, f.order_id) == [(method, 12800)]
    assert session.get(Order, f.order_id).status == "fulfilled"


def test_cash_received_gives_the_change(client, session, shop, order_at):  # noqa: F811
    f = ready(session, shop, order_at(shop.store))
    login(client, shop.clerk)
    short = client.post(f"/desk/fulfillments/{f.id}/handover", data={
        "code": f.pickup_code, "confirming": "1", "paid_method": "cash", "tendered": "100"})
    assert short.status_code == 400
    assert "less than the ¥128.00 due" in short.get_data(as_text=True)
    assert reread(session, f).status == "ready" and payments_of(session, f.order_id) == []
    done = client.post(f"/desk/fulfillments/{f.id}/handover", follow_redirects=True, data={
        "code": f.pickup_code, "confirming": "1", "paid_method": "cash", "tendered": "150"})
    assert "give ¥22.00 change" in done.get_data(as_text=True)
    assert payments_of(session, f.order_id) == [("cash", 12800)]


@pytest.mark.parametrize("bad", [{"paid_method": "bitcoin"}, {"paid_method": "cash",
                                                              "tendered": "abc"}])
def test_bad_payment_input_is_a_form_error(client, session, shop, order_at, bad):  # noqa: F811
    f = ready(session, shop, order_at(shop.store))
    login(client, shop.clerk)
    response = client.post(f"/desk/fulfillments/{f.id}/handover",
                           data={"code": f.pickup_code, "confirming": "1", **bad})
    assert response.status_code == 400
    assert reread(session, f).status == "ready" and payments_of(session, f.order_id) == []


def test_the_api_hand_over_asks_how_the_customer_paid(
        client, session, shop, order_at, token_for):  # noqa: F811
    f = ready(session, shop, order_at(shop.store))
    clerk = token_for(shop.clerk)
    session.commit()
    url = f"/api/v1/staff/fulfillments/{f.id}/handover"
    refused = client.post(url, headers=clerk, json={"code": f.pickup_code})
    assert refused.status_code == 422
    assert refused.get_json()["code"] == "payment_method_required"
    assert refused.get_json()["amount_due"] == 12800
    assert reread(session, f).status == "ready" and payments_of(session, f.order_id) == []
    done = client.post(url, headers=clerk, json={"code": f.pickup_code,
                                                 "collected": {"method": "alipay_scan"}})
    assert done.status_code == 200
    assert payments_of(session, f.order_id) == [("alipay_scan", 12800)]
