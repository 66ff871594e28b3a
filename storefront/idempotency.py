"""Idempotency keys of ``POST /api/v1/orders``: how long a response is replayed, and the job
that clears the keys past that window."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import jsonify
from flask_babel import lazy_gettext as _l

from core.clock import utcnow
from core.errors import Conflict
from core.extensions import db

from .models import IdempotencyKey

#: how long a response is replayed for the same ``Idempotency-Key``
IDEMPOTENCY_WINDOW = timedelta(hours=24)


def purge_idempotency_keys(now: datetime) -> str:
    """Job: delete the keys older than the window (one statement); the caller commits.

    Such a key no longer replays anything: the same key then places a new order.
    """
    deleted = db.session.execute(
        sa.delete(IdempotencyKey).where(IdempotencyKey.created_at < now - IDEMPOTENCY_WINDOW)
    ).rowcount
    return f"{deleted} idempotency key(s) purged"


def stored_response(user_id: int, key: str):
    """The replayed response for this user's key, or None (clearing a key past its window)."""
    record = db.session.execute(
        sa.select(IdempotencyKey).where(IdempotencyKey.user_id == user_id,
                                        IdempotencyKey.key == key)).scalar_one_or_none()
    if record is None:
        return None
    if record.created_at < utcnow() - IDEMPOTENCY_WINDOW:
        db.session.delete(record)
        db.session.flush()
        return None
    if record.response is None:
        return None
    response = jsonify(record.response)
    response.status_code = record.status_code
    response.headers["Idempotent-Replayed"] = "true"
    return response


def hold_key(user_id: int, key: str):
    """Insert the key's row before the work, in its transaction; ``(row, None)``.

    A concurrent duplicate waits on the unique constraint, then gets ``(None, response)``
    (the first one's, to replay) or, while the first is still under way, a 409
    ``idempotency_conflict``. The caller stores the response on the row before committing;
    a failure rolls the key back, so it may be retried.
    """
    record = IdempotencyKey(user_id=user_id, key=key)
    try:
        with db.session.begin_nested():
            db.session.add(record)
    except sa.exc.IntegrityError:
        replay = stored_response(user_id, key)
        if replay is not None:
            return None, replay
        raise Conflict(_l("A request with this Idempotency-Key is still being handled."),
                       code="idempotency_conflict") from None
    return record, None


#: what an erased person's stored answers lose, as their orders do (``crm.customers.erasure``)
_CONTACT = ("contact_name", "contact_phone", "note")


def scrub_stored_responses(user_id: int) -> int:
    """The person behind ``user_id`` left the club: the answers kept for a replay lose the
    contact, the note and the address (the order's id, number, lines and amounts stay, so a
    retry still finds its order); how many."""
    rows = db.session.execute(sa.select(IdempotencyKey).where(
        IdempotencyKey.user_id == user_id, IdempotencyKey.response.is_not(None))).scalars().all()
    for row in rows:
        body = {**row.response, **{k: None for k in _CONTACT if k in row.response}}
        if isinstance(body.get("fulfillment"), dict):
            body["fulfillment"] = {**body["fulfillment"], "address": None}
        row.response = body
    return len(rows)
