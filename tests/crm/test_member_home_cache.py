"""A member's home (/member) is cached per membership until what it shows is written through
the session (memberships, tiers, points, orders, articles, events): a hit reads fewer
statements; points and a new tier show on the next request; one member never sees another's
card, name or points."""

import re

import pytest

from core.extensions import cache, db
from storefront.loyalty import points
from storefront.loyalty.membership import sign_up_member
from storefront.loyalty.models import Tier
from tests.support.pages import login
from tests.support.queries import count_statements

pytestmark = pytest.mark.usefixtures("fresh_requests")


def home(client, user) -> str:
    login(client, user)
    db.session.expire_all()
    response = client.get("/member")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def points_shown(html: str) -> int:
    return int(re.search(r'data-testid="member-points">(\d+)<', html).group(1))


def test_each_member_sees_their_own_home_and_its_changes(client, shop, make_user):
    wang, li = make_user(name="王丽"), make_user(name="李娜")
    mine = sign_up_member(wang, name="王丽", phone="13800000001")
    theirs = sign_up_member(li, name="李娜", phone="13800000002")
    points.adjust_points(theirs, 700, "welcome")
    db.session.commit()

    page = home(client, wang)
    assert mine.card_number in page and points_shown(page) == 0
    other = home(client, li)
    assert theirs.card_number in other and mine.card_number not in other
    assert points_shown(other) == 700 and "王丽" not in other

    with count_statements() as warm:
        home(client, wang)
    cache.clear()
    with count_statements() as cold:
        home(client, wang)
    assert len(warm) < len(cold)

    points.adjust_points(mine, 300, "goodwill")
    db.session.commit()
    page = home(client, wang)
    assert points_shown(page) == 300 and "+300" in page
    assert points_shown(home(client, li)) == 700

    assert "Gold" not in page
    mine.tier = Tier.GOLD
    db.session.commit()
    assert "Gold" in home(client, wang)
    assert "Gold" not in home(client, li)
