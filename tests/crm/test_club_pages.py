"""The VIP area and the club's staff pages."""

import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.clock import shop_zone, utcnow
from crm.club.models import Article, Event, EventRegistration
from crm.customers.erasure import ANONYMIZED_NAME
from storefront.loyalty import points
from storefront.loyalty.membership import sign_up_member
from tests.support.pages import login

pytestmark = pytest.mark.dates  # calendar rules: CI runs these shifted too

AUDIENCE = {"tiers": [], "interests": [], "cities": []}


@pytest.fixture()
def member(session, shop):
    m = sign_up_member(shop.shopper, name="王丽", phone="13800000001", city="上海市",
                       baby_birthday=(utcnow() - timedelta(days=185)).date())
    points.adjust_points(m, 120, "welcome")
    return m


@pytest.fixture()
def article(session):
    a = Article(title="6月龄辅食添加", summary="从米粉开始",
                body_md="## 第一口\n\n<script>x()</script>\n\n**米粉**",
                publish_from=utcnow() - timedelta(hours=1), age_min_months=4, age_max_months=8,
                **AUDIENCE)
    session.add(a)
    session.flush()
    return a


@pytest.fixture()
def event(session):
    e = Event(title="亲子讲座", starts_at=utcnow() + timedelta(days=3), city="上海市",
              address="静安区1号", capacity=3, seats_taken=0, **AUDIENCE)
    session.add(e)
    session.flush()
    return e


def test_home_shows_card_qr_progress_event_and_content(client, shop, member, article, event):
    login(client, shop.shopper)
    html = client.get("/member").get_data(as_text=True)
    for testid in ("vip-card", "member-qr", "tier-progress", "next-event", "picked-content"):
        assert f'data-testid="{testid}"' in html
    assert article.title in html and event.title in html and member.card_number in html
    qr = client.get("/member/card.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"
    # a full QR (21 modules a side and more, 2 of border, 6 px each), not a Micro QR that
    # the desk's jsQR and most phone scanners cannot read
    size = int(re.search(rb'width="(\d+)"', qr.data).group(1))
    assert size >= (21 + 2 * 2) * 6


def test_non_member_sees_titles_and_a_call_to_join(client, shop, article):
    login(client, shop.shopper)
    html = client.get("/member/content").get_data(as_text=True)
    assert 'data-testid="member-join"' in html and article.title in html
    assert client.get(f"/member/content/{article.public_id}").status_code == 403
    assert 'data-testid="member-join"' in client.get("/member").get_data(as_text=True)


def test_member_reads_an_article_safely_and_it_counts(client, shop, member, article, session):
    login(client, shop.shopper)
    listing = client.get("/member/content?q=辅食").get_data(as_text=True)
    assert article.title in listing
    html = client.get(f"/member/content/{article.public_id}").get_data(as_text=True)
    assert "<h2>第一口</h2>" in html and "<strong>米粉</strong>" in html and "x()" not in html
    session.expire_all()
    assert session.get(Article, article.id).views_count == 1


def test_register_and_cancel_on_the_page(client, shop, member, event, session):
    login(client, shop.shopper)
    url = f"/member/events/{event.public_id}"
    response = client.post(url, data={"attendees": "2", "waitlist": "y"})
    assert response.status_code == 302
    assert 'data-testid="registration-status"' in client.get(url).get_data(as_text=True)
    assert client.post(url, data={"attendees": "0"}).status_code == 400
    client.post(f"{url}/cancel")
    session.expire_all()
    assert session.execute(sa.select(EventRegistration.status)).scalar_one() == "cancelled"


def test_points_ledger_page(client, shop, member):
    login(client, shop.shopper)
    html = client.get("/member/points").get_data(as_text=True)
    assert 'data-testid="points-ledger"' in html and "+120" in html


def test_preferences_export_and_close(client, shop, member, session):
    login(client, shop.shopper)
    assert client.get("/member/profile").status_code == 200
    saved = client.post("/member/profile", data={
        "name": "王丽丽", "phone": "13800000009", "city": "上海市",
        "children-0-name": "小宝", "children-0-birth_date": "2026-05-01",
        "interests": ["formula"], "channels": ["sms", "wechat"], "marketing_consent": "y"})
    assert saved.status_code == 302
    assert member.name == "王丽丽" and member.children[0]["birth_date"] == "2026-05-01"
    assert client.post("/member/profile", data={"name": "", "phone": ""}).status_code == 400
    data = json.loads(client.get("/member/data.json").get_data(as_text=True))
    assert data["membership"]["channels"] == ["sms", "wechat"]
    assert client.post("/member/close", data={}).status_code == 302
    assert member.closed_at is None
    client.post("/member/close", data={"confirm": "y"})
    session.expire_all()
    assert member.closed_at is not None and member.name == ANONYMIZED_NAME


def test_staff_write_an_article_and_preview_it_as_a_member(client, shop, member, session):
    login(client, shop.agent)
    response = client.post("/crm/club/articles/new", data={
        "title": "孕期饮食", "body_md": "多吃**蔬菜**", "for_pregnancy": "y",
        "publish_from": "2026-01-01T08:00"})
    assert response.status_code == 302
    article = session.execute(sa.select(Article)).scalar_one()
    assert article.for_pregnancy and article.publish_from.year == 2026
    preview = client.get(f"/crm/club/articles/{article.id}/preview?card={member.card_number}")
    assert preview.status_code == 200 and "<strong>蔬菜</strong>" in preview.get_data(as_text=True)
    assert "would not see" in preview.get_data(as_text=True)
    assert client.post("/crm/club/articles/new", data={"title": ""}).status_code == 400
    assert "孕期饮食" in client.get("/crm/club/articles").get_data(as_text=True)


def test_staff_create_an_event_check_in_and_export(client, shop, member, session, clock):
    login(client, shop.agent)
    starts = f"{(clock.today() + timedelta(days=30)).isoformat()}T14:00"
    response = client.post("/crm/club/events/new", data={
        "title": "品鉴会", "starts_at": starts, "center_id": str(shop.store.id),
        "city": "上海市", "capacity": "20", "published": "y"})
    assert response.status_code == 302
    event = session.execute(sa.select(Event)).scalar_one()
    assert event.center_id == shop.store.id and event.capacity == 20
    from crm.club.events import register
    register(event, member, attendees=2)
    session.commit()
    page = client.post(f"/crm/club/events/{event.id}", data={"card_number": member.card_number})
    assert page.status_code == 302
    wrong = client.post(f"/crm/club/events/{event.id}", data={"card_number": "VIP9"})
    assert wrong.status_code == 404
    html = client.get(f"/crm/club/events/{event.id}").get_data(as_text=True)
    assert 'data-testid="event-figures"' in html and "100%" in html
    csv = client.get(f"/crm/club/events/{event.id}/attendees.csv").get_data(as_text=True)
    assert member.card_number in csv
    assert client.post("/crm/club/events/new", data={"title": "x"}).status_code == 400


def test_shoppers_stay_out_of_the_staff_pages(client, shop):
    login(client, shop.shopper)
    assert client.get("/crm/club/articles").status_code == 403
    assert client.get("/crm/club/events").status_code == 403


def test_an_event_at_a_store_names_the_store(client, shop, member, session):
    from crm.club.events import register, reminder_message
    e = Event(title="门店品鉴会", starts_at=utcnow() + timedelta(days=2), city="上海市",
              center_id=shop.store.id, capacity=5, seats_taken=0, **AUDIENCE)
    session.add(e)
    session.flush()
    reg = register(e, member)
    assert shop.store.name_zh in reminder_message(reg)["body"]
    assert shop.store.address_zh in reminder_message(reg)["body"]
    names = (shop.store.name_zh, shop.store.name_en)  # in the language the page speaks
    login(client, shop.shopper)
    for url in ("/member/events", f"/member/events/{e.public_id}"):
        html = client.get(url).get_data(as_text=True)
        assert any(name in html for name in names), url
    login(client, shop.agent)
    for url in ("/crm/club/events", f"/crm/club/events/{e.id}"):
        html = client.get(url).get_data(as_text=True)
        assert any(name in html for name in names), url


def test_the_birthday_perk_shows_on_the_home_and_the_ledger(client, shop, member, session):
    from storefront.loyalty.models import PointsEntry
    today = utcnow().astimezone(shop_zone()).date()
    login(client, shop.shopper)
    assert 'data-testid="birthday-perk"' not in client.get("/member").get_data(as_text=True)
    member.birthday = today.replace(year=1990, day=min(today.day, 28))
    points.grant_birthday_perks(utcnow())
    points.adjust_points(member, 10, "x")
    session.execute(sa.update(PointsEntry).where(PointsEntry.membership_id == member.id,
                                                 PointsEntry.reason == "x")
                    .values(kind="earned", reason=points.BIRTHDAY_DOUBLE_REASON))
    login(client, shop.shopper)
    home = client.get("/member").get_data(as_text=True)
    assert 'data-testid="birthday-perk"' in home and "double points" in home
    ledger = client.get("/member/points").get_data(as_text=True)
    assert "birthday month, double points" in ledger
    member.birthday = (today.replace(day=1) - timedelta(days=40))
    login(client, shop.shopper)
    assert 'data-testid="birthday-perk"' not in client.get("/member").get_data(as_text=True)
    login(client, shop.agent)  # not a member: the page that invites to join
    benefits = client.get("/vip").get_data(as_text=True)
    assert "Double points on orders completed in your birthday month" in benefits
