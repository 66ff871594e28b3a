"""Complaint deadlines at their edges, for every severity: the first answer and the
resolution are due exactly as ``COMPLAINT_SLA_HOURS`` says, a complaint is late one minute
after and not one minute before, and a missed resolution escalates once too."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from crm.care import complaints
from crm.care.models import Complaint
from crm.outreach.models import OutboxMessage

pytestmark = pytest.mark.dates

MINUTE = timedelta(minutes=1)


@pytest.fixture()
def order(shop, make_order):
    return make_order(shop.shopper, shop.products[0], shop.store)


def escalations(session) -> int:
    return session.execute(sa.select(sa.func.count(OutboxMessage.id)).where(
        OutboxMessage.kind == "complaint_escalation")).scalar_one()


@pytest.mark.parametrize("severity,first_hours,resolve_hours",
                         [("high", 2, 24), ("medium", 8, 72), ("low", 24, 168)])
def test_deadlines_by_severity_and_their_edges(session, shop, order, clock, severity,
                                               first_hours, resolve_hours):
    opened = clock.now
    complaint = complaints.open_complaint(actor=shop.agent, order=order, category="quality",
                                          description="罐子凹了", severity=severity)
    first, resolve = opened + timedelta(hours=first_hours), opened + timedelta(hours=resolve_hours)
    assert (complaint.first_response_due_at, complaint.due_at) == (first, resolve)

    clock.move_to(first - MINUTE)
    assert not complaints.is_overdue(complaint)
    assert complaints.list_complaints(overdue=True) == []
    assert complaints.escalate_overdue(clock.now) == "0 complaint(s) escalated"
    clock.move_to(first + MINUTE)
    assert complaints.is_overdue(complaint)
    assert complaints.list_complaints(overdue=True) == [complaint]
    assert complaints.escalate_overdue(clock.now) == "1 complaint(s) escalated"
    assert escalations(session) == 1  # one admin in the shop


def test_an_answered_complaint_is_late_when_its_resolution_is(session, shop, order, clock):
    opened = clock.now
    complaint = complaints.open_complaint(actor=shop.agent, order=order, category="delivery",
                                          description="送晚了", severity="medium")
    clock.move_to(opened + timedelta(hours=1))
    complaints.transition(complaint, shop.agent, to="acknowledged", note="已致电")
    clock.move_to(opened + timedelta(hours=8) + MINUTE)  # first answer was in time
    assert not complaints.is_overdue(complaint)
    assert complaints.escalate_overdue(clock.now) == "0 complaint(s) escalated"

    clock.move_to(opened + timedelta(hours=72) - MINUTE)
    assert not complaints.is_overdue(complaint)
    clock.move_to(opened + timedelta(hours=72) + MINUTE)
    assert complaints.is_overdue(complaint)
    assert complaints.list_complaints(overdue=True) == [complaint]
    assert complaints.escalate_overdue(clock.now) == "1 complaint(s) escalated"
    assert complaints.escalate_overdue(clock.now) == "0 complaint(s) escalated"
    assert session.get(Complaint, complaint.id).escalated_at == clock.now
