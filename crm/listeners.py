"""The customer center listens: purchases update profiles, hand-overs schedule calls."""

from flask import url_for
from flask_babel import gettext as _

from core.clock import utcnow
from core.extensions import db
from core.models import Role, User
from core.signals import (
    contact_verified,
    desk_code_received,
    fulfillment_completed,
    fulfillment_no_show,
    fulfillment_ready,
    member_closed,
    member_joined,
    order_cancelled,
    order_claimed,
    order_fulfilled,
    order_paid,
    order_placed,
    order_refunded,
    user_registered,
)
from storefront.models import Order, OrderStatus
from storefront.payments.refund_requests import register_source

from .care.labels import STATUS_LABELS as COMPLAINT_STATUS_LABELS
from .care.models import Complaint
from .club.desk_views import on_desk_code
from .customers import refresh as figures_due
from .customers.erasure import anonymize_person, scrub_finished_order, welcome_back
from .customers.merging import join_verified_prospects
from .customers.services import ensure_customer, refresh_figures, verified_contacts
from .followups.models import FollowUpKind
from .followups.rules import plan_for_order, plan_satisfaction_call
from .outreach.confirmations import notify_order_confirmed
from .outreach.outbox import notify_ready_for_pickup
from .outreach.receipts import send_counter_receipt


def _refresh_for_user(user_id: int | None) -> None:
    user = db.session.get(User, user_id) if user_id is not None else None
    if user is not None and not user.is_staff_member:
        refresh_figures(ensure_customer(user))


def on_user_registered(user, **_):
    ensure_customer(user)
    for channel, value in verified_contacts(user).items():  # signed up by a code sent to it
        join_verified_prospects(user, channel, value)


def on_contact_verified(user, channel=None, value=None, **_):
    """The account proved a phone or e-mail: the prospects with it are this person."""
    join_verified_prospects(user, channel, value)


def on_order_placed(order, **_):
    """The buyer's figures are due (refreshed after the commit, so the checkout neither
    waits for them nor holds its stock rows meanwhile: ``customers.refresh``); an order
    paid offline is confirmed now, one paid online once it is paid. In this order: outside
    a request the figures make the buyer's profile first, which the confirmation names."""
    if order.user_id is not None:
        figures_due.mark(order.user_id)
    if order.status != OrderStatus.PENDING_PAYMENT:
        notify_order_confirmed(order, new=True)


def on_order_paid(order, **_):
    notify_order_confirmed(order)


def on_order_changed(order, expired=False, **_):
    _refresh_for_user(order.user_id)
    if not expired:  # an expired order comes back if its late payment arrives
        scrub_finished_order(order)


def on_counter_sale(order, **_):
    """A member's sale at a store's counter: the e-receipt goes out by SMS or e-mail; also
    when an anonymous sale is claimed from its receipt's QR (it is the member's now). Once
    per order, whichever comes first."""
    if order.channel == "store" and order.user_id is not None:
        send_counter_receipt(order)


def on_member_joined(membership, **_):
    user = db.session.get(User, membership.user_id)
    if user is not None:
        welcome_back(user, membership.name, membership.phone)
    _refresh_for_user(membership.user_id)


def on_member_closed(membership, **_):
    user = db.session.get(User, membership.user_id)
    if user is not None:
        anonymize_person(user)


def on_fulfillment_completed(fulfillment, **_):
    plan_satisfaction_call(fulfillment)


def on_order_refunded(order, reason=None, **_):
    _refresh_for_user(order.user_id)
    scrub_finished_order(order)
    if reason == "late_payment":
        plan_for_order(FollowUpKind.APOLOGY, order, utcnow())


def on_fulfillment_no_show(fulfillment, **_):
    plan_for_order(FollowUpKind.NO_SHOW, db.session.get(Order, fulfillment.order_id), utcnow())


def on_fulfillment_ready(fulfillment, **_):
    if fulfillment.method == "pickup":
        notify_ready_for_pickup(fulfillment)


def _describe_complaint(ref: str, viewer: User) -> tuple[str, str | None]:
    """A complaint behind a refund request: its number and state for everyone who sees the
    order; the link only for those who may open the customer center (agents, admins)."""
    complaint = db.session.get(Complaint, int(ref)) if ref.isdigit() else None
    if complaint is None:
        return _("Complaint %(id)s", id=ref), None
    what = _("Complaint %(id)s (%(status)s)", id=complaint.id,
             status=COMPLAINT_STATUS_LABELS[complaint.status])
    if viewer.role not in (Role.CRM, Role.ADMIN):
        return what, None
    return what, url_for("crm.complaint_show", complaint_id=complaint.id)


def connect() -> None:
    register_source("complaint", _describe_complaint)
    user_registered.connect(on_user_registered)
    contact_verified.connect(on_contact_verified)
    order_placed.connect(on_order_placed)
    order_paid.connect(on_order_paid)
    order_cancelled.connect(on_order_changed)
    order_fulfilled.connect(on_order_changed)
    order_fulfilled.connect(on_counter_sale)
    order_claimed.connect(on_order_changed)
    order_claimed.connect(on_counter_sale)
    member_joined.connect(on_member_joined)
    fulfillment_completed.connect(on_fulfillment_completed)
    fulfillment_ready.connect(on_fulfillment_ready)
    order_refunded.connect(on_order_refunded)
    fulfillment_no_show.connect(on_fulfillment_no_show)
    desk_code_received.connect(on_desk_code)
    member_closed.connect(on_member_closed)
