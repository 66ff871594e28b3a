"""The outbox: messages to customers are written in the transaction that calls for them and
delivered by a job after the commit, with the customer's consent and a weekly cap.

Anyone may call ``enqueue``; only ``deliver_outbox`` (a job) talks to SMTP or SMS.
"""

import secrets
from datetime import timedelta
from functools import lru_cache

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.clock import utcnow
from core.database import paginate
from core.errors import IllegalTransition
from core.extensions import db
from core.i18n import in_locale, localized
from core.messaging import DeliveryError, send_email, send_sms
from core.metrics import OUTBOX as OUTBOX_METRIC
from core.metrics import count_on_commit
from core.models import User
from core.sql import fresh, insert_later
from crm.customers.models import Customer
from crm.customers.services import customer_for_user
from storefront.models import Order

from .models import OutboxMessage, OutboxStatus

CHANNELS = ("email", "sms")
#: notices about the customer's own business: need the service consent, skip the cap
SERVICE_KINDS = frozenset({"ready_for_pickup", "order_update", "complaint_update", "receipt",
                           "event_reminder", "order_confirmed"})
#: a claim older than this is taken back (the run that held it died mid-way)
CLAIM_TIMEOUT = timedelta(minutes=10)
#: the longest wait between two attempts
MAX_BACKOFF = timedelta(hours=6)
CAP_WINDOW = timedelta(days=7)


def purpose_of(kind: str) -> str:
    return "service" if kind in SERVICE_KINDS else "marketing"


def enqueue(*, channel: str, kind: str, subject: str, body: str, user_id: int | None = None,
            customer_id: int | None = None, to: str | None = None,
            dedupe_key: str | None = None, send_after=None,
            purpose: str | None = None) -> OutboxMessage | None:
    """Put a message in the outbox; returns it, or None when ``dedupe_key`` was used before.

    ``purpose`` defaults from ``kind`` (service notices vs marketing). Without ``to`` the
    address is taken from the customer's profile when the message is delivered. Messages
    about something made in this very transaction go faster by ``enqueue_fresh``.
    """
    message = OutboxMessage(**_message_values(
        channel=channel, kind=kind, subject=subject, body=body, user_id=user_id, to=to,
        dedupe_key=dedupe_key, send_after=send_after, purpose=purpose))
    if customer_id is None and user_id is not None:
        customer = customer_for_user(user_id)
        customer_id = customer.id if customer is not None else None
    message.customer_id = customer_id
    if dedupe_key is not None and db.session.execute(
            sa.select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)).first():
        return None
    # A savepoint, so a concurrent twin (unique key) costs this one row, not the transaction.
    try:
        with db.session.begin_nested():
            db.session.add(message)
    except sa.exc.IntegrityError:
        return None
    return message


def _message_values(*, channel: str, kind: str, subject: str, body: str, user_id: int | None,
                    to: str | None, dedupe_key: str | None, send_after=None,
                    purpose: str | None = None) -> dict:
    """A new message's columns (``enqueue``'s arguments checked and completed)."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    return dict(
        channel=channel, kind=kind, purpose=purpose or purpose_of(kind), subject=subject or "",
        body=body, user_id=user_id, to=to, dedupe_key=dedupe_key,
        status=OutboxStatus.PENDING, send_after=send_after or utcnow(), attempts=0)


def enqueue_fresh(messages: list[dict]) -> list[OutboxMessage]:
    """Put messages about something made in this very transaction (a new order: their keys
    cannot have been used) in the outbox, each to its ``user_id``'s customer: one INSERT that
    looks the customers up itself, whatever the number of messages (a checkout's SMS and
    e-mail), written with the transaction's next statement (``insert_later``). Items are
    ``enqueue``'s arguments (no ``customer_id``: the INSERT finds it); returns the messages,
    not the session's (nothing is read back); the unique ``dedupe_key`` still stands
    guard."""
    made = [fresh(OutboxMessage, **_message_values(**message)) for message in messages]
    insert_later(made, customer_id=_customer_of_user())
    return made


@lru_cache(maxsize=1)
def _customer_of_user() -> sa.ScalarSelect:
    """The customer of the message's user (or none), looked up by its INSERT (built once)."""
    return (sa.select(Customer.id).where(Customer.user_id == sa.bindparam("user_id"))
            .scalar_subquery())


# --- delivery ----------------------------------------------------------------------------------


def _claim(now, limit: int) -> str:
    """Mark up to ``limit`` due messages as ours with one conditional update; returns the token.

    The condition is checked again by the UPDATE itself, so two runs never hold one message.
    """
    token = secrets.token_hex(8)
    claimable = sa.or_(
        sa.and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.send_after <= now),
        sa.and_(OutboxMessage.status == OutboxStatus.SENDING,
                OutboxMessage.claimed_at < now - CLAIM_TIMEOUT))
    ids = db.session.execute(sa.select(OutboxMessage.id).where(claimable)
                             .order_by(OutboxMessage.send_after, OutboxMessage.id)
                             .limit(limit)).scalars().all()
    if ids:
        db.session.execute(
            sa.update(OutboxMessage).where(OutboxMessage.id.in_(ids), claimable)
            .values(status=OutboxStatus.SENDING, claim_token=token, claimed_at=now)
            .execution_options(synchronize_session=False))
    return token


def _address(message: OutboxMessage, customer: Customer | None) -> str | None:
    if message.to:
        return message.to
    field = "email" if message.channel == "email" else "phone"
    value = getattr(customer, field, None) if customer is not None else None
    if not value and message.user_id is not None:
        user = db.session.get(User, message.user_id)
        value = getattr(user, field, None) if user is not None else None
    return value or None


def _cap_reached_until(customer_id: int, now):
    """When the weekly cap is full, the time a slot frees up; else None."""
    cap = current_app.config["OUTBOX_WEEKLY_CAP"]
    sent = db.session.execute(
        sa.select(OutboxMessage.sent_at).where(
            OutboxMessage.customer_id == customer_id, OutboxMessage.purpose == "marketing",
            OutboxMessage.status == OutboxStatus.SENT,
            OutboxMessage.sent_at > now - CAP_WINDOW)
        .order_by(OutboxMessage.sent_at.desc())).scalars().all()
    if len(sent) < cap:
        return None
    return sent[cap - 1] + CAP_WINDOW


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 ... times ``OUTBOX_RETRY_SECONDS``, at most six hours."""
    base = timedelta(seconds=current_app.config["OUTBOX_RETRY_SECONDS"])
    return min(base * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _deliver_one(message: OutboxMessage, now) -> str:
    """Send one claimed message, or decide why not; returns what happened."""
    customer = db.session.get(Customer, message.customer_id) if message.customer_id else None
    consent = (customer is not None and customer.marketing_consent
               if message.purpose == "marketing"
               else customer is None or customer.service_consent)
    to = _address(message, customer)
    if not consent or not to:
        message.status = OutboxStatus.SKIPPED
        message.skip_reason = "no_consent" if not consent else "no_address"
        return "skipped"
    if message.purpose == "marketing":
        free_at = _cap_reached_until(message.customer_id, now)
        if free_at is not None:
            message.status, message.send_after = OutboxStatus.PENDING, free_at
            return "deferred"
    message.attempts += 1
    try:
        if message.channel == "email":
            ref = send_email(to, message.subject, message.body)
        else:
            ref = send_sms(to, message.body)
    except Exception as exc:  # noqa: BLE001 - any failure is retried; the row is never lost
        if not isinstance(exc, DeliveryError):
            current_app.logger.exception("outbox message %s failed", message.id)
        message.last_error = str(exc)[:500]
        if message.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
            message.status = OutboxStatus.FAILED
            return "failed"
        message.status, message.send_after = OutboxStatus.PENDING, now + backoff(message.attempts)
        return "retrying"
    message.status, message.sent_at, message.provider_ref = OutboxStatus.SENT, now, ref
    message.to = to
    return "sent"


def deliver_outbox(now) -> str:
    """Job: deliver what is due. Each claim and each message is committed on its own, so a
    crash mid-way loses nothing (a stale claim is taken back after ``CLAIM_TIMEOUT``)."""
    counts = dict.fromkeys(("sent", "deferred", "skipped", "retrying", "failed"), 0)
    batch = current_app.config["OUTBOX_BATCH"]
    while True:
        token = _claim(now, batch)
        db.session.commit()
        claimed = db.session.execute(sa.select(OutboxMessage).where(
            OutboxMessage.claim_token == token).order_by(OutboxMessage.id)).scalars().all()
        for message in claimed:
            outcome = _deliver_one(message, now)
            counts[outcome] += 1
            count_on_commit(db.session(), OUTBOX_METRIC, {"outcome": outcome})
            message.claim_token = None
            db.session.commit()
        if len(claimed) < batch:
            break
    return ", ".join(f"{n} {what}" for what, n in counts.items())


def requeue_message(message: OutboxMessage) -> OutboxMessage:
    """Give a message that ran out of attempts a fresh set."""
    if message.status != OutboxStatus.FAILED:
        raise IllegalTransition(_l("Only a failed message can be sent again."),
                                extra={"status": message.status})
    message.status, message.attempts, message.send_after = OutboxStatus.PENDING, 0, utcnow()
    db.session.flush()
    return message


def list_outbox(*, status: str | None = None, page: int = 1, per_page: int = 50):
    """Newest first; returns ``(messages, pages)``."""
    query = sa.select(OutboxMessage)
    if status:
        query = query.where(OutboxMessage.status == status)
    items, _page, pages = paginate(query.order_by(OutboxMessage.id.desc()), page=page,
                                   per_page=per_page)
    return items, pages


# --- notices -----------------------------------------------------------------------------------


def notify_ready_for_pickup(fulfillment) -> list[OutboxMessage]:
    """Tell the shopper their order waits at the desk, with the pickup code: an SMS to the
    order's contact phone and an e-mail to the account's address (each once)."""
    order = db.session.get(Order, fulfillment.order_id)
    user = db.session.get(User, order.user_id) if order.user_id is not None else None
    phone = fulfillment.contact_phone or order.contact_phone or (user.phone if user else None)
    with in_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        values = {"shop": current_app.config["SHOP_NAME"], "number": order.number,
                  "code": fulfillment.pickup_code, "center": localized(fulfillment.center, "name"),
                  "address": localized(fulfillment.center, "address")}
        subject = _("[%(shop)s] Order %(number)s is ready for pickup", **values)
        body = _("Your order %(number)s is ready at %(center)s (%(address)s). "
                 "Show this pickup code at the desk: %(code)s.", **values)
    made = []
    if phone:
        made.append(enqueue(channel="sms", kind="ready_for_pickup", subject=subject,
                            body=f"【{values['shop']}】{body}", user_id=order.user_id, to=phone,
                            dedupe_key=f"ready:{fulfillment.id}:sms"))
    if user is not None and user.email:
        made.append(enqueue(channel="email", kind="ready_for_pickup", subject=subject, body=body,
                            user_id=order.user_id, to=user.email,
                            dedupe_key=f"ready:{fulfillment.id}:email"))
    return [m for m in made if m is not None]
