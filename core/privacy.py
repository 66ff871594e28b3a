"""What staff see of a person's phone number: the shop's one rule.

A phone number shows whole only

- to the person it belongs to (their own orders, profile and data);
- in the customer center's 360 view of the customer (and the customer center's campaign
  export, whose purpose is to reach them), where agents call and every look is logged;
- to the desk working a delivery or a courier shipment (staff of the fulfilling center, and
  admins): the courier or the carrier must be able to call (``whole_for_delivery``).

Everywhere else it goes through ``mask_phone``: a pickup's contact and collector on the
desk's pages and in the staff API (the clerk checks the pickup code, never the phone),
orders seen by anyone but their owner and the desk that delivers them, the attendee list of
an event, the recall list of a lot, the customer center's lists. Two spellings of the mask
exist, one rule: the desk's ``*******5678`` and the customer center's ``138****5678``.

A log line says of a recipient only the phone or e-mail masked, and a logged database
error says nothing of the row's values.
"""

import logging
import re


def mask_phone(phone: str | None, *, keep_prefix: int = 0) -> str:
    """All but the last four digits hidden, and the first ``keep_prefix`` shown:
    ``13812345678`` -> ``*******5678`` (the desk), ``138****5678`` with ``keep_prefix=3``
    (the customer center). A number too short to hide anything that way is all stars."""
    digits = (phone or "").strip()
    if len(digits) <= 4 or len(digits) < keep_prefix + 4:
        return "*" * len(digits)
    return digits[:keep_prefix] + "*" * (len(digits) - keep_prefix - 4) + digits[-4:]


def shown_phone(phone: str | None, *, whole: bool) -> str | None:
    """``phone`` whole when the rule above allows it, else masked (None stays None)."""
    if phone is None or whole:
        return phone
    return mask_phone(phone)


def shown_address(address: dict | None, *, whole: bool) -> dict | None:
    """A delivery address with its ``phone`` shown by the same rule."""
    if not address or whole or "phone" not in address:
        return address
    return {**address, "phone": mask_phone(address.get("phone"))}


def mask_email(email: str | None) -> str:
    """The first character of the mailbox and the domain: ``jane.doe@example.com`` ->
    ``j***@example.com``; anything without an ``@`` is all stars."""
    mailbox, at, domain = (email or "").strip().rpartition("@")
    if not at or not mailbox:
        return "*" * len((email or "").strip())
    return f"{mailbox[0]}***@{domain}"


#: PostgreSQL's DETAIL of a constraint violation quotes the row's values:
#: ``Key (email)=(jane@example.com) already exists.``, ``Failing row contains (...)``
_KEY_VALUES = re.compile(r"Key \(([^\n]*?)\)=\([^\n]*\)")
_FAILING_ROW = re.compile(r"Failing row contains \([^\n]*\)")


def redact_database_values(text: str) -> str:
    """An error's text without the values PostgreSQL quotes from the row (SQLAlchemy's own
    parameters are hidden by the engine's ``hide_parameters``)."""
    text = _KEY_VALUES.sub(r"Key (\1)=(*)", text)
    return _FAILING_ROW.sub("Failing row contains (*)", text)


class RedactDatabaseValues(logging.Filter):
    """On a logger that logs failures (``log.exception``): the traceback and the message go
    out without the values a database error quotes."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and not record.exc_text:
            record.exc_text = redact_database_values(
                self._formatter.formatException(record.exc_info))
        if record.args:
            record.msg, record.args = redact_database_values(record.getMessage()), ()
        return True


def redact_logged_errors(*loggers: logging.Logger) -> None:
    for logger in loggers:
        if not any(isinstance(f, RedactDatabaseValues) for f in logger.filters):
            logger.addFilter(RedactDatabaseValues())
