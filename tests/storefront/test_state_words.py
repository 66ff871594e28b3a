"""Messages about an order's state name the state in words of the reader's language."""

import pytest
from flask_babel import refresh

from core.errors import IllegalTransition, ValidationFailed
from fulfillment import services as desk
from storefront.orders import cancel_order, place_order


def _pickup_order(shop, payment_method="pay_at_pickup"):
    return place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                       fulfillment={"method": "pickup", "center_id": shop.store.id},
                       payment_method=payment_method)


def _message(app, lang, step) -> str:
    with app.test_request_context(f"/?lang={lang}"):
        refresh()
        with pytest.raises((IllegalTransition, ValidationFailed)) as caught:
            step()
        err = caught.value
        texts = [str(err.message)] + [str(m) for ms in err.errors.values() for m in ms]
        return " ".join(texts)


@pytest.mark.parametrize("lang,word", [("en", "picked up"), ("zh_CN", "“已取货”")])
def test_a_step_refused_names_the_fulfillment_state(app, session, shop, lang, word):
    order = _pickup_order(shop)
    f = desk.mark_ready(order.fulfillment, shop.clerk)
    desk.hand_over(f, f.pickup_code, shop.clerk, collected={"method": "cash"})
    again = _message(app, lang, lambda: desk.mark_ready(f, shop.clerk))
    cancel = _message(app, lang, lambda: desk.cancel_fulfillment(f, actor=shop.clerk))
    for text in (again, cancel):
        assert word in text and "picked_up" not in text, text


@pytest.mark.parametrize("lang,word", [("en", "already cancelled"), ("zh_CN", "“已取消”")])
def test_cancelling_twice_names_the_order_state(app, session, shop, lang, word):
    order = _pickup_order(shop)
    cancel_order(order, shop.shopper)
    text = _message(app, lang, lambda: cancel_order(order, shop.shopper))
    assert word in text, text


@pytest.mark.parametrize("lang,word", [("en", "store pickup"), ("zh_CN", "“门店自提”")])
def test_a_payment_method_refused_names_the_fulfillment_method(app, session, shop, lang, word):
    text = _message(app, lang, lambda: _pickup_order(shop, payment_method="cash_on_delivery"))
    assert word in text and "for pickup." not in text, text
