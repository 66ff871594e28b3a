"""Shopper accounts: registration, sign-in, API tokens."""

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from core.errors import Unauthorized
from core.extensions import db
from core.models import ApiToken, Role, User
from core.signals import user_registered

from .errors import EmailTaken


def register_user(*, email: str, password: str, name: str, phone: str | None = None) -> User:
    """Open a shopper account. Raises ``EmailTaken``."""
    email = email.strip().lower()
    if db.session.execute(sa.select(User.id).where(User.email == email)).first():
        raise EmailTaken(errors={"email": [str(EmailTaken.message)]})
    user = User(email=email, name=name.strip(), phone=(phone or "").strip() or None,
                role=Role.CUSTOMER)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    user_registered.send(user)
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None."""
    user = db.session.execute(
        sa.select(User).where(User.email == email.strip().lower())).scalar_one_or_none()
    if user is None or not user.active or not user.check_password(password):
        return None
    return user


def issue_token(email: str, password: str) -> tuple[ApiToken, str]:
    user = authenticate(email, password)
    if user is None:
        raise Unauthorized(_l("Wrong e-mail or password."), code="invalid_credentials")
    return ApiToken.issue(user, current_app.config["API_TOKEN_DAYS"])
