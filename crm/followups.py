"""Follow-up visits (回访): scheduling them from rules, the agent's queue, recording outcomes."""

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from core.errors import IllegalTransition, NotFound, ValidationFailed
from core.extensions import db
from core.models import User, utcnow
from fulfillment.models import Fulfillment, FulfillmentStatus
from storefront.models import Order

from .customers import ensure_customer
from .models import Customer, FollowUp, FollowUpKind, FollowUpStatus

OUTCOMES = ("reached", "unreached", "wrong_number", "declined")
#: unreached attempts before a follow-up is closed as unreached
MAX_ATTEMPTS = 3
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


def schedule_satisfaction_call(fulfillment: Fulfillment) -> FollowUp | None:
    """A call some days after hand-over or delivery, to ask how it went."""
    order = db.session.get(Order, fulfillment.order_id)
    user = db.session.get(User, order.user_id)
    customer = ensure_customer(user)
    delay = timedelta(days=current_app.config["FOLLOWUP_SATISFACTION_DAYS"])
    return schedule_followup(
        customer, kind=FollowUpKind.SATISFACTION, reason=f"satisfaction:order:{order.id}",
        due_at=(fulfillment.completed_at or utcnow()) + delay, order_id=order.id,
    )


def due_followups(*, due_before=None, status: str | None = FollowUpStatus.OPEN,
                  kind: str | None = None, limit: int = 200) -> list[FollowUp]:
    """The agent's queue: soonest due first, with the customer loaded alongside."""
    query = sa.select(FollowUp).options(sa.orm.joinedload(FollowUp.customer))
    if status:
        query = query.where(FollowUp.status == status)
    if kind:
        query = query.where(FollowUp.kind == kind)
    if due_before is not None:
        query = query.where(FollowUp.due_at <= due_before)
    return list(db.session.execute(query.order_by(FollowUp.due_at, FollowUp.id)
                                   .limit(limit)).scalars())


def get_followup(followup_id: int) -> FollowUp:
    followup = db.session.get(FollowUp, followup_id)
    if followup is None:
        raise NotFound()
    return followup


def complete_followup(followup: FollowUp, agent: User, *, outcome: str, notes: str | None = None,
                      satisfaction: int | None = None) -> FollowUp:
    """Record a call. Unreached calls are retried a day later, up to ``MAX_ATTEMPTS`` times."""
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
    if outcome == "unreached" and followup.attempts < MAX_ATTEMPTS:
        followup.due_at = utcnow() + RETRY_AFTER
    else:
        followup.status = (FollowUpStatus.UNREACHED if outcome == "unreached"
                           else FollowUpStatus.DONE)
        followup.completed_at = utcnow()
        followup.completed_by_id = agent.id
    db.session.flush()
    return followup


def run_followup_rules(now) -> str:
    """Job: schedule what the rules call for and the signals missed (idempotent by reason).

    Satisfaction calls for every hand-over or delivery of the last 30 days without one.
    """
    since = now - timedelta(days=30)
    done = db.session.execute(
        sa.select(Fulfillment).where(
            Fulfillment.status.in_(FulfillmentStatus.DONE), Fulfillment.completed_at >= since,
            ~sa.exists().where(FollowUp.order_id == Fulfillment.order_id,
                               FollowUp.kind == FollowUpKind.SATISFACTION))
    ).scalars().all()
    created = sum(1 for f in done if schedule_satisfaction_call(f) is not None)
    return f"{created} satisfaction call(s) scheduled"
