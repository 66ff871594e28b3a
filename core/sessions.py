"""Signed-in browsers and API tokens, and ending them.

A browser's cookie holds a random session token (``User.get_id``); the server keeps its
SHA-256 in ``user_sessions``. Signing out deletes that row, so a copied cookie stops
working; a new password or "sign out everywhere" deletes every row and API token of the
account but, where asked, the one in use.
"""

import hashlib
import secrets
from functools import lru_cache

import sqlalchemy as sa
from flask import current_app
from flask_login import login_user, logout_user

from .clock import utcnow
from .extensions import db
from .models import ApiToken, User, UserSession, UTCDateTime
from .sql import columns_of, load


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User) -> str:
    """A new server-side session for ``user``; returns its token (kept on the user too)."""
    token = secrets.token_urlsafe(32)
    lifetime = current_app.config["REMEMBER_COOKIE_DURATION"]
    db.session.add(UserSession(user_id=user.id, token_hash=_hash(token),
                               expires_at=utcnow() + lifetime))
    db.session.flush()
    user.session_token = token
    return token


def sign_in(user: User, *, remember: bool = False) -> None:
    """Sign ``user`` in on this browser: a new server-side session and its cookie."""
    start_session(user)
    login_user(user, remember=remember)


def user_of_session(token: str) -> User | None:
    """The active user whose unexpired session has this token, or None (Flask-Login's loader,
    so every signed-in page starts here)."""
    user = user_holding(UserSession.__table__, _hash(token))
    if user is not None:
        user.session_token = token
    return user


def user_holding(table: sa.Table, token_hash: str) -> User | None:
    """The active user an unexpired row of ``table`` (``user_sessions`` or ``api_tokens``)
    with this hash belongs to, or None: one statement, built once for each table, run on
    the driver (every signed-in page and every API call starts here)."""
    found = load(_user_holding(table), {"token_hash": token_hash, "now": utcnow()}, User)
    return found[0][0] if found else None


@lru_cache(maxsize=2)
def _user_holding(table: sa.Table) -> sa.Select:
    return (sa.select(*columns_of(User)).join(table, table.c.user_id == User.id)
            .where(table.c.token_hash == sa.bindparam("token_hash"),
                   table.c.expires_at > sa.bindparam("now", type_=UTCDateTime()),
                   User.active.is_(True)))


def sign_out(user) -> None:
    """End this browser's session on the server and drop its cookies."""
    token = getattr(user, "session_token", None)
    if token:
        db.session.execute(sa.delete(UserSession).where(UserSession.token_hash == _hash(token)))
    logout_user()


def end_sessions(user: User, *, keep_session: str | None = None,
                 keep_token: str | None = None) -> int:
    """End every session and API token of ``user`` but the ones named; returns how many."""
    sessions = sa.delete(UserSession).where(UserSession.user_id == user.id)
    if keep_session:
        sessions = sessions.where(UserSession.token_hash != _hash(keep_session))
    tokens = sa.delete(ApiToken).where(ApiToken.user_id == user.id)
    if keep_token:
        tokens = tokens.where(ApiToken.token_hash != ApiToken.hash(keep_token))
    ended = db.session.execute(sessions).rowcount + db.session.execute(tokens).rowcount
    return ended


def revoke_token(plain: str) -> bool:
    """Delete the API token ``plain``; True when there was one."""
    return bool(db.session.execute(
        sa.delete(ApiToken).where(ApiToken.token_hash == ApiToken.hash(plain))).rowcount)


def purge_expired_sessions(now=None) -> int:
    """Delete sessions and API tokens past their time (a job)."""
    now = now or utcnow()
    ended = db.session.execute(sa.delete(UserSession).where(UserSession.expires_at <= now))
    tokens = db.session.execute(sa.delete(ApiToken).where(ApiToken.expires_at <= now))
    return ended.rowcount + tokens.rowcount
