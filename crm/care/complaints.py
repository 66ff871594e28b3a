"""Complaint remedy: log it at once, answer within the SLA, put it right, fix the cause.

States: open -> acknowledged -> investigating -> resolved -> closed, and reopen (from
resolved or closed back to investigating). Every step is logged with who and when; any
other step raises ``IllegalTransition``.
"""

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.clock import utcnow
from core.errors import Forbidden, IllegalTransition, NotFound, ValidationFailed
from core.extensions import db
from core.i18n import in_locale
from core.models import Role, User
from crm.customers.models import Customer
from crm.customers.services import ensure_customer
from crm.followups.models import FollowUpKind
from crm.followups.rules import active_rule, plan
from crm.outreach.outbox import enqueue
from storefront.models import Order, OrderLine

from .labels import CATEGORY_LABELS, SEVERITY_LABELS, STATUS_LABELS
from .lots import complaint_ids_of_lot
from .models import (
    Category,
    Complaint,
    ComplaintChannel,
    ComplaintEvent,
    ComplaintStatus,
    Remedy,
    Severity,
)
from .remedies import issue_coupon, issue_refund, send_replacement

S = ComplaintStatus
CHANNELS = tuple(ComplaintChannel)
CATEGORIES = tuple(Category)
SEVERITIES = tuple(Severity)
REMEDIES = tuple(Remedy)
#: from -> the states it may go to
TRANSITIONS = {
    S.OPEN: (S.ACKNOWLEDGED,),
    S.ACKNOWLEDGED: (S.INVESTIGATING,),
    S.INVESTIGATING: (S.RESOLVED,),
    S.RESOLVED: (S.CLOSED, S.INVESTIGATING),
    S.CLOSED: (S.INVESTIGATING,),
}


def sla(severity: str) -> tuple[timedelta, timedelta]:
    """(first response, resolution) for a severity, from ``COMPLAINT_SLA_HOURS``."""
    first, resolve = current_app.config["COMPLAINT_SLA_HOURS"][severity]
    return timedelta(hours=first), timedelta(hours=resolve)


def open_complaint(*, actor: User, customer: Customer | None = None, order: Order | None = None,
                   category: str, description: str, severity: str = "medium",
                   channel: str = "hotline", product_id: int | None = None,
                   owner: User | None = None, now=None) -> Complaint:
    """Log a complaint. A customer may file one only about their own order, and theirs is
    ``medium`` and ``online`` whatever they send: how urgent a complaint is (its deadlines,
    the escalation to admins) is the customer center's to say."""
    now = now or utcnow()
    errors = {}
    if category not in CATEGORIES:
        errors["category"] = [str(_l("Not a valid choice."))]
    if severity not in SEVERITIES:
        errors["severity"] = [str(_l("Not a valid choice."))]
    if channel not in CHANNELS:
        errors["channel"] = [str(_l("Not a valid choice."))]
    if not (description or "").strip():
        errors["description"] = [str(_l("Say what went wrong."))]
    if errors:
        raise ValidationFailed(errors=errors)
    if not actor.is_staff_member:
        if order is None or order.user_id != actor.id:
            raise Forbidden(_l("You can complain about your own orders only."))
        severity, channel = "medium", "online"
    if customer is None:
        if order is None:
            raise ValidationFailed(errors={"customer_id": [str(_l(
                "Name the customer or the order."))]})
        if order.user_id is None:  # an anonymous sale at a counter: whose complaint is it?
            raise ValidationFailed(errors={"customer_id": [str(_l(
                "This sale has no customer yet; name the customer."))]})
        customer = ensure_customer(db.session.get(User, order.user_id))
    elif order is not None and customer.user_id != order.user_id:
        raise ValidationFailed(errors={"order_id": [str(_l(
            "This order is not the customer's."))]})
    if product_id is None and order is not None:
        products = {ln.product_id for ln in order.lines}
        product_id = products.pop() if len(products) == 1 else None  # the order's only product
    if product_id is not None and order is not None and not db.session.execute(
            sa.select(OrderLine.id).where(OrderLine.order_id == order.id,
                                          OrderLine.product_id == product_id)).first():
        raise ValidationFailed(errors={"product_id": [str(_l("Not a product of this order."))]})
    first, resolve = sla(severity)
    complaint = Complaint(
        customer_id=customer.id, order_id=order.id if order else None, product_id=product_id,
        channel=channel, category=category, description=description.strip(),
        severity=severity, status=S.OPEN, owner_id=owner.id if owner else None,
        first_response_due_at=now + first, due_at=now + resolve, created_at=now,
        created_by_id=actor.id)
    complaint.events.append(ComplaintEvent(to_status=S.OPEN, actor_id=actor.id, at=now))
    db.session.add(complaint)
    db.session.flush()
    return complaint


def transition(complaint: Complaint, actor: User, *, to: str, note: str | None = None,
               remedy: str | None = None, remedy_amount: int | None = None,
               root_cause: str | None = None, prevention: str | None = None,
               replacement_quantity: int | None = None, now=None) -> Complaint:
    """Move a complaint one step. Resolving needs the remedy, the root cause and how it
    will be prevented; it plans the follow-up that asks whether the customer is satisfied.
    A coupon remedy issues the coupon, a replacement places the free order
    (``replacement_quantity`` units, default the complained line's)."""
    now = now or utcnow()
    if to not in TRANSITIONS.get(complaint.status, ()):
        raise IllegalTransition(extra={"status": complaint.status, "to": to})
    if to == S.RESOLVED:
        _resolve(complaint, actor, remedy=remedy, remedy_amount=remedy_amount,
                 root_cause=root_cause, prevention=prevention, now=now,
                 replacement_quantity=replacement_quantity)
    if to == S.ACKNOWLEDGED:
        complaint.first_response_at = now
        complaint.owner_id = complaint.owner_id or actor.id
    if to == S.CLOSED:
        complaint.closed_at = now
    if to == S.INVESTIGATING and complaint.status in (S.RESOLVED, S.CLOSED):
        complaint.resolved_at = complaint.closed_at = None  # reopened
    complaint.events.append(ComplaintEvent(from_status=complaint.status, to_status=to,
                                           actor_id=actor.id, note=(note or "").strip() or None,
                                           at=now))
    complaint.status = to
    db.session.flush()
    if to == S.RESOLVED:
        _plan_confirmation(complaint, now)
    return complaint


def _resolve(complaint, actor, *, remedy, remedy_amount, root_cause, prevention, now,
             replacement_quantity=None):
    errors = {}
    if remedy not in REMEDIES:
        errors["remedy"] = [str(_l("Choose the remedy: refund, replacement, coupon or "
                                   "apology."))]
    if not (root_cause or "").strip():
        errors["root_cause"] = [str(_l("Record the root cause."))]
    if not (prevention or "").strip():
        errors["prevention"] = [str(_l("Record how it will be prevented."))]
    if remedy in ("refund", "coupon") and (remedy_amount is None or remedy_amount <= 0):
        errors["remedy_amount"] = [str(_l("Give the amount."))]
    if remedy == "refund" and complaint.order_id is None:
        errors["remedy"] = [str(_l("A refund needs the order."))]
    if remedy == "replacement" and complaint.order_id is None:
        errors["remedy"] = [str(_l("A replacement needs the order."))]
    if errors:
        raise ValidationFailed(errors=errors)
    if remedy == "refund":
        order = db.session.get(Order, complaint.order_id)
        complaint.remedy_note = issue_refund(order, amount=remedy_amount, actor=actor,
                                             reason=f"complaint:{complaint.id}")
    if remedy == "coupon":
        complaint.remedy_note = issue_coupon(complaint, amount=remedy_amount, actor=actor)
        remedy_amount = complaint.coupon.amount  # the one coupon a complaint gives
    if remedy == "replacement":
        complaint.remedy_note = send_replacement(
            complaint, db.session.get(Order, complaint.order_id), actor=actor,
            quantity=replacement_quantity)
    complaint.remedy, complaint.remedy_amount = remedy, remedy_amount
    complaint.root_cause, complaint.prevention = root_cause.strip(), prevention.strip()
    complaint.resolved_at = now


def _plan_confirmation(complaint: Complaint, now) -> None:
    rule = active_rule(FollowUpKind.COMPLAINT)
    if rule is not None:
        plan(rule, complaint.customer, reason=f"complaint:{complaint.id}:{now.date()}",
             due_at=now + timedelta(days=rule.delay_days), order_id=complaint.order_id)


def get_complaint(complaint_id: int) -> Complaint:
    complaint = db.session.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFound()
    return complaint


def is_overdue(complaint: Complaint, now=None) -> bool:
    """Past its first-response deadline unanswered, or its resolution deadline unresolved."""
    now = now or utcnow()
    if complaint.status == S.OPEN and complaint.first_response_due_at and \
            complaint.first_response_due_at < now:
        return True
    return bool(complaint.status in S.UNRESOLVED and complaint.due_at and complaint.due_at < now)


def overdue_filter(now):
    return sa.or_(
        sa.and_(Complaint.status == S.OPEN, Complaint.first_response_due_at < now),
        sa.and_(Complaint.status.in_(S.UNRESOLVED), Complaint.due_at < now))


def list_complaints(*, status: str | None = None, overdue: bool = False,
                    customer_id: int | None = None, lot_id: int | None = None,
                    limit: int = 200) -> list[Complaint]:
    query = sa.select(Complaint).options(sa.orm.joinedload(Complaint.customer))
    if lot_id is not None:
        query = query.where(Complaint.id.in_(complaint_ids_of_lot(lot_id)))
    if status == "unresolved":
        query = query.where(Complaint.status.in_(S.UNRESOLVED))
    elif status:
        query = query.where(Complaint.status == status)
    if overdue:
        query = query.where(overdue_filter(utcnow()))
    if customer_id is not None:
        query = query.where(Complaint.customer_id == customer_id)
    return list(db.session.execute(query.order_by(Complaint.due_at, Complaint.id)
                                   .limit(limit)).scalars())


def escalate_overdue(now) -> str:
    """Job: tell every admin (e-mail through the outbox) about each complaint that broke
    its SLA; once per complaint."""
    late = db.session.execute(sa.select(Complaint).where(
        overdue_filter(now), Complaint.escalated_at.is_(None))).scalars().all()
    admins = db.session.execute(sa.select(User).where(
        User.role == Role.ADMIN, User.active.is_(True))).scalars().all()
    for complaint in late:
        complaint.escalated_at = now
        with in_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            subject = _("Complaint %(id)d is overdue", id=complaint.id)
            body = _("Complaint %(id)d (%(severity)s, %(category)s) by %(name)s is past its "
                     "deadline. Status: %(status)s.", id=complaint.id,
                     severity=SEVERITY_LABELS[complaint.severity],
                     category=CATEGORY_LABELS[complaint.category],
                     name=complaint.customer.name, status=STATUS_LABELS[complaint.status])
        for admin in admins:
            enqueue(channel="email", kind="complaint_escalation", purpose="service",
                    subject=subject, body=body, user_id=admin.id, to=admin.email,
                    dedupe_key=f"escalation:{complaint.id}:{admin.id}")
    db.session.flush()
    return f"{len(late)} complaint(s) escalated"


def complaints_of_user(user: User) -> list[Complaint]:
    """What a customer filed or had logged, newest first (for their own page)."""
    return list(db.session.execute(
        sa.select(Complaint).join(Customer, Customer.id == Complaint.customer_id)
        .where(Customer.user_id == user.id).order_by(Complaint.created_at.desc())).scalars())
