"""The club's API: /me membership, card, points ledger, content, event registration."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.clock import utcnow
from crm.club.models import Article, Event
from storefront.loyalty import points, tiers
from storefront.loyalty.membership import sign_up_member
from storefront.loyalty.models import Tier
from tests.api.conftest import API, assert_error, pickup_body

pytestmark = pytest.mark.dates  # calendar rules: CI runs these shifted too


@pytest.fixture()
def member(session, shop):
    m = sign_up_member(shop.shopper, name="王丽", phone="13800000001", city="上海市",
                       baby_birthday=(utcnow() - timedelta(days=185)).date())
    points.adjust_points(m, 3000, "welcome")
    return m


@pytest.fixture()
def club(session, member):
    audience = {"tiers": [], "interests": [], "cities": []}
    session.add_all([
        Article(title="6月龄辅食添加", body_md="…", publish_from=utcnow() - timedelta(hours=1),
                age_min_months=4, age_max_months=8, **audience),
        Article(title="1岁以上", body_md="…", publish_from=utcnow() - timedelta(hours=1),
                age_min_months=12, age_max_months=24, **audience),
    ])
    event = Event(title="亲子讲座", starts_at=utcnow() + timedelta(days=3), city="上海市",
                  address="静安区1号", capacity=2, seats_taken=0, **audience)
    session.add(event)
    session.commit()
    return event


def test_me_keeps_the_membership_shape(client, shop, member, token_for):
    body = client.get(f"{API}/me", headers=token_for(shop.shopper)).get_json()
    assert {"tier", "card_number", "points"} <= set(body["membership"])
    assert body["membership"]["points"] == 3000


def test_card_and_ledger(client, shop, member, token_for):
    headers = token_for(shop.shopper)
    card = client.get(f"{API}/member/card", headers=headers).get_json()
    assert card["card_number"] == member.card_number == card["qr_text"]
    assert card["tier"] == "classic" and card["next_tier"] == "silver"
    ledger = client.get(f"{API}/member/points", headers=headers).get_json()
    assert ledger["balance"] == 3000 and ledger["items"][0]["kind"] == "adjusted"
    assert_error(client.get(f"{API}/member/points?page=0", headers=headers), 400,
                 "validation_error")


def test_non_member_is_told_to_join(client, shop, token_for):
    assert_error(client.get(f"{API}/member/card", headers=token_for(shop.agent)), 404,
                 "not_member")
    assert client.get(f"{API}/member/card").status_code == 401


def test_content_for_a_six_month_old(client, shop, club, token_for):
    body = client.get(f"{API}/member/content", headers=token_for(shop.shopper)).get_json()
    assert [a["title"] for a in body["articles"]] == ["6月龄辅食添加"]
    assert body["events"][0]["id"] == club.public_id and body["events"][0]["seats_left"] == 2


def test_register_full_already_and_cancel(client, shop, club, token_for, make_user, session):
    headers = token_for(shop.shopper)
    url = f"{API}/member/events/{club.public_id}/register"
    created = client.post(url, json={"attendees": 2}, headers=headers)
    assert created.status_code == 201 and created.get_json()["status"] == "registered"
    assert_error(client.post(url, json={}, headers=headers), 409, "already_registered")
    other = make_user()
    sign_up_member(other, name="李娜", phone="13800000002", city="上海市")
    other_headers = token_for(other)
    assert_error(client.post(url, json={}, headers=other_headers), 409, "event_full")
    waiting = client.post(url, json={"waitlist": True}, headers=other_headers)
    assert waiting.status_code == 201 and waiting.get_json()["status"] == "waitlisted"
    assert_error(client.post(url, json={"attendees": 0}, headers=headers), 400,
                 "validation_error")
    cancelled = client.post(f"{API}/member/events/{club.public_id}/cancel", headers=headers)
    assert cancelled.get_json()["status"] == "cancelled"
    mine = client.get(f"{API}/member/events", headers=other_headers).get_json()
    assert mine["items"][0]["status"] == "registered"  # moved up from the waitlist
    assert_error(client.post(f"{API}/member/events/nope/register", json={}, headers=headers),
                 404, "not_found")


def test_order_spends_points_or_refuses(client, shop, member, place):
    response = place(shop.shopper, {**pickup_body(shop), "points": 2000})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["total"]["amount"] == shop.products[0].price_amount - 2000
    assert body["points_redeemed"] == 2000 and body["points_discount"]["amount"] == 2000
    assert_error(place(shop.shopper, {**pickup_body(shop), "points": 5000}), 409,
                 "insufficient_points")


def test_events_name_their_venue_with_description_and_end(client, shop, member, token_for,
                                                          session):
    audience = {"tiers": [], "interests": [], "cities": []}
    starts = utcnow() + timedelta(days=2)
    at_store = Event(title="门店品鉴会", description="现场品鉴海参", starts_at=starts,
                     ends_at=starts + timedelta(hours=2), city="上海市",
                     center_id=shop.store.id, capacity=5, seats_taken=0, **audience)
    session.add(at_store)
    session.commit()
    body = client.get(f"{API}/member/content", headers=token_for(shop.shopper)).get_json()
    item = next(e for e in body["events"] if e["id"] == at_store.public_id)
    assert item["venue"] == {"name": shop.store.name_zh, "address": shop.store.address_zh}
    assert item["description"] == "现场品鉴海参" and item["ends_at"] is not None
    assert item["center_id"] == shop.store.id


def test_one_article_for_a_member_and_a_title_for_others(client, shop, club, token_for,
                                                        session):
    fitting, other = session.execute(sa.select(Article).order_by(Article.id)).scalars().all()
    fitting.body_md = "## 第一口\n\n<script>x()</script>\n\n**米粉**"
    session.commit()
    url = f"{API}/member/content/{fitting.public_id}"
    body = client.get(url, headers=token_for(shop.shopper)).get_json()
    assert body["title"] == fitting.title and body["id"] == fitting.public_id
    assert "<h2>第一口</h2>" in body["body_html"] and "<strong>米粉</strong>" in body["body_html"]
    assert "script" not in body["body_html"]
    session.expire_all()
    assert session.get(Article, fitting.id).views_count == 1
    for headers in (token_for(shop.agent), {}):  # a non-member, anyone without a token
        refused = assert_error(client.get(url, headers=headers), 403, "members_only")
        assert refused["title"] == fitting.title and "body_html" not in refused
    session.expire_all()
    assert session.get(Article, fitting.id).views_count == 1  # refusals do not count
    assert_error(client.get(f"{API}/member/content/{other.public_id}",
                            headers=token_for(shop.shopper)), 404, "not_found")
    assert_error(client.get(f"{API}/member/content/nope", headers=token_for(shop.agent)),
                 404, "not_found")


def test_products_show_a_member_their_tier_price(client, shop, member, make_product, stock,
                                                 token_for, session):
    product = make_product(price=39800, member_price=37800)
    stock(shop.store, product, 5)
    tiers.set_member_prices(product, {Tier.GOLD: 33800})
    session.commit()

    def shown(headers):
        items = client.get(f"{API}/products?q={product.sku}", headers=headers).get_json()
        one = client.get(f"{API}/products/{product.slug}", headers=headers).get_json()
        row = next(i for i in items["items"] if i["sku"] == product.sku)
        assert row.get("member_price") == one.get("member_price")
        return (row.get("member_price") or {}).get("amount")

    assert shown({}) == 37800  # everyone: the general member price
    assert shown(token_for(shop.shopper)) == 37800  # classic has no price of its own
    member.tier = Tier.GOLD
    session.commit()
    assert shown(token_for(shop.shopper)) == 33800


def test_order_lines_say_which_tier_price_applied(client, shop, member, place, session,
                                                  token_for):
    tiers.set_member_prices(shop.products[0], {Tier.CLASSIC: 11800})
    session.commit()
    body = place(shop.shopper, pickup_body(shop)).get_json()
    assert body["lines"][0]["price_tier"] == "classic"
    assert body["lines"][0]["unit_price"]["amount"] == 11800
    assert body["lines"][0]["member_price"] is True
    again = client.get(f"{API}/orders/{body['id']}", headers=token_for(shop.shopper)).get_json()
    assert again["lines"][0]["price_tier"] == "classic"
