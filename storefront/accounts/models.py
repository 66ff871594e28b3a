"""One-time codes (SMS) and links (e-mail) that prove a person holds a phone or an address."""

from enum import StrEnum

import sqlalchemy as sa

from core.clock import utcnow
from core.extensions import db
from core.models import UTCDateTime, one_of


class Purpose(StrEnum):
    """What a code or link is for; a code of one purpose never serves another."""

    SIGN_IN = "sign_in"
    PASSWORD_RESET = "password_reset"
    VERIFY_PHONE = "verify_phone"
    VERIFY_EMAIL = "verify_email"


class OneTimeCode(db.Model):
    """A 6-digit code sent by SMS, or a long token in an e-mailed link.

    Only a keyed hash is kept. A code is good for one use, for a few minutes, and for five
    wrong tries; asking for a new one retires the old.
    """

    __tablename__ = "one_time_codes"
    __table_args__ = (
        one_of("purpose", Purpose, name="purpose_known"),
        sa.CheckConstraint("tries >= 0", name="tries_not_negative"),
        sa.Index("ix_one_time_codes_purpose_target", "purpose", "target"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    purpose = sa.Column(sa.String(20), nullable=False)
    #: the mobile number (11 digits) or the e-mail address (lower case) it was sent to
    target = sa.Column(sa.String(254), nullable=False)
    #: the account it serves, where one is known when it is sent
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), index=True)
    code_hash = sa.Column(sa.String(64), nullable=False, unique=True)
    tries = sa.Column(sa.Integer, nullable=False, default=0)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = sa.Column(UTCDateTime, nullable=False)
    #: used, burnt by wrong tries, or retired by a newer code
    used_at = sa.Column(UTCDateTime)
