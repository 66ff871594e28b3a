"""Erasing a person who left the club: what the customer center held about them is scrubbed;
orders stay for the books (numbers, lines and amounts untouched), as do the figures."""

import sqlalchemy as sa

from core.clock import utcnow
from core.extensions import db
from core.models import User
from crm.followups.models import FollowUp, FollowUpStatus
from crm.outreach.models import OutboxMessage, OutboxStatus
from fulfillment.models import Fulfillment
from storefront.accounts.models import OneTimeCode
from storefront.addresses.services import forget_addresses
from storefront.idempotency import scrub_stored_responses
from storefront.models import Order, OrderStatus

from .erasure_texts import scrub_complaints, scrub_manual_tags, scrub_payment_records
from .import_previews import forget_previews_naming
from .models import Child, Customer, CustomerTag
from .services import customer_for_user

#: the name an erased person keeps in lists and on old orders
ANONYMIZED_NAME = "已注销会员"
#: the tag that marks an erased profile
CLOSED_TAG = "closed"


def _scrub_customer(customer: Customer) -> None:
    customer.name = ANONYMIZED_NAME
    for column in ("phone", "email", "gender", "birthday", "district", "address",
                   "occupation", "interests", "preferred_channel", "preferred_time", "notes",
                   "card_number", "city"):
        setattr(customer, column, None)
    customer.marketing_consent = customer.service_consent = False
    db.session.execute(sa.delete(Child).where(Child.customer_id == customer.id))
    db.session.expire(customer, ["children"])
    if not any(t.tag == CLOSED_TAG for t in customer.tags):
        customer.tags.append(CustomerTag(tag=CLOSED_TAG, source="manual"))


def _scrub_contacts(customer: Customer, user_id: int | None) -> None:
    """Calls, messages and the contact details on finished orders."""
    now = utcnow()
    db.session.execute(sa.update(FollowUp).where(
        FollowUp.customer_id == customer.id, FollowUp.status == FollowUpStatus.OPEN)
        .values(status=FollowUpStatus.CANCELLED, completed_at=now))
    db.session.execute(sa.update(FollowUp).where(FollowUp.customer_id == customer.id)
                       .values(notes=None, task=None, next_action=None))
    who = OutboxMessage.customer_id == customer.id
    if user_id is not None:
        who = sa.or_(who, OutboxMessage.user_id == user_id)
    db.session.execute(sa.update(OutboxMessage).where(
        who, OutboxMessage.status == OutboxStatus.PENDING).values(status=OutboxStatus.SKIPPED))
    db.session.execute(sa.update(OutboxMessage).where(who).values(to=None, body="", subject="",
                                                                   last_error=None))
    if user_id is None:
        return
    # Open orders still need their contact to be delivered; finished ones do not (the open
    # ones are scrubbed when they finish: ``scrub_finished_order``).
    _scrub_orders(sa.select(Order.id).where(Order.user_id == user_id,
                                            Order.status.not_in(OrderStatus.OPEN)))


def _scrub_orders(order_ids) -> None:
    """The contact on orders (a select of ids, or a list) and on their fulfillments."""
    db.session.execute(sa.update(Order).where(Order.id.in_(order_ids))
                       .values(contact_name=None, contact_phone=None, note=None))
    db.session.execute(sa.update(Fulfillment).where(Fulfillment.order_id.in_(order_ids)).values(
        contact_name=None, contact_phone=None, address=None, collector_name=None,
        collector_phone=None, received_by_name=None, last_failure_reason=None))


def is_erased(customer: Customer | None) -> bool:
    return customer is not None and any(t.tag == CLOSED_TAG for t in customer.tags)


def scrub_finished_order(order: Order) -> bool:
    """An order that was still open when its person left the club loses its contact once
    it is delivered, collected or cancelled; True if it was scrubbed."""
    if (order.user_id is None or order.status in OrderStatus.OPEN
            or not is_erased(customer_for_user(order.user_id))):
        return False
    _scrub_orders([order.id])
    return True


def anonymize_person(user: User) -> Customer | None:
    """Scrub the person behind ``user``: their customer profile (name, contact, birthday,
    address, children, interests, notes, tags given by hand; consents off; tagged
    ``closed``), their calls and messages, what was written about their complaints, the
    contact on their finished orders, the reasons written for their refunds, coupon notes,
    Stripe's events about their payments (ids and amounts stay), the orders' answers kept
    for an ``Idempotency-Key`` replay (their contact), any customer sheet
    waiting to be imported that names them, the saved addresses, the codes and links sent
    to them, and the account's name and phone. A phone that is the account's only way to
    sign in stays (the account is not closed, only the membership)."""
    customer = customer_for_user(user.id)
    phones = [user.phone] + ([customer.phone] if customer is not None else [])
    emails = [user.email] + ([customer.email] if customer is not None else [])
    user.name = ANONYMIZED_NAME
    if user.email is not None or user.phone_verified_at is None:
        user.phone, user.phone_verified_at = None, None
    forget_addresses(user)
    targets = [t for t in phones + [e.lower() for e in emails if e] if t]
    db.session.execute(sa.delete(OneTimeCode).where(
        sa.or_(OneTimeCode.user_id == user.id, OneTimeCode.target.in_(targets))))
    if customer is not None:
        scrub_manual_tags(customer.id, keep=CLOSED_TAG)
        db.session.expire(customer, ["tags"])
        _scrub_customer(customer)
        _scrub_contacts(customer, user.id)
        scrub_complaints(customer.id)
    scrub_payment_records(user.id)
    scrub_stored_responses(user.id)
    forget_previews_naming(phones=phones, emails=emails)
    db.session.flush()
    return customer


def welcome_back(user: User, name: str, phone: str) -> None:
    """A person who closed their membership joins again: the profile takes the new name
    and phone, and loses the ``closed`` tag."""
    customer = customer_for_user(user.id)
    if not is_erased(customer):
        return
    customer.name, customer.phone = name, phone or None
    customer.tags = [t for t in customer.tags if t.tag != CLOSED_TAG]
    if user.name == ANONYMIZED_NAME:
        user.name = name
    db.session.flush()
