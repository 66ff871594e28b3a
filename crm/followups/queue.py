"""Follow-up visits (回访): scheduling them from rules, the agent's queue, recording outcomes."""

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from core.cache import watch_tables
from core.clock import utcnow
from core.errors import IllegalTransition, NotFound, ValidationFailed
from core.extensions import db
from core.models import User
from crm.customers.models import Customer

from .models import FollowUp, FollowUpKind, FollowUpStatus

OUTCOMES = ("reached", "unreached", "wrong_number", "declined")
#: the cache namespace of the agents' queue page: every write to the follow-ups, or to the
#: names and phones of the customers they name, moves it on (``core.cache.watch_tables``)
QUEUE_NAMESPACE = "followups"
watch_tables(QUEUE_NAMESPACE, FollowUp.__tablename__)
watch_tables(QUEUE_NAMESPACE, Customer.__tablename__, columns=("name", "phone"))
RETRY_AFTER = timedelta(days=1)


def schedule_followup(customer: Customer, *, kind: str, reason: str, due_at,
                      order_id: int | None = None, channel: str = "phone") -> FollowUp | None:
    """Plan a follow-up unless one exists for the same ``reason``; returns the new one or None."""
    exists = db.session.execute(
        sa.select(FollowUp.id).where(FollowUp.reason == reason)).first()
    if exists:
        return None
    followup = FollowUp(customer_id=customer.id, order_id=order_id, kind=kind, reason=reason,
                        channel=channel, due_at=due_at, status=FollowUpStatus.OPEN)
    # A savepoint, so a concurrent twin (unique reason) costs this one row, not the transaction.
    try:
        with db.session.begin_nested():
            db.session.add(followup)
    except sa.exc.IntegrityError:
        return None
    return followup


def due_followups(*, due_before=None, due_after=None, status: str | None = FollowUpStatus.OPEN,
                  kind: str | None = None, channel: str | None = None,
                  limit: int = 200) -> list[FollowUp]:
    """The agent's queue: soonest due first, with the customer loaded alongside."""
    query = sa.select(FollowUp).options(sa.orm.joinedload(FollowUp.customer))
    if status:
        query = query.where(FollowUp.status == status)
    if kind:
        query = query.where(FollowUp.kind == kind)
    if channel:
        query = query.where(FollowUp.channel == channel)
    if due_before is not None:
        query = query.where(FollowUp.due_at <= due_before)
    if due_after is not None:
        query = query.where(FollowUp.due_at >= due_after)
    return list(db.session.execute(query.order_by(FollowUp.due_at, FollowUp.id)
                                   .limit(limit)).scalars())


def queue_counts(*, due_before, due_after=None, channel: str | None = None
                 ) -> dict[str, int]:
    """Open follow-ups due in a window, per channel (one GROUP BY); ``channel`` narrows it."""
    query = sa.select(FollowUp.channel, sa.func.count()).where(
        FollowUp.status == FollowUpStatus.OPEN, FollowUp.due_at <= due_before)
    if due_after is not None:
        query = query.where(FollowUp.due_at >= due_after)
    if channel:
        query = query.where(FollowUp.channel == channel)
    return {c: int(n) for c, n in db.session.execute(query.group_by(FollowUp.channel)).all()}


def get_followup(followup_id: int) -> FollowUp:
    followup = db.session.get(FollowUp, followup_id)
    if followup is None:
        raise NotFound()
    return followup


def complete_followup(followup: FollowUp, agent: User, *, outcome: str, notes: str | None = None,
                      satisfaction: int | None = None, next_action: str | None = None,
                      next_action_at=None) -> FollowUp:
    """Record a call. Unreached calls are retried a day later, up to
    ``FOLLOWUP_MAX_ATTEMPTS`` times, then closed as unreached. A next action with its date
    plans a follow-up for it."""
    if followup.status != FollowUpStatus.OPEN:
        raise IllegalTransition(_l("This follow-up is already closed."),
                                extra={"status": followup.status})
    if outcome not in OUTCOMES:
        raise ValidationFailed(errors={"outcome": [str(_l("Unknown outcome."))]})
    if satisfaction is not None and (outcome != "reached" or not 1 <= satisfaction <= 5):
        raise ValidationFailed(errors={"satisfaction": [str(_l(
            "Satisfaction is 1 to 5, and only for a customer reached."))]})
    followup.attempts += 1
    followup.outcome = outcome
    if notes:
        stamp = utcnow().strftime("%Y-%m-%d %H:%M")
        followup.notes = ((followup.notes + "\n") if followup.notes else "") + f"[{stamp}] {notes}"
    followup.satisfaction = satisfaction
    if (next_action is None) != (next_action_at is None):
        raise ValidationFailed(errors={"next_action_at": [str(_l(
            "Give the next action and its date together."))]})
    if next_action_at is not None and next_action_at <= utcnow():
        raise ValidationFailed(errors={"next_action_at": [str(_l(
            "The next action's date lies ahead."))]})
    if next_action is not None:
        followup.next_action, followup.next_action_at = next_action[:200], next_action_at
        schedule_followup(followup.customer, kind=FollowUpKind.NEXT_ACTION,
                          reason=f"next:followup:{followup.id}:{followup.attempts}",
                          due_at=next_action_at, order_id=followup.order_id)
        planned = db.session.execute(sa.select(FollowUp).where(
            FollowUp.reason == f"next:followup:{followup.id}:{followup.attempts}")).scalar_one()
        planned.task = next_action[:200]
    max_attempts = current_app.config["FOLLOWUP_MAX_ATTEMPTS"]
    if outcome == "unreached" and followup.attempts < max_attempts:
        followup.due_at = utcnow() + RETRY_AFTER
    else:
        followup.status = (FollowUpStatus.UNREACHED if outcome == "unreached"
                           else FollowUpStatus.DONE)
        followup.completed_at = utcnow()
        followup.completed_by_id = agent.id
    db.session.flush()
    return followup
