"""The steps the sign-in pages and the API share: limits, the commit, and sending.

Each function runs at the request's edge: it checks the limits (429 with ``Retry-After``),
calls the services, commits, and only then sends the SMS or e-mail, outside any lock: a
link or a reset leaves after the answer (``core.background.after_answer``), so the answer
takes as long whether or not an account exists.
Asking for a code or a link answers the same whether or not an account exists.
"""

import logging

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from core.background import after_answer
from core.errors import DomainError, TooManyRequests
from core.extensions import db
from core.messaging import DeliveryError
from core.privacy import mask_phone
from core.ratelimit import attempts, client_address, sign_in_guard

from . import codes, notify, recovery, signin
from .models import Purpose

log = logging.getLogger(__name__)


class SmsUnavailable(DomainError):
    code = "sms_unavailable"
    status = 503
    message = _l("We could not send the SMS just now. Please try again in a minute.")


def _limit(key: str, setting: str) -> None:
    limits = current_app.config[setting]
    attempts.check(key, limits)
    attempts.count(key, limits)


def _limit_sending(phone: str) -> None:
    """The limits on texting a code: per client address, per number from this address (the
    shop's "1 a minute, 5 an hour"), and a looser cap per number alone (so a stranger cannot
    use up a shopper's codes, and nobody can flood a phone)."""
    address = client_address()
    _limit(f"code-addr:{address}", "CODE_LIMIT_PER_ADDRESS")
    _limit(f"code-phone:{phone}|{address}", "CODE_LIMIT_PER_PHONE")
    _limit(f"code-phone:{phone}", "CODE_LIMIT_PER_PHONE_ALONE")


def send_code(phone: str, purpose: str = Purpose.SIGN_IN) -> int:
    """Text a code to ``phone``; returns the seconds it is good for."""
    _limit_sending(phone)
    code = codes.issue_code(purpose, phone)
    db.session.commit()
    try:
        notify.code_sms(phone, code, purpose)()
    except DeliveryError:
        log.warning("a sign-in code to %s could not be sent", mask_phone(phone))
        raise SmsUnavailable() from None
    return current_app.config["CODE_MINUTES"] * 60


def password_sign_in(identifier: str, password: str):
    """The account of ``identifier`` (e-mail or mobile) and ``password``; raises
    ``InvalidCredentials`` or ``TooManyRequests``. An account whose e-mail was never
    confirmed does not sign in with it: the answer is the same as for a wrong password,
    and when the password was right, a new confirmation link goes out."""
    sign_in_guard.attempt(identifier)
    user = signin.authenticate(identifier, password)
    if isinstance(user, signin.Unconfirmed):
        sign_in_guard.failed(identifier)
        try:
            send_confirmation(user.account)
        except TooManyRequests:
            pass
        raise signin.InvalidCredentials()
    if user is None:
        sign_in_guard.failed(identifier)
        raise signin.InvalidCredentials()
    sign_in_guard.passed(identifier)
    return user


def code_sign_in(phone: str, code: str, *, name: str | None = None):
    """``(user, created)`` for a phone whose code came back; raises ``WrongCode``."""
    sign_in_guard.attempt(phone)
    try:
        user, created = signin.sign_in_with_code(phone, code, name=name)
    except signin.WrongCode:
        db.session.commit()  # the wrong try stays counted on the code
        sign_in_guard.failed(phone)
        raise
    sign_in_guard.passed(phone)
    return user, created


def check_code(phone: str, code: str, purpose: str) -> None:
    """Spend a code sent to ``phone`` for ``purpose``; raises ``WrongCode``."""
    sign_in_guard.attempt(phone)
    if codes.use_code(purpose, phone, code) is None:
        db.session.commit()  # the wrong try stays counted on the code
        sign_in_guard.failed(phone)
        raise signin.WrongCode()
    sign_in_guard.passed(phone)


def register(*, email: str, password: str, name: str, phone: str | None = None):
    """Open an account by e-mail (confirmed by a link), or tell the address's owner that
    someone tried; the caller tells the person the same either way. Returns the new account
    or None."""
    _limit(f"register-addr:{client_address()}", "REGISTER_LIMIT_PER_ADDRESS")
    email = email.strip().lower()
    try:
        user, token = signin.register_user(email=email, password=password, name=name,
                                           phone=phone)
        db.session.commit()
    except sa.exc.IntegrityError:  # a twin request opened it a moment ago
        db.session.rollback()
        user, token = None, None
    if user is None:
        after_answer(notify.already_registered_mail(email), "a registration e-mail")
    else:
        after_answer(notify.confirm_link_mail(email, token), "a registration e-mail")
    return user


def send_confirmation(user) -> None:
    """Send the account's e-mail a new confirmation link."""
    _limit(f"link-email:{user.email}", "LINK_LIMIT_PER_EMAIL")
    token = codes.issue_link(Purpose.VERIFY_EMAIL, user.email, user_id=user.id)
    db.session.commit()
    after_answer(notify.confirm_link_mail(user.email, token), "a confirmation e-mail")


def request_reset(*, email: str | None = None, phone: str | None = None) -> None:
    """Send a reset link (e-mail) or code (SMS) if the account exists; the same answer and the
    same limits either way."""
    _limit(f"code-addr:{client_address()}", "CODE_LIMIT_PER_ADDRESS")
    if email is not None:
        email = email.strip().lower()
        _limit(f"link-email:{email}", "LINK_LIMIT_PER_EMAIL")
        token = recovery.request_reset_by_email(email)
        db.session.commit()
        if token:
            after_answer(notify.reset_link_mail(email, token), "a reset e-mail")
        return
    _limit(f"code-phone:{phone}|{client_address()}", "CODE_LIMIT_PER_PHONE")
    _limit(f"code-phone:{phone}", "CODE_LIMIT_PER_PHONE_ALONE")
    code = recovery.request_reset_by_phone(phone)
    db.session.commit()
    if code:
        after_answer(notify.code_sms(phone, code, Purpose.PASSWORD_RESET), "a reset code")


def reset_by_code(phone: str, code: str, password: str):
    """The account whose password was reset by SMS code; raises ``InvalidOrExpired``."""
    sign_in_guard.attempt(phone)
    user = recovery.reset_with_code(phone, code, password)
    if user is None:
        db.session.commit()
        sign_in_guard.failed(phone)
        raise recovery.InvalidOrExpired()
    sign_in_guard.passed(phone)
    return user


def confirm_email(token: str, password: str):
    """The account of a confirmation link, once the person typed its password (the link
    alone proves the address, not that they opened the account); raises
    ``InvalidCredentials`` or ``TooManyRequests``. Every other session of it ends."""
    row = codes.peek_link(Purpose.VERIFY_EMAIL, token)
    key = row.target if row is not None else "link"
    sign_in_guard.attempt(key)
    user = signin.confirm_email(token, password)
    if user is None:
        sign_in_guard.failed(key)
        raise signin.InvalidCredentials()
    sign_in_guard.passed(key)
    return user


def change_password(user, current, password, **keep) -> None:
    """Change a signed-in account's password; wrong current passwords are limited like
    sign-ins."""
    key = f"account:{user.id}"
    sign_in_guard.attempt(key)
    try:
        recovery.change_password(user, current, password, **keep)
    except signin.InvalidCredentials:
        sign_in_guard.failed(key)
        raise
    sign_in_guard.passed(key)
