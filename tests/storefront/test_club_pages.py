"""The club on the shop's pages: tier admin, tier prices on the product form, member prices
in the catalog, points at checkout."""

import sqlalchemy as sa

from storefront.loyalty import points, tiers
from storefront.loyalty.membership import sign_up_member
from storefront.loyalty.models import MemberPrice, Tier
from storefront.models import Order
from tests.support.forms import product_form
from tests.support.pages import login


def test_admin_edits_a_tier(client, shop):
    login(client, shop.admin)
    html = client.get("/admin/tiers").get_data(as_text=True)
    assert "银卡" in html and "钻石卡" in html
    response = client.post("/admin/tiers/silver/edit", data={
        "name_zh": "银卡", "name_en": "Silver", "threshold": "2500.00",
        "points_per_100_yuan": "125"})
    assert response.status_code == 302
    assert tiers.rule_for(Tier.SILVER).threshold_amount == 250000
    bad = client.post("/admin/tiers/silver/edit", data={
        "name_zh": "银卡", "threshold": "-1", "points_per_100_yuan": "125"})
    assert bad.status_code == 400 and tiers.rule_for(Tier.SILVER).threshold_amount == 250000
    assert client.get("/admin/tiers/platinum/edit").status_code == 404


def test_shopper_cannot_edit_tiers(client, shop):
    login(client, shop.shopper)
    assert client.get("/admin/tiers").status_code in (302, 403)


def test_product_form_sets_prices_per_tier(client, shop, session, make_product):
    login(client, shop.admin)
    category = shop.products[0].category
    response = client.post("/admin/products/new", data=product_form(
        category, price_gold="108.00", price_diamond="98.00"))
    assert response.status_code == 302
    rows = dict(session.execute(sa.select(MemberPrice.tier, MemberPrice.price_amount)).all())
    assert rows == {"gold": 10800, "diamond": 9800}
    bad = client.post("/admin/products/new", data=product_form(
        category, sku="HS-TEST-2", slug="test-2", price_gold="999.00"))
    assert bad.status_code == 400
    assert "The member price cannot be above the price." in bad.get_data(as_text=True)


def test_catalog_shows_a_member_their_own_price(client, shop, session, make_product, stock):
    product = make_product(price=39800, member_price=37800)
    stock(shop.store, product, 5)
    tiers.set_member_prices(product, {Tier.GOLD: 33800})
    anonymous = client.get(f"/products/{product.slug}").get_data(as_text=True)
    # a guest sees what a new member pays (the entry tier's price, named), not gold's
    assert "会员价（普卡）¥378.00 起" in anonymous and "338.00" not in anonymous
    assert "CN¥" not in anonymous
    membership = sign_up_member(shop.shopper, name="王丽", phone="13800000001")
    membership.tier = Tier.GOLD
    login(client, shop.shopper)
    html = client.get(f"/products/{product.slug}").get_data(as_text=True)
    assert 'data-testid="my-member-price"' in html and "338.00" in html
    listing = client.get("/products").get_data(as_text=True)
    assert 'data-testid="my-member-price"' in listing


def test_checkout_spends_points(client, shop, session):
    membership = sign_up_member(shop.shopper, name="王丽", phone="13800000001")
    points.adjust_points(membership, 5000, "welcome")
    login(client, shop.shopper)
    product = shop.products[0]
    client.post("/cart/add", data={"product_id": product.id, "quantity": 1})
    page = client.get("/checkout").get_data(as_text=True)
    assert 'data-testid="points-redeem"' in page
    data = {"method": "pickup", "center_id": shop.store.id, "payment_method": "pay_at_pickup",
            "name": "王丽", "phone": "13800000001", "points": "9000",
            "lines-0-product_id": product.id, "lines-0-quantity": 1}
    refused = client.post("/checkout", data=data)
    assert refused.status_code == 409
    assert session.execute(sa.select(sa.func.count(Order.id))).scalar_one() == 0
    data["points"] = "4000"
    placed = client.post("/checkout", data=data)
    assert placed.status_code == 302
    order = session.execute(sa.select(Order)).scalar_one()
    assert (order.points_redeemed, order.total_amount) == (4000, product.price_amount - 4000)
    html = client.get(placed.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="order-points-discount"' in html


def test_a_tier_below_the_one_beneath_is_a_form_error(client, shop):
    gold = tiers.rule_for(Tier.GOLD).threshold_amount
    silver = tiers.rule_for(Tier.SILVER).threshold_amount
    login(client, shop.admin)
    response = client.post("/admin/tiers/gold/edit", data={
        "name_zh": "金卡", "threshold": f"{silver / 100 - 1:.2f}", "points_per_100_yuan": "150"})
    assert response.status_code == 400
    assert "Set it above" in response.get_data(as_text=True)
    assert tiers.rule_for(Tier.GOLD).threshold_amount == gold
