"""A shopper's copy of what the shop holds about them, as plain JSON: the account, the VIP
membership (points, events), the customer center's profile (notes, tags, children,
consents, preferences, figures), calls, complaints (what the customer sees of them),
messages sent to them, coupons, and orders with their contacts and addresses.

Every account holder may download it (``/account/data.json``), member or not."""

from datetime import date, datetime

import sqlalchemy as sa

from core.clock import utcnow
from core.extensions import db
from core.models import User
from crm.care.models import Complaint
from crm.club.models import EventRegistration
from crm.followups.models import FollowUp
from crm.outreach.models import OutboxMessage
from fulfillment.models import Fulfillment
from storefront.coupon_models import Coupon
from storefront.loyalty.models import Membership, PointsEntry
from storefront.models import Order
from storefront.payments.models import Refund

from .models import Child, Customer, CustomerTag
from .services import customer_for_user


def _iso(value):
    return value.isoformat() if isinstance(value, datetime | date) else value


def _row(obj, *names: str) -> dict:
    return {name: _iso(getattr(obj, name)) for name in names}


def _all(query) -> list:
    return list(db.session.execute(query).scalars())


def _membership(user: User) -> tuple[dict | None, list, list]:
    membership = db.session.execute(
        sa.select(Membership).where(Membership.user_id == user.id,
                                    Membership.closed_at.is_(None))).scalar_one_or_none()
    if membership is None:
        return None, [], []
    entries = _all(sa.select(PointsEntry).where(PointsEntry.membership_id == membership.id)
                   .order_by(PointsEntry.id))
    registrations = _all(sa.select(EventRegistration).where(
        EventRegistration.membership_id == membership.id).order_by(EventRegistration.id))
    return (
        _row(membership, "card_number", "tier", "points", "name", "phone", "birthday",
             "baby_birthday", "children", "city", "interests", "channels",
             "marketing_consent", "joined_at"),
        [{"kind": e.kind, "delta": e.delta, "balance_after": e.balance_after,
          "reason": e.reason, "at": _iso(e.created_at)} for e in entries],
        [{"event": r.event.title, "starts_at": _iso(r.event.starts_at),
          "attendees": r.attendees, "status": r.status,
          "checked_in_at": _iso(r.checked_in_at)} for r in registrations],
    )


def _profile(customer: Customer | None) -> dict | None:
    if customer is None:
        return None
    children = _all(sa.select(Child).where(Child.customer_id == customer.id).order_by(Child.id))
    tags = _all(sa.select(CustomerTag).where(CustomerTag.customer_id == customer.id)
                .order_by(CustomerTag.id))
    return {
        **_row(customer, "name", "phone", "email", "gender", "birthday", "city", "district",
               "address", "occupation", "interests", "source", "preferred_channel",
               "preferred_time", "stage", "card_number", "marketing_consent",
               "service_consent", "notes", "created_at"),
        "children": [_row(c, "name", "gender", "birth_date", "due_date") for c in children],
        "tags": [_row(t, "tag", "source", "created_at") for t in tags],
        "figures": _row(customer, "first_order_at", "last_order_at", "orders_count",
                        "lifetime_amount", "avg_basket_amount", "frequency",
                        "monetary_amount", "r_score", "f_score", "m_score", "rfm_segment"),
    }


def _calls(customer: Customer | None) -> list:
    if customer is None:
        return []
    return [_row(f, "kind", "channel", "due_at", "status", "attempts", "outcome", "notes",
                 "satisfaction", "next_action", "next_action_at", "task", "completed_at")
            for f in _all(sa.select(FollowUp).where(FollowUp.customer_id == customer.id)
                          .order_by(FollowUp.id))]


def _complaints(customer: Customer | None) -> list:
    """What the customer sees of a complaint: not the internal root cause, prevention,
    owner or notes of the steps."""
    if customer is None:
        return []
    out = []
    for c in _all(sa.select(Complaint).where(Complaint.customer_id == customer.id)
                  .order_by(Complaint.id)):
        order = db.session.get(Order, c.order_id) if c.order_id else None
        replacement = db.session.get(Order, c.replacement_order_id) \
            if c.replacement_order_id else None
        out.append({
            **_row(c, "public_id", "channel", "category", "description", "status", "remedy",
                   "remedy_amount", "created_at", "resolved_at", "closed_at"),
            "order": order.number if order else None,
            "coupon": c.coupon.code if c.coupon is not None else None,
            "replacement_order": replacement.number if replacement else None,
        })
    return out


def _messages(customer: Customer | None, user: User) -> list:
    who = OutboxMessage.user_id == user.id
    if customer is not None:
        who = sa.or_(who, OutboxMessage.customer_id == customer.id)
    return [_row(m, "channel", "kind", "purpose", "to", "subject", "body", "status",
                 "created_at", "sent_at")
            for m in _all(sa.select(OutboxMessage).where(who).order_by(OutboxMessage.id))]


def _coupons(user: User) -> list:
    return [_row(c, "code", "amount", "currency", "minimum_order_amount", "valid_from",
                 "valid_until", "source", "state", "used_at", "note", "created_at")
            for c in _all(sa.select(Coupon).where(Coupon.user_id == user.id)
                          .order_by(Coupon.id))]


def _orders(user: User) -> list:
    out = []
    for o in _all(sa.select(Order).where(Order.user_id == user.id).order_by(Order.id)):
        f = db.session.execute(sa.select(Fulfillment).where(Fulfillment.order_id == o.id)
                               ).scalar_one_or_none()
        refunds = _all(sa.select(Refund).where(Refund.order_id == o.id).order_by(Refund.id))
        out.append({
            **_row(o, "number", "status", "created_at", "paid_at", "fulfilled_at",
                   "cancelled_at", "currency", "subtotal_amount", "delivery_fee_amount",
                   "points_discount_amount", "coupon_discount_amount", "total_amount",
                   "paid_amount", "payment_method", "fulfillment_method", "contact_name",
                   "contact_phone", "note"),
            "total": o.total_amount,
            "lines": [_row(ln, "sku", "name_zh", "name_en", "quantity", "unit_price_amount",
                           "line_total_amount") for ln in o.lines],
            "fulfillment": None if f is None else {
                **_row(f, "method", "status", "contact_name", "contact_phone", "address",
                       "collector_name", "collector_phone", "received_by_name", "carrier",
                       "tracking_number", "ready_at", "completed_at"),
                "center": f.center.name_zh if f.center is not None else None},
            "refunds": [_row(r, "amount", "currency", "method", "status", "reason",
                             "created_at") for r in refunds],
        })
    return out


def export_person_data(user: User) -> dict:
    """Everything the shop holds about ``user``, as plain JSON."""
    customer = customer_for_user(user.id)
    membership, points, events = _membership(user)
    return {
        "exported_at": _iso(utcnow()),
        "account": _row(user, "email", "name", "phone", "locale", "created_at"),
        "membership": membership,
        "points": points,
        "events": events,
        "customer_profile": _profile(customer),
        "calls": _calls(customer),
        "complaints": _complaints(customer),
        "messages": _messages(customer, user),
        "coupons": _coupons(user),
        "orders": _orders(user),
    }
