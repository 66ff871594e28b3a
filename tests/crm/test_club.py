"""The club in the CRM: content targeting and sanitizing, events (capacity, waitlist,
check-in, reminders, figures), the member's profile, export and closing. SQLite and PostgreSQL."""

from datetime import date, timedelta

import pytest

from core.clock import shop_today, utcnow
from core.errors import IllegalTransition, NotFound, ValidationFailed
from crm.club import audience, content, events
from crm.club import members as club
from crm.club.models import Article, Event
from crm.customers.erasure import ANONYMIZED_NAME
from storefront.loyalty.membership import sign_up_member
from storefront.loyalty.models import Tier

pytestmark = pytest.mark.dates  # calendar rules: CI runs these shifted too


def months_ago(n: int) -> date:
    today = shop_today()
    year, month = divmod(today.year * 12 + today.month - 1 - n, 12)
    return date(year, month + 1, min(today.day, 28))


@pytest.fixture()
def member(session, shop):
    return sign_up_member(shop.shopper, name="王丽", phone="13800000001", city="上海市",
                          baby_birthday=months_ago(6), interests=["formula"])


def article(session, title, **audience):
    a = Article(title=title, body_md="正文", publish_from=utcnow() - timedelta(hours=1),
                **{"tiers": [], "interests": [], "cities": [], **audience})
    session.add(a)
    session.flush()
    return a


def event(session, title="亲子讲座", capacity=10, starts_in=timedelta(days=3), **audience):
    e = Event(title=title, starts_at=utcnow() + starts_in, city="上海市", address="静安区某路1号",
              capacity=capacity, seats_taken=0,
              **{"tiers": [], "interests": [], "cities": [], **audience})
    session.add(e)
    session.flush()
    return e


# --- content ----------------------------------------------------------------------------------


def test_member_sees_what_fits_newest_first(session, member):
    six = article(session, "6月龄辅食添加指南", age_min_months=4, age_max_months=8)
    article(session, "孕期饮食", for_pregnancy=True)
    article(session, "1岁以上", age_min_months=12, age_max_months=36)
    article(session, "金卡专享", tiers=[Tier.GOLD])
    article(session, "北京活动回顾", cities=["北京市"])
    article(session, "送礼指南", interests=["gifts"])
    general = article(session, "海参泡发与烹饪")
    general.publish_from = utcnow() - timedelta(minutes=5)
    titles = [a.title for a in content.articles_for(member)]
    assert titles == ["海参泡发与烹饪", six.title]
    assert [a.title for a in content.articles_for(member, q="辅食")] == [six.title]


def test_expecting_parents_see_pregnancy_content(session, member):
    member.children = [{"name": "", "birth_date": (shop_today() + timedelta(days=60))
                        .isoformat()}]
    article(session, "孕期饮食", for_pregnancy=True)
    article(session, "6月龄辅食", age_min_months=4, age_max_months=8)
    assert [a.title for a in content.articles_for(member)] == ["孕期饮食"]


def test_publish_window_and_drafts(session, member):
    a = article(session, "已下线", publish_until=utcnow() - timedelta(minutes=1))
    b = article(session, "草稿")
    b.publish_from = None
    c = article(session, "明天发布")
    c.publish_from = utcnow() + timedelta(days=1)
    assert content.articles_for(member) == []
    assert not content.readable_by(a, member)
    assert [x.title for x in content.public_titles()] == []


def test_markdown_is_sanitized(session):
    html = content.render_markdown(
        "# 标题\n\n<script>alert(1)</script>\n\n[link](javascript:alert(1)) **粗体**\n\n"
        '<img src=x onerror="alert(1)">')
    assert "<h1>标题</h1>" in html and "<strong>粗体</strong>" in html
    assert "<script" not in html and "onerror" not in html and 'href="javascript' not in html


def test_save_article_checks_its_input(session, shop):
    with pytest.raises(ValidationFailed) as err:
        content.save_article(None, {"title": "", "age_min_months": 9, "age_max_months": 3,
                                    "tiers": ["platinum"]}, shop.agent)
    assert set(err.value.errors) == {"title", "age_max_months", "tiers"}
    a = content.save_article(None, {"title": "辅食", "body_md": "x", "age_min_months": 4,
                                    "age_max_months": 8, "publish_from": utcnow()}, shop.agent)
    assert a.public_id and a.age_max_months == 8


# --- events -----------------------------------------------------------------------------------


def test_register_waitlist_and_move_up(session, shop, member, make_user):
    e = event(session, capacity=3)
    reg = events.register(e, member, attendees=2)
    assert reg.status == "registered" and e.seats_taken == 2
    with pytest.raises(events.AlreadyRegistered):
        events.register(e, member)
    other = sign_up_member(make_user(), name="李娜", phone="13800000002", city="上海市")
    with pytest.raises(events.EventFull):
        events.register(e, other, attendees=2)
    waiting = events.register(e, other, attendees=2, waitlist=True)
    assert waiting.status == "waitlisted" and e.seats_taken == 2
    events.cancel_registration(reg)
    assert waiting.status == "registered" and e.seats_taken == 2
    again = events.register(e, member, attendees=1)  # the cancelled row is reused
    assert again.id == reg.id and e.seats_taken == 3


def test_registration_rules(session, member):
    past = event(session, starts_in=timedelta(hours=-1))
    with pytest.raises(IllegalTransition):
        events.register(past, member)
    gold_only = event(session, tiers=[Tier.GOLD])
    with pytest.raises(NotFound):
        events.register(gold_only, member)
    with pytest.raises(ValidationFailed):
        events.register(event(session), member, attendees=0)


def test_check_in_by_card(session, shop, member):
    e = event(session)
    with pytest.raises(events.NotRegistered):
        events.check_in(e, member.card_number, shop.agent)
    events.register(e, member, attendees=2)
    reg = events.check_in(e, member.card_number.lower(), shop.agent)
    assert reg.checked_in_at is not None
    with pytest.raises(IllegalTransition):
        events.check_in(e, member.card_number, shop.agent)
    with pytest.raises(NotFound):
        events.check_in(e, "VIP0000000000", shop.agent)
    figures = events.event_figures(e)
    assert figures["registrations"] == 1 and figures["attendance_rate"] == 100
    assert "VIP" in events.attendees_csv(e).splitlines()[1]


def test_reminders_the_day_before_once(session, member):
    soon = event(session, starts_in=timedelta(hours=20))
    later = event(session, title="下周", starts_in=timedelta(days=5))
    reg = events.register(soon, member)
    events.register(later, member)
    assert "1 event reminder" in events.send_due_reminders(utcnow())
    assert reg.reminded_at is not None
    assert "0 event reminder" in events.send_due_reminders(utcnow())
    message = events.reminder_message(reg)
    assert message["to"] == member.phone and soon.title in message["body"]
    from crm.outreach.models import OutboxMessage

    queued = session.query(OutboxMessage).filter_by(kind="event_reminder").all()
    assert [(m.to, m.purpose) for m in queued] == [(member.phone, "service")]
    assert soon.title in queued[0].body


def test_upcoming_events_fit_the_member(session, member):
    event(session, title="6月龄亲子课", age_min_months=3, age_max_months=9)
    event(session, title="孕妈课堂", for_pregnancy=True)
    assert [e.title for e in events.upcoming_for(member)] == ["6月龄亲子课"]


# --- the member's profile ---------------------------------------------------------------------


def test_profile_export_and_close(session, shop, member):
    club.update_profile(member, {"name": "王丽丽", "phone": "13800000009", "city": "上海市",
                                 "interests": ["formula", "events"], "channels": ["sms"],
                                 "children": [{"name": "小宝", "birth_date": months_ago(10)}],
                                 "marketing_consent": True})
    assert member.children[0]["name"] == "小宝" and member.baby_birthday == months_ago(10)
    with pytest.raises(ValidationFailed):
        club.update_profile(member, {"name": "", "phone": "1", "channels": ["fax"]})
    e = event(session)
    events.register(e, member)
    data = club.export_member_data(member)
    assert data["membership"]["card_number"] == member.card_number
    assert data["events"][0]["event"] == e.title
    club.close_membership(member)
    assert member.name == ANONYMIZED_NAME and member.phone == "" and member.children == []
    assert e.seats_taken == 0
    with pytest.raises(IllegalTransition):
        club.close_membership(member)


def test_the_reminder_speaks_the_members_language(session, member, shop, client):
    from tests.support.pages import login

    reg = events.register(event(session, title="营养讲座", starts_in=timedelta(hours=20)), member)
    zh = events.reminder_message(reg)  # no choice made yet: the shop's zh_CN
    assert zh["subject"] == "活动提醒：营养讲座"
    assert zh["body"].startswith("【会员活动提醒】王丽，您报名的「营养讲座」")
    assert "（1人）" in zh["body"]
    login(client, shop.shopper)
    client.get("/lang/en?next=/member")  # the switch remembers the choice for messages
    assert shop.shopper.locale == "en"
    en = events.reminder_message(reg)
    assert en["subject"] == "Event reminder: 营养讲座"
    assert en["body"].startswith("[Member event reminder] 王丽, “营养讲座”")
    assert "(attendees: 1)" in en["body"]
    events.send_due_reminders(utcnow())
    from crm.outreach.models import OutboxMessage

    [queued] = session.query(OutboxMessage).filter_by(kind="event_reminder").all()
    assert queued.body == en["body"]
    client.get("/lang/zh_CN")
    assert events.reminder_message(reg)["body"] == zh["body"]


def test_a_waitlisted_member_is_told_of_their_seat(session, shop, member, make_user):
    import sqlalchemy as sa

    from crm.outreach.models import OutboxMessage
    e = event(session, title="营养讲座", capacity=2)
    reg = events.register(e, member, attendees=2)
    other = sign_up_member(make_user(), name="李娜", phone="13800000002", city="上海市")
    other.channels = ["wechat", "email"]
    waiting = events.register(e, other, attendees=1, waitlist=True)
    sent = sa.select(OutboxMessage).where(OutboxMessage.kind == "event_seat")
    assert session.execute(sent).scalars().all() == []
    events.cancel_registration(reg)
    assert waiting.status == "registered"
    message = session.execute(sent).scalar_one()
    assert message.user_id == other.user_id and message.channel == "email"
    assert message.purpose == "service" and "营养讲座" in message.body
    assert "静安区某路1号" in message.body


def test_city_targeting_reads_shanghai_and_shanghai_city_alike(session, member):
    assert member.city == "上海市"
    short = event(session, title="上海场", cities=["上海"])
    full = event(session, title="上海市场", cities=["上海市"])
    elsewhere = event(session, title="北京场", cities=["北京"])
    seen = {e.title for e in events.upcoming_for(member)}
    assert {short.title, full.title} <= seen and elsewhere.title not in seen
    member.city = "上海"
    assert full.title in {e.title for e in events.upcoming_for(member)}
    assert audience.normalize_city(" 上海市 ") == "上海" and audience.normalize_city("市") == "市"


def test_orders_within_30_days_of_an_event_by_its_attendees(session, shop, member, make_user,
                                                            make_order):
    from crm.club.models import EventRegistration
    e = event(session, title="品鉴会", starts_in=timedelta(days=-35))
    stayed_home = sign_up_member(make_user(), name="李娜", phone="13800000002", city="上海市")
    for m, came in ((member, True), (stayed_home, False)):
        session.add(EventRegistration(event_id=e.id, membership_id=m.id, attendees=1,
                                      status="registered",
                                      checked_in_at=e.starts_at if came else None))
    e.seats_taken = 2
    session.flush()
    product = shop.products[0]
    make_order(shop.shopper, product, shop.store, days_ago=20)  # inside the 30 days: counts
    make_order(shop.shopper, product, shop.store, days_ago=2)  # 33 days after: does not
    make_order(shop.shopper, product, shop.store, days_ago=40)  # before the event: does not
    make_order(shop.shopper, product, shop.store, days_ago=15, status="cancelled")
    stayed_home_user = session.get(type(shop.shopper), stayed_home.user_id)
    make_order(stayed_home_user, product, shop.store, days_ago=20)  # not an attendee
    figures = events.event_figures(e)
    assert figures["orders_30d"] == 1
    assert (figures["registrations"], figures["checked_in"], figures["attendance_rate"]) == \
        (2, 1, 50)
