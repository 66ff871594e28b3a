"""How a message leaves the shop: e-mail over SMTP, SMS through a provider.

The outbox job calls these after its claim has been committed, and sign-in codes leave
through them at once, before any row is locked: nothing here runs while a request holds rows.
"""

import logging
import os
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid
from importlib import import_module

from flask import current_app

from .privacy import mask_email, mask_phone

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    """The transport could not take the message; the outbox retries it later."""


class SmsProvider:
    """The interface an SMS provider implements: ``send`` returns the provider's message id
    or raises ``DeliveryError``."""

    def __init__(self, app):
        self.app = app

    def send(self, to: str, body: str) -> str:  # pragma: no cover - interface
        raise NotImplementedError


class LoggingSmsProvider(SmsProvider):
    """The default (a shop without an SMS contract yet): notes in the log that an SMS went
    to a masked number. The text is never logged: it carries pickup, coupon and sign-in
    codes."""

    def send(self, to: str, body: str) -> str:
        ref = make_msgid(domain="sms.local")
        log.info("SMS to %s not sent (no SMS provider set): %d characters, %s",
                 mask_phone(to), len(body), ref)
        keep_in_demo_inbox(f"SMS to {to}", body)
        return ref


def keep_in_demo_inbox(heading: str, body: str) -> None:
    """With ``DEMO_INBOX`` on (the demo run, ``scripts/serve``), a message nothing can send
    is kept whole in ``instance/demo-inbox.txt``, readable by the shop's user only, so that
    codes and links can be tried without an SMS contract or a mail server. Never the log."""
    if not current_app.config.get("DEMO_INBOX"):
        return
    path = os.path.join(current_app.instance_path, "demo-inbox.txt")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as inbox:
        inbox.write(f"--- {heading}\n{body}\n\n")


def sms_provider() -> SmsProvider:
    """The provider named by ``SMS_PROVIDER`` (``module:Class``), built once per app."""
    provider = current_app.extensions.get("shop_sms_provider")
    if provider is None:
        module_name, _, class_name = current_app.config["SMS_PROVIDER"].partition(":")
        provider = getattr(import_module(module_name), class_name)(current_app)
        current_app.extensions["shop_sms_provider"] = provider
    return provider


def send_sms(to: str, body: str) -> str:
    return sms_provider().send(to, body)


def send_email(to: str, subject: str, body: str) -> str:
    """Send one plain-text e-mail; returns its Message-ID.

    Without ``MAIL_SERVER`` the message is written to the log instead (zero set-up).
    """
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=config["MAIL_FROM"].rpartition("@")[2] or None)
    message.set_content(body)
    if not config.get("MAIL_SERVER"):
        # neither subject nor body: either may carry a code or a person's details
        log.info("e-mail to %s not sent (no MAIL_SERVER set): %d characters, %s",
                 mask_email(to), len(body), message["Message-ID"])
        keep_in_demo_inbox(f"e-mail to {to}: {subject}", body)
        return message["Message-ID"]
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"],
                          timeout=config["MAIL_TIMEOUT"]) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:  # its text names the address
        codes = ", ".join(str(code) for code, _ in exc.recipients.values())
        raise DeliveryError(f"SMTPRecipientsRefused: recipient refused ({codes})") from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"{exc.__class__.__name__}: {exc}") from exc
    return message["Message-ID"]
