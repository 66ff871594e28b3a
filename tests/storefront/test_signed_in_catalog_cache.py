"""A signed-in member's catalog and product pages: the body is cached per tier (and per
version of the catalog and stock), the header is each person's own. Two members of one tier
share the cached body but never each other's name or cart; a price set for the tier, a
member moving to another tier, and a stock change show on the next request."""

import re

import pytest

from core.extensions import cache, db
from storefront import cart as carts
from storefront.loyalty import tiers
from storefront.loyalty.membership import membership_of, sign_up_member
from storefront.loyalty.models import Tier
from storefront.orders import place_order
from tests.support.pages import login
from tests.support.queries import count_statements

pytestmark = pytest.mark.usefixtures("fresh_requests")


@pytest.fixture()
def members(shop, make_user):
    """Two gold members with carts of their own, and a classic one."""
    people = {}
    for key, name, phone, tier, units in (("wang", "王丽", "13800000001", Tier.GOLD, 2),
                                          ("li", "李娜", "13800000002", Tier.GOLD, 5),
                                          ("zhou", "周敏", "13800000003", Tier.CLASSIC, 1)):
        user = make_user(name=name)
        sign_up_member(user, name=name, phone=phone).tier = tier
        carts.add_item(user, {}, shop.products[0].id, units)
        people[key] = user
    db.session.commit()
    return people


def page(client, user, url) -> str:
    login(client, user)
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def cart_count(html: str) -> int:
    return int(re.search(r'data-testid="cart-count">(\d+)<', html).group(1))


@pytest.mark.parametrize("url", ["/products", "product"])
def test_members_of_one_tier_share_the_body_but_not_the_header(client, shop, members, url):
    product = shop.products[0]
    url = f"/products/{product.slug}" if url == "product" else url
    wang = page(client, members["wang"], url)
    with count_statements() as second:
        li = page(client, members["li"], url)
    assert "王丽" in wang and "李娜" not in wang and cart_count(wang) == 2
    assert "李娜" in li and "王丽" not in li and cart_count(li) == 5
    # the body came from the cache: Li's request read only the session, the user, the cart
    # count with the tier (and what signing in wrote)
    cache.clear()
    with count_statements() as cold:
        page(client, members["li"], url)
    assert len(second) < len(cold)


def test_a_tier_price_and_a_tier_change_show_on_the_next_request(client, shop, members):
    product = shop.products[1]  # ¥398
    url = f"/products/{product.slug}"
    assert "298.00" not in page(client, members["wang"], url)
    assert "298.00" not in page(client, members["zhou"], url)

    tiers.set_member_prices(product, {Tier.GOLD: 29800})
    db.session.commit()
    assert "298.00" in page(client, members["wang"], url)
    assert "298.00" in page(client, members["li"], url)
    assert "298.00" not in page(client, members["zhou"], url)  # classic: not gold's price

    membership_of(members["zhou"]).tier = Tier.GOLD
    db.session.commit()
    assert "298.00" in page(client, members["zhou"], url)
    assert "298.00" in page(client, members["zhou"], "/products")


def test_a_new_order_changes_the_stock_shown_next_time(client, shop, members, stock):
    product = shop.products[1]
    stock(shop.far_store, product, 0)
    stock(shop.hub, product, 0)
    stock(shop.store, product, 1)
    db.session.commit()
    url = f"/products/{product.slug}"
    assert "In stock at 1 store for pickup." in page(client, members["wang"], url)
    place_order(members["zhou"], lines=[{"sku": product.sku, "quantity": 1}],
                fulfillment={"method": "pickup", "center_id": shop.store.id},
                payment_method="pay_at_pickup")
    db.session.commit()
    after = page(client, members["li"], url)
    assert "Currently out of stock." in after and "In stock at" not in after
