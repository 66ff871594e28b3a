"""Idempotency keys of ``POST /api/v1/orders``: how long a response is replayed, and the job
that clears the keys past that window."""

from datetime import datetime, timedelta

import sqlalchemy as sa

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
