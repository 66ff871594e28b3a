"""Finding 13: a draft, an article not yet out or past its end, and an unpublished event
show nothing of themselves (not even the title) to anyone but the customer center: 404 for
visitors and members alike, on the pages and in the API."""

from datetime import timedelta

import pytest

from core.clock import utcnow
from crm.club.models import Article, Event
from storefront.loyalty.membership import sign_up_member
from tests.api.conftest import API
from tests.support.pages import login

AUDIENCE = {"tiers": [], "interests": [], "cities": []}


def _article(session, title, **window):
    article = Article(title=title, summary="摘要", body_md="正文", **window, **AUDIENCE)
    session.add(article)
    session.flush()
    return article


@pytest.fixture()
def articles(session):
    """One article of each kind, committed (a 404 rolls back what is not)."""
    now = utcnow()
    made = {
        "draft": _article(session, "DRAFT-草稿标题"),
        "coming": _article(session, "COMING-未发布标题", publish_from=now + timedelta(days=3)),
        "expired": _article(session, "EXPIRED-已下线标题", publish_from=now - timedelta(days=9),
                            publish_until=now - timedelta(days=1)),
        "live": _article(session, "LIVE-在线标题", publish_from=now - timedelta(hours=1)),
    }
    session.commit()
    return made


@pytest.fixture()
def member(session, make_user):
    user = make_user()
    sign_up_member(user, name="王丽", phone="13800000001")
    session.commit()  # a 404 rolls back what is not committed
    return user


def _hidden(response, title):
    return response.status_code == 404 and title not in response.get_data(as_text=True)


def test_no_one_but_staff_sees_anything_of_an_article_not_live(app, client, session, shop,
                                                               articles, member):
    """The review's repro: an anonymous visitor on a draft's address saw its title."""
    visitor = app.test_client()
    for kind in ("draft", "coming", "expired"):
        article = articles[kind]
        url = f"/member/content/{article.public_id}"
        assert _hidden(visitor.get(url), article.title), (kind, "visitor")
        for user in (shop.shopper, member):  # a non-member, a member
            login(client, user)
            assert _hidden(client.get(url), article.title), (kind, user.id)
        api = client.get(f"{API}/member/content/{article.public_id}")
        assert _hidden(api, article.title)
        login(client, shop.agent)
        preview = client.get(f"/crm/club/articles/{article.id}/preview")
        assert preview.status_code == 200 and article.title in preview.get_data(as_text=True)


def test_a_live_article_still_shows_its_title_to_join_and_its_body_to_members(
        client, session, shop, articles, member):
    live = articles["live"]
    login(client, shop.shopper)
    teaser = client.get(f"/member/content/{live.public_id}")
    assert teaser.status_code == 403 and live.title in teaser.get_data(as_text=True)
    login(client, member)
    assert client.get(f"/member/content/{live.public_id}").status_code == 200


def test_an_unpublished_event_is_not_there_for_members(client, session, shop, member,
                                                       token_for):
    hidden = Event(title="HIDDEN-内部活动", starts_at=utcnow() + timedelta(days=5), city="上海市",
                   address="静安区1号", capacity=5, seats_taken=0, published=False, **AUDIENCE)
    shown = Event(title="SHOWN-亲子讲座", starts_at=utcnow() + timedelta(days=5), city="上海市",
                  address="静安区1号", capacity=5, seats_taken=0, published=True, **AUDIENCE)
    session.add_all([hidden, shown])
    session.flush()
    headers = token_for(member)
    login(client, member)
    url = f"/member/events/{hidden.public_id}"
    assert _hidden(client.get(url), hidden.title)
    assert _hidden(client.post(url, data={"attendees": "1"}), hidden.title)
    api = client.post(f"{API}/member/events/{hidden.public_id}/register", json={"attendees": 1},
                      headers=headers)
    assert api.status_code == 404 and api.get_json()["code"] == "not_found"
    login(client, member)
    page = client.get(f"/member/events/{shown.public_id}")
    assert page.status_code == 200 and shown.title in page.get_data(as_text=True)
    login(client, shop.agent)
    assert hidden.title in client.get(f"/crm/club/events/{hidden.id}").get_data(as_text=True)
