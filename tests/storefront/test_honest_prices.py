"""Honest member prices: a guest sees what a new member pays (the entry tier's price, the
tier named), never a higher tier's; a member their own; a tier's prices rounded down by the
rule the admin chose, the same on the pages, in the API and on the order."""

import pytest

from storefront.loyalty import tiers
from storefront.loyalty.membership import sign_up_member
from storefront.loyalty.models import Tier
from storefront.orders import place_order
from tests.support.pages import login


@pytest.fixture()
def formula(shop, make_product, stock, session):
    """A tin at ¥398.00, ¥368.00 for members, ¥345.92 for diamond (94 %, odd fen)."""
    product = make_product(price=39800, member_price=36800)
    stock(shop.store, product, 9)
    tiers.set_member_prices(product, {Tier.DIAMOND: 34592})
    session.commit()
    return product


def test_a_guest_sees_the_entry_tiers_price_named(client, formula):
    html = client.get(f"/products/{formula.slug}").get_data(as_text=True)
    assert "会员价（普卡）¥368.00 起" in html
    assert "345.92" not in html and "VIP 会员价" not in html
    listing = client.get("/products").get_data(as_text=True)
    assert "会员价（普卡）¥368.00 起" in listing and "345.92" not in listing
    body = client.get(f"/api/v1/products/{formula.slug}").get_json()
    assert body["member_price"]["amount"] == 36800


def test_a_member_sees_their_own_tiers_price(client, shop, session, formula):
    membership = sign_up_member(shop.shopper, name="王丽", phone="13800000001")
    membership.tier = Tier.DIAMOND
    session.commit()
    login(client, shop.shopper)
    html = client.get(f"/products/{formula.slug}").get_data(as_text=True)
    assert 'data-testid="my-member-price"' in html and "¥345.92" in html


def test_the_admins_rounding_rule_makes_whole_yuan_everywhere(client, shop, session, formula,
                                                             token_for):
    rule = tiers.rule_for(Tier.DIAMOND)
    with pytest.raises(Exception):  # noqa: B017 - a step the shop does not know
        tiers.update_tier_rule(rule, {"name_zh": rule.name_zh, "threshold_amount":
                                      rule.threshold_amount, "points_per_100_yuan": 100,
                                      "price_rounding": 7}, shop.admin)
    assert rule.price_rounding == 1
    login(client, shop.admin)
    response = client.post("/admin/tiers/diamond/edit", data={
        "name_zh": rule.name_zh, "name_en": "Diamond", "threshold": "20000.00",
        "points_per_100_yuan": "200", "price_rounding": "100"})
    assert response.status_code == 302
    assert tiers.rule_for(Tier.DIAMOND).price_rounding == 100
    membership = sign_up_member(shop.shopper, name="王丽", phone="13800000001")
    membership.tier = Tier.DIAMOND
    session.commit()
    login(client, shop.shopper)
    html = client.get(f"/products/{formula.slug}").get_data(as_text=True)
    assert "¥345.00" in html and "345.92" not in html  # rounded down, never up
    headers = token_for(shop.shopper)
    session.commit()
    body = client.get(f"/api/v1/products/{formula.slug}", headers=headers).get_json()
    assert body["member_price"]["amount"] == 34500
    order = place_order(shop.shopper, lines=[{"sku": formula.sku, "quantity": 1}],
                        fulfillment={"method": "pickup", "center_id": shop.store.id},
                        payment_method="pay_at_pickup")
    line = order.lines[0]
    assert (line.unit_price_amount, line.price_tier) == (34500, "diamond")


def test_a_bad_rounding_on_the_tier_form_is_a_form_error(client, shop):
    login(client, shop.admin)
    response = client.post("/admin/tiers/gold/edit", data={
        "name_zh": "金卡", "threshold": "8000.00", "points_per_100_yuan": "150",
        "price_rounding": "7"})
    assert response.status_code == 400
    assert tiers.rule_for(Tier.GOLD).price_rounding == 1
