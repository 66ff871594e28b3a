"""Opening an account and signing in: by e-mail or phone with a password, or by phone and
an SMS code (which opens the account when the phone is new).

Every sign-in path answers the same, and in about the same time, whether or not the
account exists: an unknown account still costs a password check. Limits on guessing are
the edge's (``core.ratelimit.sign_in_guard``); these functions only say yes or no.
"""

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash

from core.clock import utcnow
from core.errors import Unauthorized
from core.extensions import db
from core.models import ApiToken, Role, User, dummy_password_hash
from core.phones import mobile_number
from core.sessions import end_sessions
from core.signals import contact_verified, user_registered

from . import codes
from .models import Purpose


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"
    message = _l("Wrong phone, e-mail or password.")


class WrongCode(Unauthorized):
    code = "invalid_credentials"
    message = _l("The code is wrong or has expired. Ask for a new one.")


def account_by_email(email: str) -> User | None:
    return db.session.execute(
        sa.select(User).where(User.email == email.strip().lower())).scalar_one_or_none()


def account_by_phone(phone: str) -> User | None:
    """The account that verified ``phone`` (a number merely typed into an account proves
    nothing: whoever holds it must not reach that account through it)."""
    return db.session.execute(
        sa.select(User).where(User.phone == phone, User.phone_verified_at.is_not(None))
    ).scalar_one_or_none()


def account_by_identifier(identifier: str) -> User | None:
    """The account named by an e-mail address or a mobile number."""
    phone = mobile_number(identifier)
    if phone:
        return account_by_phone(phone)
    return account_by_email(identifier)


class Unconfirmed:
    """The password was right, but the account was named by an e-mail nobody confirmed."""

    def __init__(self, account: User):
        self.account = account


def authenticate(identifier: str, password: str) -> User | Unconfirmed | None:
    """The active account with this e-mail (or verified phone) and password, or None.

    Unknown accounts cost the same scrypt check as known ones. An e-mail signs in only once
    confirmed (``Unconfirmed`` otherwise): before, anyone could have typed it.
    """
    user = account_by_identifier(identifier)
    if user is None:
        check_password_hash(dummy_password_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    if user.email_verified_at is None and not mobile_number(identifier):
        return Unconfirmed(user)
    return user


def register_user(*, email: str, password: str, name: str, phone: str | None = None):
    """Open a shopper account with an e-mail and a password, unless the address has one.

    Returns ``(user, token)``: the new account and the token of the link that confirms the
    address, or ``(None, None)`` when the address is taken (its owner is told by e-mail;
    the person registering is told the same as anyone: look in your inbox).
    """
    email = email.strip().lower()
    if account_by_email(email) is not None:
        check_password_hash(dummy_password_hash(), password)  # the same time as a new one
        return None, None
    user = User(email=email, name=name.strip(), phone=mobile_number(phone) or (phone or None),
                role=Role.CUSTOMER)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    user_registered.send(user)
    return user, codes.issue_link(Purpose.VERIFY_EMAIL, email, user_id=user.id)


def confirm_email(token: str, password: str) -> User | None:
    """Spend a confirmation link with the account's password: the account, its address now
    verified and every other session and token of it ended, or None (the link stays)."""
    row = codes.peek_link(Purpose.VERIFY_EMAIL, token)
    user = db.session.get(User, row.user_id) if row is not None else None
    if user is None or not user.active or user.email != row.target \
            or not user.check_password(password) or codes.use_link(
                Purpose.VERIFY_EMAIL, token) is None:
        if user is None:
            check_password_hash(dummy_password_hash(), password)
        return None
    end_sessions(user)
    verify_email(user)
    return user


def verify_email(user: User) -> None:
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        db.session.flush()
        contact_verified.send(user, channel="email", value=user.email)


def verify_phone(user: User, phone: str) -> None:
    """``phone`` came back with a code: it is now ``user``'s, and signs in.

    Raises ``PhoneTaken`` when another account verified it first."""
    holder = db.session.execute(
        sa.select(User.id).where(User.phone == phone, User.phone_verified_at.is_not(None),
                                 User.id != user.id)).first()
    if holder is not None:
        raise PhoneTaken()
    if user.phone != phone or user.phone_verified_at is None:
        try:
            with db.session.begin_nested():  # another account may verify it this very moment
                user.phone = phone
                user.phone_verified_at = utcnow()
        except sa.exc.IntegrityError:
            raise PhoneTaken() from None
        contact_verified.send(user, channel="phone", value=phone)


class PhoneTaken(Unauthorized):
    code = "phone_taken"
    status = 409
    message = _l("This mobile number already signs in to another account.")


def sign_in_with_code(phone: str, code: str, *, name: str | None = None):
    """The account of ``phone`` after its SMS code came back, opened if the phone is new.

    Returns ``(user, created)``; raises ``WrongCode``. The caller commits even when it
    fails, so the wrong try stays counted on the code.
    """
    if codes.use_code(Purpose.SIGN_IN, phone, code) is None:
        raise WrongCode()
    user = db.session.execute(
        sa.select(User).where(User.phone == phone, User.phone_verified_at.is_not(None))
    ).scalar_one_or_none()
    if user is not None:
        if not user.active:
            raise WrongCode()
        return user, False
    user = User(name=(name or "").strip() or _("Shopper %(tail)s", tail=phone[-4:]),
                phone=phone, phone_verified_at=utcnow(), role=Role.CUSTOMER)
    db.session.add(user)
    db.session.flush()
    user_registered.send(user)
    contact_verified.send(user, channel="phone", value=phone)
    return user, True


def issue_token(user: User) -> tuple[ApiToken, str]:
    """A bearer token for ``user`` (the plain token is shown once)."""
    return ApiToken.issue(user, current_app.config["API_TOKEN_DAYS"])
