"""Choosing a new password (by e-mail link or SMS code) and changing it.

A new password ends every other way into the account: each signed-in browser and each API
token, but the one the person is using when they change it themselves.
"""

from flask_babel import lazy_gettext as _l

from core.errors import DomainError
from core.extensions import db
from core.models import User
from core.sessions import end_sessions

from . import codes
from .models import Purpose
from .signin import (
    InvalidCredentials,
    account_by_email,
    account_by_phone,
    verify_email,
)


class InvalidOrExpired(DomainError):
    code = "invalid_or_expired"
    status = 400
    message = _l("This link or code is wrong, used or expired. Ask for a new one.")


def request_reset_by_email(email: str) -> str | None:
    """A reset link's token for the active account of ``email``, or None when there is none
    (the edge answers the same either way)."""
    user = account_by_email(email)
    if user is None or not user.active:
        return None
    return codes.issue_link(Purpose.PASSWORD_RESET, user.email, user_id=user.id)


def request_reset_by_phone(phone: str) -> str | None:
    """A reset code for the active account of ``phone``, or None when there is none."""
    user = account_by_phone(phone)
    if user is None or not user.active:
        return None
    return codes.issue_code(Purpose.PASSWORD_RESET, phone, user_id=user.id)


def reset_with_link(token: str, password: str) -> User:
    """Set ``password`` on the account of a reset link; every session and token ends.
    Raises ``InvalidOrExpired``."""
    row = codes.use_link(Purpose.PASSWORD_RESET, token)
    user = db.session.get(User, row.user_id) if row is not None else None
    if user is None or not user.active or user.email != row.target:
        raise InvalidOrExpired()
    _set_password(user, password)
    verify_email(user)  # the link came back from the address
    return user


def reset_with_code(phone: str, code: str, password: str) -> User | None:
    """Set ``password`` on the account that verified ``phone`` when ``code`` is right; None
    otherwise (the caller commits either way, so that wrong tries count)."""
    row = codes.use_code(Purpose.PASSWORD_RESET, phone, code)
    user = db.session.get(User, row.user_id) if row is not None else None
    if user is None or not user.active:
        return None
    _set_password(user, password)
    return user


def change_password(user: User, current: str | None, password: str, *,
                    keep_session: str | None = None, keep_token: str | None = None) -> None:
    """Change the password of a signed-in account; the current one is required when there
    is one. Other sessions and tokens end. Raises ``InvalidCredentials``."""
    if user.password_hash and not user.check_password(current or ""):
        raise InvalidCredentials(_l("The current password is wrong."),
                                 errors={"current_password": [str(_l("Wrong password."))]})
    _set_password(user, password, keep_session=keep_session, keep_token=keep_token)


def _set_password(user: User, password: str, *, keep_session=None, keep_token=None) -> None:
    user.set_password(password)
    end_sessions(user, keep_session=keep_session, keep_token=keep_token)
    db.session.flush()
