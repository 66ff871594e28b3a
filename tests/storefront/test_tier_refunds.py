"""Tier spend is net of refunds (in full, by lines, by amount): the progress shown, the
upgrades and the yearly review use it; a refund alone never downgrades. SQLite and PostgreSQL."""

from datetime import date, timedelta

import pytest

from core.clock import utcnow
from storefront.loyalty import tiers
from storefront.loyalty.membership import sign_up_member
from storefront.loyalty.models import Tier
from storefront.payments import refunds

from .test_club import buy, pick_up

pytestmark = pytest.mark.dates  # calendar rules: CI runs these shifted too


@pytest.fixture()
def member(session, shop):
    return sign_up_member(shop.shopper, name="王丽", phone="13800000001",
                          birthday=date(1990, 5, 1))


@pytest.fixture()
def box(make_product, stock, shop):
    product = make_product(price=60000)
    stock(shop.store, product, 5)
    return product


def test_refunds_lower_the_spend_but_only_the_review_downgrades(session, shop, member, box):
    tiers.rule_for(Tier.SILVER).threshold_amount = 50000
    gold = tiers.rule_for(Tier.GOLD).threshold_amount
    big = pick_up(shop, buy(shop, box))
    assert member.tier == Tier.SILVER and tiers.rolling_spend(member) == 60000
    refunds.refund_amount(big, shop.clerk, amount=20000, reason="price match")
    small = pick_up(shop, buy(shop, quantity=2))  # 2 x 128.00
    assert tiers.rolling_spend(member) == 40000 + 25600
    refunds.refund_order(small, shop.clerk, reason="one broken",
                         lines={small.lines[0].id: 1})
    assert tiers.rolling_spend(member) == 40000 + 12800
    refunds.refund_order(small, shop.clerk, reason="the other one too")
    assert small.status == "refunded"
    progress = tiers.tier_progress(member)
    assert (progress.spend, progress.remaining) == (40000, gold - 40000)
    assert member.tier == Tier.SILVER  # no downgrade before the review
    tiers.upgrade_tier(member)
    assert member.tier == Tier.SILVER
    member.joined_at = utcnow() - timedelta(days=366)  # the yearly review is due
    session.flush()
    tiers.review_tiers(utcnow())
    assert member.tier == Tier.CLASSIC  # 400.00 net is below silver's 500.00


def test_refunded_money_does_not_count_towards_an_upgrade(session, shop, member, box):
    tiers.rule_for(Tier.SILVER).threshold_amount = 70000
    big = pick_up(shop, buy(shop, box))
    refunds.refund_amount(big, shop.clerk, amount=20000, reason="price match")
    pick_up(shop, buy(shop))  # 600.00 + 128.00 bought, 200.00 given back
    assert tiers.rolling_spend(member) == 52800
    assert member.tier == Tier.CLASSIC
    pick_up(shop, buy(shop, quantity=2))
    assert tiers.rolling_spend(member) == 78400
    assert member.tier == Tier.SILVER


def test_only_the_last_twelve_months_count(session, shop, member, clock):
    """An order fulfilled a year and a day ago no longer counts towards the tier; one
    fulfilled a minute inside the window still does."""
    year = timedelta(days=365)  # the rule: twelve months back from now
    today = clock.now
    clock.move_to(today - year - timedelta(days=1))
    old = pick_up(shop, buy(shop))
    clock.move_to(today)
    recent = pick_up(shop, buy(shop, quantity=2))
    assert tiers.rolling_spend(member) == recent.total_amount == 25600
    inside = old.fulfilled_at + year - timedelta(minutes=1)
    assert tiers.rolling_spend(member, now=inside) == old.total_amount + recent.total_amount
    assert tiers.rolling_spend(member, now=inside + timedelta(minutes=2)) == 25600
