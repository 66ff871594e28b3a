"""What staff see of a person's details: a phone number never shows whole on a list; what a
log line says of a recipient: the phone or e-mail masked; what a logged database error says
of the row: not its values."""

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
