"""The outbox: written in the transaction, delivered by the job after it, with consent, a
weekly cap and retries; e-mail goes to a real local SMTP server and is read back."""

import logging
import socket
import threading
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from core.clock import utcnow
from core.extensions import db
from core.models import Role
from crm.customers.services import ensure_customer
from crm.outreach.models import OutboxMessage
from crm.outreach.outbox import deliver_outbox, enqueue, notify_ready_for_pickup, requeue_message
from fulfillment import services as desk
from storefront.orders import place_order
from tests.support.pages import login


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 OK"


@pytest.fixture()
def smtp(app, monkeypatch):
    """A real SMTP server on loopback; the app sends to it. Yields its inbox."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture()
def nobody_listens(app, monkeypatch):
    """The mail server is down: connections are refused."""
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())


def customer(make_user, *, marketing=True, service=True, email=None, phone="13812345678"):
    user = make_user(email=email, phone=phone)
    profile = ensure_customer(user)
    profile.marketing_consent, profile.service_consent = marketing, service
    db.session.flush()
    return profile


def mail(profile, kind="birthday", key=None, **extra):
    return enqueue(channel="email", kind=kind, subject=f"{kind} for {profile.name}",
                   body="Hello", customer_id=profile.id, dedupe_key=key, **extra)


def statuses(session):
    session.expire_all()
    return [m.status for m in session.execute(
        sa.select(OutboxMessage).order_by(OutboxMessage.id)).scalars()]


def test_ready_for_pickup_goes_out_after_the_commit(session, shop, smtp, caplog):
    shopper = shop.shopper
    order = place_order(shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                        fulfillment={"method": "pickup", "center_id": shop.store.id},
                        payment_method="pay_at_pickup")
    order.fulfillment.contact_phone = "13912345678"
    session.execute(sa.delete(OutboxMessage))  # the order's confirmation: its own tests
    desk.mark_ready(order.fulfillment, shop.clerk)
    code = order.fulfillment.pickup_code
    queued = session.execute(
        sa.select(OutboxMessage).order_by(OutboxMessage.channel)).scalars().all()
    assert [(m.channel, m.kind, m.purpose, m.status) for m in queued] == [
        ("email", "ready_for_pickup", "service", "pending"),
        ("sms", "ready_for_pickup", "service", "pending")]
    assert smtp.messages == []  # nothing leaves inside the transaction
    assert notify_ready_for_pickup(order.fulfillment) == []  # once per fulfillment and channel

    with caplog.at_level(logging.INFO, logger="core.messaging"):
        assert deliver_outbox(utcnow()).startswith("2 sent")
    [(rcpt, message)] = smtp.messages
    assert rcpt == [shopper.email]
    assert order.number in message["Subject"]
    assert code in message.get_content()
    sms = [r.getMessage() for r in caplog.records if r.getMessage().startswith("SMS to")]
    # the logging provider notes the masked number, never the text with its pickup code
    assert len(sms) == 1 and "*******5678" in sms[0], caplog.text
    assert "13912345678" not in caplog.text and code not in caplog.text
    sms_row = session.execute(sa.select(OutboxMessage).where(
        OutboxMessage.channel == "sms")).scalar_one()
    assert code in sms_row.body
    assert statuses(session) == ["sent", "sent"]
    assert deliver_outbox(utcnow()).startswith("0 sent")
    assert len(smtp.messages) == 1


def test_no_pickup_notice_for_a_delivery(session, shop):
    from crm.listeners import on_fulfillment_ready
    from fulfillment.models import Fulfillment

    on_fulfillment_ready(Fulfillment(center_id=shop.hub.id, method="delivery"))
    assert statuses(session) == []


def test_marketing_needs_the_marketing_consent(session, make_user, smtp):
    willing = customer(make_user, marketing=True)
    unwilling = customer(make_user, marketing=False)
    mail(willing)
    mail(unwilling)
    assert deliver_outbox(utcnow()) == "1 sent, 0 deferred, 1 skipped, 0 retrying, 0 failed"
    assert [r for r, _ in smtp.messages] == [[willing.email]]
    skipped = session.execute(sa.select(OutboxMessage).where(
        OutboxMessage.customer_id == unwilling.id)).scalar_one()
    assert skipped.skip_reason == "no_consent"


def test_service_notices_honour_an_opt_out(session, make_user, smtp):
    opted_out = customer(make_user, marketing=True, service=False)
    mail(opted_out, kind="order_update")
    deliver_outbox(utcnow())
    assert smtp.messages == [] and statuses(session) == ["skipped"]


def test_no_address_is_skipped_not_retried(session, make_user, smtp):
    profile = customer(make_user)
    enqueue(channel="sms", kind="order_update", subject="", body="Hi", customer_id=profile.id)
    profile.phone = None
    session.execute(sa.update(db.metadata.tables["users"]).values(phone=None))
    deliver_outbox(utcnow())
    [message] = session.execute(sa.select(OutboxMessage)).scalars().all()
    assert (message.status, message.skip_reason) == ("skipped", "no_address")


def test_weekly_cap_defers_marketing_but_not_service(app, session, make_user, smtp, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_WEEKLY_CAP", 2)
    profile = customer(make_user)
    for n in range(3):
        mail(profile, key=f"promo:{n}")
    mail(profile, kind="ready_for_pickup")
    now = utcnow()
    assert deliver_outbox(now) == "3 sent, 1 deferred, 0 skipped, 0 retrying, 0 failed"
    assert len(smtp.messages) == 3
    deferred = session.execute(sa.select(OutboxMessage).where(
        OutboxMessage.status == "pending")).scalar_one()
    assert deferred.send_after == now + timedelta(days=7)
    assert deliver_outbox(now + timedelta(days=6)).startswith("0 sent")
    assert deliver_outbox(now + timedelta(days=7)).startswith("1 sent")
    assert len(smtp.messages) == 4


def test_duplicate_key_makes_no_second_message(session, make_user):
    profile = customer(make_user)
    assert mail(profile, key="birthday:2026:1") is not None
    assert mail(profile, key="birthday:2026:1") is None
    assert len(statuses(session)) == 1


def test_failure_is_retried_with_backoff_and_never_lost(app, session, make_user, nobody_listens,
                                                        monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 3)
    profile = customer(make_user)
    message = mail(profile)
    now = utcnow()
    assert deliver_outbox(now).endswith("1 retrying, 0 failed")
    assert (message.status, message.attempts) == ("pending", 1)
    assert message.send_after == now + timedelta(seconds=60)
    assert "ConnectionRefusedError" in message.last_error
    assert deliver_outbox(now + timedelta(seconds=59)).startswith("0 sent, 0 deferred, 0 skipped")
    assert message.attempts == 1  # not due yet
    deliver_outbox(now + timedelta(seconds=60))
    assert (message.attempts, message.send_after) == (2, now + timedelta(seconds=180))
    assert deliver_outbox(now + timedelta(seconds=180)).endswith("1 failed")
    assert message.status == "failed"
    assert deliver_outbox(now + timedelta(days=1)).startswith("0 sent, 0 deferred, 0 skipped")
    requeue_message(message)
    assert (message.status, message.attempts) == ("pending", 0)


def test_requeue_after_the_server_is_back(app, session, make_user, smtp, monkeypatch):
    from core.errors import IllegalTransition

    profile = customer(make_user)
    message = mail(profile)
    message.status, message.attempts = "failed", 8
    waiting = mail(profile, key="waiting")
    with pytest.raises(IllegalTransition):
        requeue_message(waiting)
    waiting.status = "skipped"
    requeue_message(message)
    deliver_outbox(utcnow())
    assert message.status == "sent" and len(smtp.messages) == 1


def test_a_stale_claim_is_taken_back(session, make_user, smtp):
    profile = customer(make_user)
    message = mail(profile)
    message.status, message.claimed_at, message.claim_token = "sending", utcnow(), "dead"
    session.flush()
    now = utcnow()
    assert deliver_outbox(now).startswith("0 sent")  # a live run may still hold it
    assert deliver_outbox(now + timedelta(minutes=11)).startswith("1 sent")
    assert message.status == "sent"


def test_jobs_run_due_delivers_the_outbox(session, runner, make_user, smtp):
    mail(customer(make_user))
    session.commit()
    result = runner.invoke(args=["jobs", "run-due"])
    assert "deliver_outbox: 1 sent" in result.output, result.output
    assert len(smtp.messages) == 1


def test_outbox_page_masks_recipients_and_admin_requeues(client, session, shop, make_user):
    profile = customer(make_user, email="li.xue@example.com")
    enqueue(channel="sms", kind="order_update", subject="Ready", body="Hi",
            customer_id=profile.id, to="13812345678")
    failed = mail(profile, to=profile.email)
    failed.status = "failed"
    login(client, shop.agent)
    page = client.get("/crm/outbox").get_data(as_text=True)
    assert "138****5678" in page and "13812345678" not in page
    assert "l***@example.com" in page and "li.xue@" not in page
    assert client.post(f"/crm/outbox/{failed.id}/requeue").status_code == 403
    login(client, shop.admin)
    response = client.post(f"/crm/outbox/{failed.id}/requeue")
    assert response.status_code == 302
    session.expire_all()
    assert session.get(OutboxMessage, failed.id).status == "pending"
    response = client.post(f"/crm/outbox/{failed.id}/requeue", follow_redirects=True)
    assert "Only a failed message can be sent again." in response.get_data(as_text=True)
    done = enqueue(channel="sms", kind="order_update", subject="Collected", body="Thanks",
                   customer_id=profile.id, to="13900009999")
    done.status = "sent"
    session.commit()
    pending = client.get("/crm/outbox?status=pending").get_data(as_text=True)
    assert "138****5678" in pending and "l***@example.com" in pending
    assert "139****9999" not in pending
    sent = client.get("/crm/outbox?status=sent").get_data(as_text=True)
    assert "139****9999" in sent and "138****5678" not in sent


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_runs_at_once_send_each_message_once(live_server_factory, backend, smtp_server):
    """Two delivery runs in two threads, each with its own connection: every message once."""
    inbox, port = smtp_server

    def seed(app):
        from core.models import User

        for n in range(30):
            user = User(email=f"m{n}@example.com", name=f"M {n}", role=Role.CUSTOMER)
            user.password_hash = "x"
            db.session.add(user)
            db.session.flush()
            profile = ensure_customer(user)
            profile.marketing_consent = True
            enqueue(channel="email", kind="order_update", subject=f"n{n}", body="Hi",
                    customer_id=profile.id)

    server = live_server_factory(backend, seed=seed, MAIL_SERVER="127.0.0.1", MAIL_PORT=port,
                                 OUTBOX_BATCH=5)
    barrier = threading.Barrier(2)
    errors = []

    def run():
        with server.app.app_context():
            try:
                barrier.wait()
                deliver_outbox(utcnow())
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    subjects = sorted(m["Subject"] for _, m in inbox.messages)
    assert subjects == sorted(f"n{n}" for n in range(30))


@pytest.fixture()
def smtp_server():
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()
