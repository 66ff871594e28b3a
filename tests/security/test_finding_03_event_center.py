"""Finding 3: a store's clerk reaches only their own store's events (list, registrations,
attendee export) and checks members in only by the desk's rule: today's events at their
store. The customer center and admins keep full access."""

from datetime import datetime, time, timedelta

import pytest
import sqlalchemy as sa

from crm.club.events import register
from crm.club.models import Event, EventRegistration
from storefront.loyalty.membership import sign_up_member
from tests.conftest import SHOP_ZONE
from tests.support.pages import login

AUDIENCE = {"tiers": [], "interests": [], "cities": []}


@pytest.fixture()
def noon(clock):
    """Noon in the shop, so "today" has hours on either side."""
    clock.move_to(datetime.combine(clock.today(), time(12), SHOP_ZONE))
    return clock


@pytest.fixture()
def member(session, shop):
    return sign_up_member(shop.shopper, name="王丽", phone="13812345678")


def _event(session, member, center, starts_at, title):
    event = Event(title=title, starts_at=starts_at, city="上海市", center_id=center.id,
                  capacity=10, seats_taken=0, **AUDIENCE)
    session.add(event)
    session.flush()
    register(event, member)
    return event


def _checked_in(session, event) -> bool:
    session.expire_all()
    return session.execute(sa.select(EventRegistration.checked_in_at).where(
        EventRegistration.event_id == event.id)).scalar_one() is not None


def test_a_clerk_of_another_store_sees_nothing_of_the_event(client, session, shop, member,
                                                            noon):
    """The review's repro: a clerk of store 2, an event at store 1 twenty days ahead."""
    event = _event(session, member, shop.store, noon.now + timedelta(days=20), "静安品鉴会")
    login(client, shop.far_clerk)
    listing = client.get("/crm/club/events")
    assert listing.status_code == 200 and "静安品鉴会" not in listing.get_data(as_text=True)
    assert client.get(f"/crm/club/events/{event.id}").status_code == 404
    assert client.get(f"/crm/club/events/{event.id}/attendees.csv").status_code == 404
    refused = client.post(f"/crm/club/events/{event.id}",
                          data={"card_number": member.card_number})
    assert refused.status_code == 404 and "静安品鉴会" not in refused.get_data(as_text=True)
    assert not _checked_in(session, event)


def test_a_clerk_checks_in_only_todays_events_at_their_store(client, session, shop, member,
                                                            noon):
    later = _event(session, member, shop.store, noon.now + timedelta(days=20), "下月品鉴会")
    today = _event(session, member, shop.store, noon.now + timedelta(hours=2), "今日品鉴会")
    login(client, shop.clerk)
    listing = client.get("/crm/club/events").get_data(as_text=True)
    assert "下月品鉴会" in listing and "今日品鉴会" in listing
    # Not today: refused as at the desk, nothing written.
    refused = client.post(f"/crm/club/events/{later.id}", data={"card_number": member.card_number})
    assert refused.status_code == 409
    assert "Only today&#39;s events at this store check in here." in refused.get_data(
        as_text=True)
    assert not _checked_in(session, later)
    # Today's at their store: checked in.
    done = client.post(f"/crm/club/events/{today.id}", data={"card_number": member.card_number})
    assert done.status_code == 302
    assert _checked_in(session, today)
    # Their store's export: the registrants, the phone masked.
    export = client.get(f"/crm/club/events/{later.id}/attendees.csv")
    assert export.status_code == 200
    text = export.get_data(as_text=True)
    assert member.card_number in text and "13812345678" not in text and "*******5678" in text


def test_the_customer_center_and_admins_keep_every_event(client, session, shop, member, noon):
    event = _event(session, member, shop.store, noon.now + timedelta(days=20), "静安品鉴会")
    for user in (shop.agent, shop.admin):
        login(client, user)
        assert "静安品鉴会" in client.get("/crm/club/events").get_data(as_text=True)
        assert client.get(f"/crm/club/events/{event.id}").status_code == 200
        assert client.get(f"/crm/club/events/{event.id}/attendees.csv").status_code == 200
    login(client, shop.agent)
    done = client.post(f"/crm/club/events/{event.id}", data={"card_number": member.card_number})
    assert done.status_code == 302 and _checked_in(session, event)
