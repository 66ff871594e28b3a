"""A sale at a store's counter: an order of the ``store`` channel, paid and handed over at
once, out of this store's lots first-expired-first-out, feeding points, tiers, figures and
follow-ups as a web order does. Runs on SQLite and PostgreSQL."""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from core.clock import shop_today
from core.errors import Forbidden, ValidationFailed
from crm.customers.figures import recompute_figures
from crm.customers.services import customer_for_user
from crm.followups.models import FollowUp
from fulfillment.errors import InsufficientStock
from fulfillment.ledger import verify_ledger
from fulfillment.lots import receive_lot
from fulfillment.models import Lot, Stock, StockMovement
from storefront.barcodes import ean13_check_digit, is_ean13
from storefront.counter.sales import sell_at_counter
from storefront.loyalty import points
from storefront.loyalty.membership import sign_up_member
from storefront.models import Order
from storefront.payments.models import Payment, Refund
from tests.support.rules import rule

pytestmark = pytest.mark.dates

CASH = "cash"


def ean(first12: str) -> str:
    return first12 + str(ean13_check_digit(first12))


@pytest.fixture()
def member(session, shop):
    return sign_up_member(shop.shopper, name="王丽", phone="13800000001",
                          birthday=date(1990, 5, 1))


def on_hand(session, center, product):
    session.expire_all()
    return session.execute(sa.select(Stock.on_hand, Stock.reserved).where(
        Stock.center_id == center.id, Stock.product_id == product.id)).one()


def counts(session):
    return tuple(session.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                 for t in (Order, Payment, StockMovement))


def test_ean13_check_digit():
    assert is_ean13("4006381333931") and is_ean13("6901234567892")
    assert not is_ean13("4006381333932") and not is_ean13("400638133393")
    assert not is_ean13("40063813339a1")


def test_a_member_buys_with_cash_and_change(session, shop, member):
    product = shop.products[0]  # 128.00
    product.barcode = ean("690123456789")
    order = sell_at_counter(shop.store, shop.clerk,
                            [{"barcode": product.barcode, "quantity": 2}], member=shop.shopper,
                            payments=[{"method": CASH, "amount": 25600, "tendered": 30000}])
    assert (order.channel, order.status, order.clerk_id, order.user_id) == (
        "store", "fulfilled", shop.clerk.id, shop.shopper.id)
    assert order.number.startswith("SH-") and order.paid_amount == 25600
    assert order.payment_method == "cash"  # as it was paid, not "pay at pickup"
    assert order.fulfillment.status == "picked_up"
    assert order.fulfillment.routing["reason"] == "counter_sale"
    [pay] = session.execute(sa.select(Payment).where(Payment.order_id == order.id)).scalars()
    assert (pay.method, pay.amount, pay.tendered_amount, pay.collected_by_id) == (
        CASH, 25600, 30000, shop.clerk.id)
    assert on_hand(session, shop.store, product) == (8, 0)
    kinds = session.execute(sa.select(StockMovement.kind).where(
        StockMovement.fulfillment_id == order.fulfillment.id).order_by(StockMovement.id)).scalars()
    assert list(kinds) == ["reserved", "sold"]
    assert member.points == 256  # earned at the tier's rate, as for a web order
    assert verify_ledger() == []


def test_units_leave_the_lots_expiring_first(session, shop, make_product):
    product = make_product(sku="NF-CTR-1")
    today = shop_today()
    soon = receive_lot(shop.store.id, product.id, batch="C-SOON", quantity=2,
                       expires_on=today + timedelta(days=120), actor=shop.clerk)
    late = receive_lot(shop.store.id, product.id, batch="C-LATE", quantity=5,
                       expires_on=today + timedelta(days=400), actor=shop.clerk)
    order = sell_at_counter(shop.store, shop.clerk, [{"sku": product.sku, "quantity": 3}],
                            payments=[{"method": "card_terminal", "amount": 3 * 12800}])
    session.expire_all()
    assert (session.get(Lot, soon.id).on_hand, session.get(Lot, late.id).on_hand) == (0, 4)
    allocations = {(a.lot_id, a.quantity) for a in order.fulfillment.lines[0].lots}
    assert allocations == {(soon.id, 2), (late.id, 1)}
    assert order.user_id is None and verify_ledger() == []


def test_tier_prices_and_points_spent_then_split_payment(session, shop, member):
    points.adjust_points(member, 5000, "welcome")
    product = shop.products[1]  # 398.00
    product.member_price_amount = 37800
    order = sell_at_counter(shop.store, shop.clerk, [{"sku": product.sku, "quantity": 1}],
                            member=shop.shopper, points=3000,
                            payments=[{"method": "wechat_scan", "amount": 30000},
                                      {"method": CASH, "amount": 4800, "tendered": 5000}])
    line = order.lines[0]
    assert (line.unit_price_amount, line.member_price) == (37800, True)
    assert (order.points_redeemed, order.total_amount) == (3000, 34800)
    methods = session.execute(sa.select(Payment.method, Payment.amount).where(
        Payment.order_id == order.id).order_by(Payment.id)).all()
    assert methods == [("wechat_scan", 30000), (CASH, 4800)]
    assert order.payment_method == "split"
    assert member.points == 5000 - 3000 + 348


def test_a_refund_of_a_split_sale_goes_back_each_way_it_came(session, shop, member):
    """A refund from the order's page (not a return at the counter) of a sale paid by card
    and in cash: the card terminal first, cash last, each a refund of its own method, the
    money exact to the fen; the member's points follow."""
    from storefront.payments.refunds import refund_amount, refund_order

    order = sell_at_counter(shop.store, shop.clerk,
                            [{"sku": shop.products[0].sku, "quantity": 3}],  # 384.00
                            member=shop.shopper,
                            payments=[{"method": CASH, "amount": 10001, "tendered": 20000},
                                      {"method": "card_terminal"}])
    assert order.payment_method == "split"
    first = refund_amount(order, shop.admin, amount=30000, reason="价格调整")
    refunds = session.execute(sa.select(Refund.method, Refund.amount, Refund.status).where(
        Refund.order_id == order.id).order_by(Refund.id)).all()
    assert first.method == "card_terminal"
    assert refunds == [("card_terminal", 28399, "succeeded"), (CASH, 1601, "succeeded")]
    refund_order(order, shop.admin, reason="全部退回")
    refunds = session.execute(sa.select(Refund.method, Refund.amount).where(
        Refund.order_id == order.id).order_by(Refund.id)).all()
    assert refunds[2:] == [(CASH, 8400)]
    assert sum(a for _m, a in refunds) == 38400
    assert session.get(Order, order.id).status == "refunded"


@pytest.mark.parametrize("payments, code", [
    ([{"method": CASH, "amount": 12000}], "underpaid"),
    ([{"method": CASH, "amount": 13000}], "overpaid"),
    ([{"method": "alipay_scan", "amount": 6400}, {"method": CASH, "amount": 6000}], "underpaid"),
    ([], "underpaid"),
    ([{"method": "bitcoin", "amount": 12800}], "validation_error"),
    ([{"method": "card_terminal", "amount": 12800, "tendered": 13000}], "validation_error"),
    ([{"method": CASH, "amount": 12800, "tendered": 10000}], "validation_error"),
    ([{"method": CASH, "amount": -1}], "validation_error"),
    ("cash", "validation_error"),
])
def test_wrong_payments_are_refused_and_change_nothing(session, shop, payments, code):
    product = shop.products[0]
    before = counts(session)
    with pytest.raises(ValidationFailed) as err:
        sell_at_counter(shop.store, shop.clerk, [{"sku": product.sku, "quantity": 1}],
                        payments=payments)
    assert err.value.code == code and err.value.errors
    assert counts(session) == before and on_hand(session, shop.store, product) == (10, 0)


def test_one_payment_may_pay_the_rest(session, shop):
    order = sell_at_counter(shop.store, shop.clerk, [{"sku": shop.products[0].sku, "quantity": 2}],
                            payments=[{"method": "card_terminal", "amount": 5600},
                                      {"method": CASH, "tendered": 20000}])
    rows = session.execute(sa.select(Payment.method, Payment.amount, Payment.tendered_amount)
                           .where(Payment.order_id == order.id).order_by(Payment.id)).all()
    assert rows == [("card_terminal", 5600, None), (CASH, 20000, 20000)]
    for payments, code in (([{"method": CASH, "tendered": 100}], "underpaid"),
                           ([{"method": CASH}, {"method": "wechat_scan"}], "validation_error"),
                           ([{"method": "wechat_scan", "amount": 30000}, {"method": CASH}],
                            "overpaid")):
        with pytest.raises(ValidationFailed) as err:
            sell_at_counter(shop.store, shop.clerk, [{"sku": shop.products[0].sku}],
                            payments=payments)
        assert err.value.code == code


def test_underpaid_message_names_the_amounts(session, shop):
    with pytest.raises(ValidationFailed) as err:
        sell_at_counter(shop.store, shop.clerk, [{"sku": shop.products[0].sku, "quantity": 1}],
                        payments=[{"method": CASH, "amount": 10000}])
    assert "28" in err.value.errors["payments"][0] and err.value.extra["due"] == 12800


def test_only_the_clerks_own_store_sells(session, shop):
    lines = [{"sku": shop.products[0].sku, "quantity": 1}]
    pay = [{"method": CASH, "amount": 12800}]
    for center, actor in ((shop.far_store, shop.clerk), (shop.store, shop.admin),
                          (shop.store, shop.shopper), (shop.hub, shop.hub_clerk)):
        with pytest.raises(Forbidden):
            sell_at_counter(center, actor, lines, payments=pay)
    assert counts(session)[0] == 0


def test_bad_lines_are_refused(session, shop):
    pay = [{"method": CASH, "amount": 12800}]
    for lines in ([], [{"barcode": "4006381333931"}], [{"sku": "NOPE", "quantity": 1}],
                  [{"sku": shop.products[0].sku, "quantity": 0}], "x"):
        with pytest.raises(ValidationFailed):
            sell_at_counter(shop.store, shop.clerk, lines, payments=pay)
    with pytest.raises(ValidationFailed):
        sell_at_counter(shop.store, shop.clerk, [{"sku": shop.products[0].sku}], member=shop.clerk,
                        payments=pay)


def test_more_than_the_store_holds_names_stores_that_have_it(session, shop, stock):
    stock(shop.far_store, shop.products[0], 20)
    with pytest.raises(InsufficientStock) as err:
        sell_at_counter(shop.store, shop.clerk, [{"sku": shop.products[0].sku, "quantity": 11}],
                        payments=[{"method": CASH, "amount": 11 * 12800}])
    assert err.value.extra["lines"][0]["sku"] == shop.products[0].sku
    assert [a["code"] for a in err.value.extra["alternatives"]] == ["SH-PD"]


def test_downstream_sees_an_ordinary_order(session, shop, member, clock):
    rule(session, "satisfaction", delay_days=3)
    order = sell_at_counter(shop.store, shop.clerk, [{"sku": shop.products[0].sku,
                                                      "quantity": 1}],
                            member=shop.shopper, payments=[{"method": CASH, "amount": 12800}])
    [call] = session.execute(sa.select(FollowUp).where(FollowUp.kind == "satisfaction")).scalars()
    assert call.order_id == order.id
    anonymous = sell_at_counter(shop.store, shop.clerk,
                                [{"sku": shop.products[0].sku, "quantity": 1}],
                                payments=[{"method": CASH, "amount": 12800}])
    assert anonymous.user_id is None
    recompute_figures(clock.now + timedelta(minutes=1))
    customer = customer_for_user(shop.shopper.id)
    assert (customer.orders_count, customer.lifetime_amount) == (1, 12800)
    # no satisfaction call for nobody
    assert session.execute(sa.select(sa.func.count(FollowUp.id))).scalar_one() == 1


def test_birthday_month_doubles_points_at_the_counter(session, shop, member, clock):
    member.birthday_set_at = datetime(2026, 4, 1, tzinfo=UTC)  # set well before that May
    clock.move_to(datetime(2027, 5, 3, 4, tzinfo=UTC))
    assert "1 birthday" in points.grant_birthday_perks(clock.now)
    sell_at_counter(shop.store, shop.clerk, [{"sku": shop.products[0].sku, "quantity": 1}],
                    member=shop.shopper, payments=[{"method": CASH, "amount": 12800}])
    assert member.points == 256
