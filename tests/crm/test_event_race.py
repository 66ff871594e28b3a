"""Twelve members race for five seats: exactly five get one (SQLite and PostgreSQL)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.clock import utcnow
from core.extensions import db
from core.models import User
from crm.club.models import Event, EventRegistration
from storefront.loyalty.models import Membership
from tests.support.race import race_in_sessions

pytestmark = pytest.mark.dates  # calendar rules: CI runs these shifted too

MEMBERS, SEATS = 12, 5


def seed(app):
    event = Event(title="亲子讲座", starts_at=utcnow() + timedelta(days=2), city="上海市",
                  address="静安区南京西路1号", capacity=SEATS, seats_taken=0, tiers=[],
                  interests=[], cities=[])
    db.session.add(event)
    ids = []
    for i in range(MEMBERS):
        user = User(email=f"m{i}@example.com", name=f"会员{i}", role="customer")
        user.password_hash = "x"
        db.session.add(user)
        db.session.flush()
        m = Membership(user_id=user.id, card_number=f"VIP{i:010d}", name=f"会员{i}",
                       phone="13800000000")
        db.session.add(m)
        db.session.flush()
        ids.append(m.id)
    db.session.flush()
    app.config["RACE"] = {"event_id": event.id, "members": ids}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_capacity_holds_under_concurrent_registrations(live_server_factory, backend):
    from crm.club.events import EventFull, register

    server = live_server_factory(backend, seed=seed)
    app, race = server.app, server.app.config["RACE"]

    def attempt(membership_id):
        register(db.session.get(Event, race["event_id"]),
                 db.session.get(Membership, membership_id))
        return "in"

    results = race_in_sessions(app, attempt, race["members"], refused=EventFull,
                               refused_as="full")
    assert results.count("in") == SEATS and results.count("full") == MEMBERS - SEATS
    with app.app_context():
        assert db.session.execute(sa.select(Event.seats_taken)).scalar_one() == SEATS
        assert db.session.execute(
            sa.select(sa.func.count(EventRegistration.id))).scalar_one() == SEATS


def seed_waitlist(app):
    """Two seats, both taken; two members waiting behind them."""
    from crm.club.events import register

    seed(app)
    race = app.config["RACE"]
    event = db.session.get(Event, race["event_id"])
    event.capacity = 2
    db.session.flush()
    members = [db.session.get(Membership, m) for m in race["members"][:4]]
    seated = [register(event, m).id for m in members[:2]]
    waiting = [register(event, m, waitlist=True).id for m in members[2:]]
    race.update(seated=seated, waiting=waiting)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_cancellations_at_once_seat_two_from_the_waitlist(live_server_factory, backend):
    from crm.club.events import cancel_registration
    from crm.outreach.models import OutboxMessage

    server = live_server_factory(backend, seed=seed_waitlist)
    app, race = server.app, server.app.config["RACE"]

    def cancel(registration_id):
        cancel_registration(db.session.get(EventRegistration, registration_id))
        return "cancelled"

    results = race_in_sessions(app, cancel, race["seated"], refused=(), refused_as="")
    assert results == ["cancelled", "cancelled"]
    with app.app_context():
        statuses = dict(db.session.execute(sa.select(EventRegistration.id,
                                                     EventRegistration.status)).all())
        assert [statuses[i] for i in race["seated"]] == ["cancelled", "cancelled"]
        assert [statuses[i] for i in race["waiting"]] == ["registered", "registered"]
        assert db.session.execute(sa.select(Event.seats_taken)).scalar_one() == 2
        told = db.session.execute(sa.select(OutboxMessage.user_id, OutboxMessage.kind)).all()
        promoted = db.session.execute(sa.select(Membership.user_id).join(
            EventRegistration, EventRegistration.membership_id == Membership.id).where(
            EventRegistration.id.in_(race["waiting"]))).scalars().all()
        assert sorted(told) == sorted((user_id, "event_seat") for user_id in promoted)
