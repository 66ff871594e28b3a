"""Closing a membership frees the user to join again: a new card, entry tier, no points; the
closed one stays for the books. SQLite and PostgreSQL."""

from datetime import date

import pytest
import sqlalchemy as sa

from crm.club import members as club
from crm.customers.erasure import ANONYMIZED_NAME
from storefront.errors import AlreadyMember
from storefront.loyalty import tiers
from storefront.loyalty.membership import membership_of, sign_up_member
from storefront.loyalty.models import Membership, Tier
from storefront.payments import refunds
from tests.support.pages import login

from .test_club import buy, pick_up


def _memberships(session, user):
    session.expire_all()
    return session.execute(sa.select(Membership).where(Membership.user_id == user.id)
                           .order_by(Membership.id)).scalars().all()


def test_join_close_and_join_again_through_the_pages(client, session, shop):
    login(client, shop.shopper)
    form = {"name": "王丽", "phone": "13800000001", "city": "上海市"}
    assert client.post("/vip", data=form).status_code == 302
    [first] = _memberships(session, shop.shopper)
    client.post("/member/close", data={"confirm": "y"})
    assert client.post("/vip", data=form).status_code == 302
    old, new = _memberships(session, shop.shopper)
    assert old.id == first.id and old.closed_at is not None and old.name == ANONYMIZED_NAME
    assert new.closed_at is None and new.card_number != old.card_number
    assert (new.tier, new.points, new.name) == (Tier.CLASSIC, 0, "王丽")
    client.get("/member")  # shows (and so clears) the messages of the steps above
    html = client.get("/member").get_data(as_text=True)
    assert new.card_number in html and old.card_number not in html


def test_the_old_points_and_tier_do_not_come_back(session, shop, make_product, stock):
    tiers.rule_for(Tier.SILVER).threshold_amount = 50000
    box = make_product(price=60000)
    stock(shop.store, box, 5)
    first = sign_up_member(shop.shopper, name="王丽", phone="13800000001",
                           birthday=date(1990, 5, 1))
    old_order = pick_up(shop, buy(shop, box))
    assert (first.tier, first.points) == (Tier.SILVER, 600)
    with pytest.raises(AlreadyMember):
        sign_up_member(shop.shopper, name="王丽", phone="13800000001")
    club.close_membership(first)
    assert membership_of(shop.shopper) is None
    again = sign_up_member(shop.shopper, name="王丽", phone="13800000001")
    assert membership_of(shop.shopper).id == again.id
    assert (again.tier, again.points) == (Tier.CLASSIC, 0)
    assert tiers.rolling_spend(again) == 0  # spend before the closing stays with it
    pick_up(shop, buy(shop))  # 128.00 under the new card
    assert (again.tier, again.points, tiers.rolling_spend(again)) == (Tier.CLASSIC, 128, 12800)
    # refunding an order of the closed membership takes nothing from the new one
    refunds.refund_order(old_order, shop.clerk, reason="returned")
    assert again.points == 128
    with pytest.raises(sa.exc.IntegrityError):  # still one open membership per user
        with session.begin_nested():
            session.add(Membership(user_id=shop.shopper.id, card_number="VIP0000000001",
                                   tier=Tier.CLASSIC, points=0, name="x", phone="1"))
