"""The sheets uploaded for a customer import, kept only between the preview and the agent's
confirmation, in the database (``import_previews``: any app node can confirm, and nothing
personal lies in a node's folder): a preview is good for ``IMPORT_PREVIEW_MINUTES`` (60),
and the ``import_previews`` job removes older ones. A person who is erased takes with them
any waiting sheet that names them."""

import re
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from core.clock import utcnow
from core.extensions import db

from .models import ImportPreview


def _max_age() -> timedelta:
    return timedelta(minutes=current_app.config["IMPORT_PREVIEW_MINUTES"])


def save_preview(data: bytes) -> str:
    """Keep an uploaded sheet until it is confirmed; returns its token (the caller commits)."""
    token = secrets.token_hex(12)
    db.session.add(ImportPreview(token=token, data=data, created_at=utcnow()))
    db.session.flush()
    return token


def find_preview(token: str) -> bytes | None:
    """The waiting sheet of ``token``, or None when there is none or it is too old."""
    if not token or not token.isalnum() or len(token) > 32:
        return None
    return db.session.execute(
        sa.select(ImportPreview.data).where(ImportPreview.token == token,
                                            ImportPreview.created_at >= utcnow() - _max_age())
    ).scalar_one_or_none()


def drop_preview(token: str) -> None:
    """Forget a sheet once it is imported."""
    db.session.execute(sa.delete(ImportPreview).where(ImportPreview.token == token))


def purge_import_previews(now) -> str:
    """Job: remove the uploaded sheets older than ``IMPORT_PREVIEW_MINUTES``."""
    removed = db.session.execute(
        sa.delete(ImportPreview).where(ImportPreview.created_at < now - _max_age())).rowcount
    return f"{removed} removed"


def _text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def forget_previews_naming(*, phones=(), emails=()) -> int:
    """Remove the waiting sheets that hold one of ``phones`` (digits compared, whatever the
    spaces or dashes in the sheet) or ``emails``; returns how many."""
    phones = {re.sub(r"\D", "", p) for p in phones if p and len(re.sub(r"\D", "", p)) >= 6}
    emails = {e.strip().lower() for e in emails if e and "@" in e}
    if not phones and not emails:
        return 0
    naming = []
    for preview_id, data in db.session.execute(sa.select(ImportPreview.id, ImportPreview.data)):
        text = _text(data)
        digits = re.sub(r"[\s\-()+]", "", text)
        if any(p in digits for p in phones) or any(e in text.lower() for e in emails):
            naming.append(preview_id)
    if naming:
        db.session.execute(sa.delete(ImportPreview).where(ImportPreview.id.in_(naming)))
    return len(naming)
