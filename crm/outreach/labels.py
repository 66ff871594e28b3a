"""The words for the outbox's and the campaigns' codes: a message's state and why it was
not sent, its channel and its purpose."""

from flask_babel import lazy_gettext as _l

from .models import Channel, OutboxStatus, Purpose

OUTBOX_STATUS_LABELS = {
    OutboxStatus.PENDING: _l("Waiting"), OutboxStatus.SENDING: _l("Sending"),
    OutboxStatus.SENT: _l("Sent"), OutboxStatus.SKIPPED: _l("Not sent"),
    OutboxStatus.FAILED: _l("Failed"),
}
SKIP_REASON_LABELS = {"no_consent": _l("no consent"), "no_address": _l("no address")}
CHANNEL_LABELS = {Channel.EMAIL: _l("E-mail"), Channel.SMS: _l("SMS"), Channel.PHONE: _l("Phone")}
PURPOSE_LABELS = {Purpose.SERVICE: _l("Service notice"), Purpose.MARKETING: _l("Marketing")}
