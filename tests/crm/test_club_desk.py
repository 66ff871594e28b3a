"""The member at the store desk: the card scanned, their events and open orders, check-in."""

from datetime import timedelta

import pytest

from core.clock import shop_zone, utcnow
from crm.club.desk import looks_like_card
from crm.club.events import register
from crm.club.models import Event, EventRegistration
from storefront.loyalty import points
from storefront.loyalty.membership import sign_up_member
from tests.support.pages import login

AUDIENCE = {"tiers": [], "interests": [], "cities": []}


def _today_soon():
    """A time later today in the shop's zone (or a minute ago just before midnight)."""
    now = utcnow()
    soon = now + timedelta(minutes=5)
    local = now.astimezone(shop_zone()).date()
    return soon if soon.astimezone(shop_zone()).date() == local else now - timedelta(minutes=1)


@pytest.fixture()
def member(session, shop):
    m = sign_up_member(shop.shopper, name="王丽", phone="13800000001", city="上海市")
    points.adjust_points(m, 260, "welcome")
    return m


def _event(session, title, starts_at, center=None, address=None):
    e = Event(title=title, starts_at=starts_at, city="上海市", center_id=center.id if center
              else None, address=address, capacity=10, seats_taken=0, **AUDIENCE)
    session.add(e)
    session.flush()
    return e


@pytest.fixture()
def today_event(session, shop, member):
    e = _event(session, "今日品鉴会", utcnow() + timedelta(hours=1), center=shop.store)
    register(e, member, attendees=2)
    e.starts_at = _today_soon()  # registration closes at the start; the desk checks in later
    session.flush()
    return e


def test_card_numbers_are_told_from_pickup_codes():
    assert looks_like_card("VIP0123456789") and looks_like_card(" vip0123456789 ")
    assert not looks_like_card("ABCD2345") and not looks_like_card("VIP123")


def test_clerk_scans_a_card_and_sees_the_member(client, session, shop, member, today_event,
                                                 make_order):
    later = _event(session, "亲子讲座", utcnow() + timedelta(days=5), address="静安区1号")
    register(later, member)
    elsewhere = _event(session, "浦东品鉴", utcnow() + timedelta(hours=2), center=shop.far_store)
    register(elsewhere, member)
    elsewhere.starts_at = _today_soon()
    open_here = make_order(shop.shopper, shop.products[0], shop.store, status="confirmed")
    open_here.number = "HY-OPEN-1"
    done_here = make_order(shop.shopper, shop.products[0], shop.store, status="fulfilled")
    done_here.number = "HY-DONE-1"
    open_far = make_order(shop.shopper, shop.products[0], shop.far_store, status="confirmed")
    open_far.number = "HY-FAR-1"
    login(client, shop.clerk)
    page = client.get(f"/desk/member?code={member.card_number.lower()}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "王丽" in html and member.card_number in html and "260" in html
    assert 'data-testid="card-status"' in html and "Valid" in html
    assert "今日品鉴会" in html and "亲子讲座" in html and "浦东品鉴" in html
    assert html.count("/check-in") == 1  # today's event at this store only
    assert f"/desk/member/events/{today_event.id}/check-in" in html
    assert "HY-OPEN-1" in html and "HY-DONE-1" not in html and "HY-FAR-1" not in html
    assert 'data-scan' in html and "jsQR.js" in html
    assert "/desk/member" in client.get("/desk").get_data(as_text=True)  # in the desk's nav

    done = client.post(f"/desk/member/events/{today_event.id}/check-in",
                       data={"card_number": member.card_number})
    assert done.status_code == 302 and member.card_number in done.headers["Location"]
    session.expire_all()
    reg = session.query(EventRegistration).filter_by(event_id=today_event.id).one()
    assert reg.checked_in_at is not None and reg.checked_in_by_id == shop.clerk.id
    # another store's event is refused and changes nothing
    refused = client.post(f"/desk/member/events/{elsewhere.id}/check-in",
                          data={"card_number": member.card_number}, follow_redirects=True)
    assert "Only today" in refused.get_data(as_text=True)
    assert session.query(EventRegistration).filter_by(
        event_id=elsewhere.id).one().checked_in_at is None


def test_unknown_and_closed_cards(client, session, shop, member):
    from crm.club.members import close_membership
    login(client, shop.far_clerk)  # any store's clerk may look a member up
    unknown = client.get("/desk/member?code=VIP0000000000")
    assert unknown.status_code == 404 and "No member holds this card" in unknown.get_data(
        as_text=True)
    close_membership(member)
    login(client, shop.far_clerk)
    closed = client.get(f"/desk/member?code={member.card_number}")
    assert closed.status_code == 200 and "Closed on" in closed.get_data(as_text=True)
    assert client.get("/desk/member").status_code == 200  # the empty box


def test_trying_card_numbers_one_after_another_is_stopped(app, client, session, shop, member):
    login(client, shop.clerk)
    limit = int(app.config["DESK_CARD_LOOKUP_LIMIT"].split()[0])
    for n in range(limit):
        assert client.get(f"/desk/member?code=VIP{n:010d}").status_code == 404
    # Even a real card waits now: the clerk has tried too many.
    blocked = client.get(f"/desk/member?code={member.card_number}")
    assert blocked.status_code == 429 and "Too many attempts" in blocked.get_data(as_text=True)
    login(client, shop.far_clerk)  # another clerk is not held up
    assert client.get(f"/desk/member?code={member.card_number}").status_code == 200


def test_the_limit_holds_on_every_page_that_looks_a_card_up(app, client, session, shop, member,
                                                            today_event):
    """An event's check-in and an article's preview count unknown cards with the desk."""
    login(client, shop.clerk)
    limit = int(app.config["DESK_CARD_LOOKUP_LIMIT"].split()[0])
    for n in range(limit):
        page = client.post(f"/crm/club/events/{today_event.id}",
                           data={"card_number": f"VIP{n:010d}"})
        assert page.status_code == 404, n
    blocked = client.post(f"/crm/club/events/{today_event.id}",
                          data={"card_number": member.card_number})
    assert blocked.status_code == 429 and "Too many attempts" in blocked.get_data(as_text=True)
    assert client.get(f"/desk/member?code={member.card_number}").status_code == 429


@pytest.mark.parametrize("who", ["shopper", "agent"])
def test_only_the_desk_and_admins(client, shop, member, who):
    login(client, getattr(shop, who))
    assert client.get(f"/desk/member?code={member.card_number}").status_code == 403
    login(client, shop.admin)
    assert client.get(f"/desk/member?code={member.card_number}&center={shop.store.id}"
                      ).status_code == 200


def test_pickup_code_box_sends_a_card_to_the_member_page(client, session, shop, member):
    login(client, shop.clerk)
    for _ in range(6):  # more than the wrong-code limit: a card is no wrong code
        sent = client.post("/desk/code", data={"code": f" {member.card_number.lower()} "})
        assert sent.status_code == 302
        assert sent.headers["Location"].endswith(f"/desk/member?code={member.card_number}")
    wrong = client.post("/desk/code", data={"code": "ZZZZ2345"})
    assert wrong.status_code == 400 and "does not match" in wrong.get_data(as_text=True)
