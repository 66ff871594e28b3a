"""Money rules at their edges: points pay exactly up to their share of the goods (the share
is a setting), and a coupon, points and a delivery fee in one order add up as the README says
(total = subtotal - points - coupon + fee; the coupon comes off what the goods still cost
after points, never off the fee)."""

import pytest
import sqlalchemy as sa

from core.errors import ValidationFailed
from fulfillment.models import CenterDistrict, DeliveryZone
from storefront import coupons, orders
from storefront.coupon_models import CouponState
from storefront.loyalty import points
from storefront.loyalty.membership import sign_up_member
from tests.conftest import delivery_address

PRICE = 12800  # the shop's first product


@pytest.fixture()
def member(session, shop):
    membership = sign_up_member(shop.shopper, name="王丽", phone="13800000001")
    points.adjust_points(membership, 20_000, "welcome")
    return membership


def pickup(shop, points_spent=0, coupon=None):
    return orders.place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                              fulfillment={"method": "pickup", "center_id": shop.store.id},
                              payment_method="pay_at_pickup", points=points_spent, coupon=coupon)


@pytest.mark.parametrize("percent", [50, 30])
def test_points_pay_exactly_their_share_and_not_a_fen_more(session, shop, member, app,
                                                           monkeypatch, percent):
    if percent != 50:
        monkeypatch.setitem(app.config, "POINTS_MAX_SHARE_PERCENT", percent)
    cap = PRICE * percent // 100  # 6,400 points at 50%, 3,840 at 30%
    with pytest.raises(ValidationFailed) as refused:
        pickup(shop, points_spent=cap + 1)
    assert f"{percent}%" in refused.value.errors["points"][0]
    assert member.points == 20_000
    order = pickup(shop, points_spent=cap)
    assert (order.points_redeemed, order.points_discount_amount) == (cap, cap)
    assert order.total_amount == PRICE - cap and member.points == 20_000 - cap


@pytest.fixture()
def zone(session, shop):
    """The hub delivers to 徐汇区 for a 15-yuan fee."""
    zone = DeliveryZone(center=shop.hub, name="near", fee_amount=1500)
    session.add(zone)
    session.flush()
    row = session.execute(sa.select(CenterDistrict).where(
        CenterDistrict.center_id == shop.hub.id, CenterDistrict.district == "徐汇区")).scalar_one()
    row.zone = zone
    session.flush()
    return zone


@pytest.mark.parametrize("coupon_amount,coupon_off", [(5000, 5000), (11_000, PRICE - 3000)])
def test_coupon_points_and_fee_in_one_order(session, shop, member, zone, coupon_amount,
                                            coupon_off):
    coupon = coupons.issue_coupon(shop.shopper.id, amount=coupon_amount, source="manual",
                                  valid_days=30)
    order = orders.place_order(shop.shopper,
                               lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                               fulfillment={"method": "delivery", "address": delivery_address()},
                               payment_method="cash_on_delivery", points=3000,
                               coupon=coupon.code)
    assert order.center_id == shop.hub.id
    assert (order.subtotal_amount, order.points_discount_amount, order.coupon_discount_amount,
            order.delivery_fee_amount) == (PRICE, 3000, coupon_off, 1500)
    assert order.total_amount == PRICE - 3000 - coupon_off + 1500
    assert coupon.state == CouponState.USED and member.points == 20_000 - 3000
