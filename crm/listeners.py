"""The customer center listens: purchases update profiles, hand-overs schedule calls."""

from core.extensions import db
from core.models import User, utcnow
from core.signals import (
    fulfillment_completed,
    member_joined,
    order_cancelled,
    order_fulfilled,
    order_placed,
    order_refunded,
    user_registered,
)

from .customers import ensure_customer, refresh_figures
from .followups import schedule_followup, schedule_satisfaction_call
from .models import FollowUpKind


def _refresh_for_user(user_id: int) -> None:
    user = db.session.get(User, user_id)
    if user is not None and not user.is_staff_member:
        refresh_figures(ensure_customer(user))


def on_user_registered(user, **_):
    ensure_customer(user)


def on_order_changed(order, **_):
    _refresh_for_user(order.user_id)


def on_member_joined(membership, **_):
    _refresh_for_user(membership.user_id)


def on_fulfillment_completed(fulfillment, **_):
    schedule_satisfaction_call(fulfillment)


def connect() -> None:
    user_registered.connect(on_user_registered)
    order_placed.connect(on_order_changed)
    order_cancelled.connect(on_order_changed)
    order_fulfilled.connect(on_order_changed)
    member_joined.connect(on_member_joined)
    fulfillment_completed.connect(on_fulfillment_completed)


def on_order_refunded(order, reason=None, **_):
    """A payment that came after the order expired went back: call to apologize."""
    if reason != "late_payment":
        return
    user = db.session.get(User, order.user_id)
    if user is None or user.is_staff_member:
        return
    schedule_followup(ensure_customer(user), kind=FollowUpKind.COMPLAINT,
                      reason=f"apology:late_payment:order:{order.id}", due_at=utcnow(),
                      order_id=order.id)


def connect_refunds() -> None:
    order_refunded.connect(on_order_refunded)
