"""Issuing and checking one-time codes and links.

Codes come from ``secrets`` and only an HMAC of them (keyed with the app's secret, bound to
the purpose and the target) is stored, so a copy of the table does not give them away.
Checking is race-safe: the row is spent with a conditional UPDATE, so two requests with the
same code cannot both pass.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from core.clock import utcnow
from core.extensions import db
from core.sessions import purge_expired_sessions

from .models import OneTimeCode

#: wrong tries that burn a code
MAX_TRIES = 5


def _digest(*parts: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


#: codes of one purpose and number that stay good at once: a code asked for by someone else
#: (or a second tap on "send") does not take away the one on its way
LIVE_CODES = 3


def _retire(purpose: str, target: str, *, keep: int = 0) -> None:
    """Retire the unused codes of ``purpose`` sent to ``target`` but the ``keep`` newest."""
    newest = sa.select(OneTimeCode.id).where(
        OneTimeCode.purpose == purpose, OneTimeCode.target == target,
        OneTimeCode.used_at.is_(None)).order_by(OneTimeCode.id.desc()).limit(keep)
    query = sa.update(OneTimeCode).where(
        OneTimeCode.purpose == purpose, OneTimeCode.target == target,
        OneTimeCode.used_at.is_(None))
    if keep:
        query = query.where(OneTimeCode.id.not_in(newest.scalar_subquery()))
    db.session.execute(query.values(used_at=utcnow()), execution_options={
        "synchronize_session": False})


def issue_code(purpose: str, phone: str, *, user_id: int | None = None) -> str:
    """A new 6-digit code for ``phone``; the two newest earlier ones of the same purpose stay
    good (so nobody's "send" takes away a code on its way), older ones retire."""
    _retire(purpose, phone, keep=LIVE_CODES - 1)
    code = f"{secrets.randbelow(10**6):06d}"
    db.session.add(OneTimeCode(
        purpose=purpose, target=phone, user_id=user_id, code_hash=_digest(purpose, phone, code),
        expires_at=utcnow() + timedelta(minutes=current_app.config["CODE_MINUTES"])))
    db.session.flush()
    return code


def use_code(purpose: str, phone: str, code: str) -> OneTimeCode | None:
    """Spend the code ``code`` sent to ``phone``: the row when it is right, unused and in
    time; else None. Every try counts first, with one conditional UPDATE, so requests that
    race cannot try more than ``MAX_TRIES`` times; the fifth wrong try burns the number's
    live codes. The caller commits either way, so that wrong tries stay counted."""
    now = utcnow()
    live = (OneTimeCode.purpose == purpose, OneTimeCode.target == phone,
            OneTimeCode.used_at.is_(None), OneTimeCode.expires_at > now)
    claimed = db.session.execute(
        sa.update(OneTimeCode).where(*live, OneTimeCode.tries < MAX_TRIES)
        .values(tries=OneTimeCode.tries + 1)
        .returning(OneTimeCode.id, OneTimeCode.code_hash),
        execution_options={"synchronize_session": False}).all()
    wanted = _digest(purpose, phone, code) if code.isdigit() else ""
    match = next((row_id for row_id, digest in claimed
                  if wanted and hmac.compare_digest(digest, wanted)), None)
    if match is not None:
        spent = db.session.execute(
            sa.update(OneTimeCode).where(OneTimeCode.id == match, OneTimeCode.used_at.is_(None))
            .values(used_at=now), execution_options={"synchronize_session": False}).rowcount
        if spent == 1:
            _retire(purpose, phone)  # the number is proven: the other codes are no use now
            return db.session.get(OneTimeCode, match)
        return None
    db.session.execute(
        sa.update(OneTimeCode).where(*live, OneTimeCode.tries >= MAX_TRIES)
        .values(used_at=now), execution_options={"synchronize_session": False})
    return None


def issue_link(purpose: str, email: str, *, user_id: int) -> str:
    """A new token for a link e-mailed to ``email``; earlier ones of the purpose retire."""
    _retire(purpose, email)
    token = secrets.token_urlsafe(32)
    db.session.add(OneTimeCode(
        purpose=purpose, target=email, user_id=user_id, code_hash=_digest(purpose, token),
        expires_at=utcnow() + timedelta(minutes=current_app.config["LINK_MINUTES"])))
    db.session.flush()
    return token


def peek_link(purpose: str, token: str) -> OneTimeCode | None:
    """The unused, unexpired link ``token``, without spending it (to show its form)."""
    return db.session.execute(
        sa.select(OneTimeCode)
        .where(OneTimeCode.code_hash == _digest(purpose, token), OneTimeCode.purpose == purpose,
               OneTimeCode.used_at.is_(None), OneTimeCode.expires_at > utcnow())
    ).scalar_one_or_none()


def use_link(purpose: str, token: str) -> OneTimeCode | None:
    """Spend the link ``token``: its row, or None when it is unknown, used or expired."""
    row = peek_link(purpose, token)
    if row is None:
        return None
    spent = db.session.execute(
        sa.update(OneTimeCode)
        .where(OneTimeCode.id == row.id, OneTimeCode.used_at.is_(None))
        .values(used_at=utcnow())).rowcount
    return row if spent == 1 else None


def purge_sign_ins(now) -> str:
    """Delete sessions and API tokens past their time, and codes and links a day past
    theirs (a job)."""
    ended = purge_expired_sessions(now)
    spent = db.session.execute(
        sa.delete(OneTimeCode).where(OneTimeCode.expires_at < now - timedelta(days=1))).rowcount
    return f"{ended} sessions or tokens ended, {spent} codes removed"
