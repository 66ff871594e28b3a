"""The sheets uploaded for a customer import, kept (0600, in ``instance/imports``) only
between the preview and the agent's confirmation: a preview is good for
``IMPORT_PREVIEW_MINUTES`` (60), and the ``import_previews`` job removes older ones. A
person who is erased takes with them any waiting sheet that names them."""

import os
import re
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import current_app

from core.clock import utcnow


def upload_dir() -> Path:
    path = Path(current_app.instance_path) / "imports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _max_age() -> timedelta:
    return timedelta(minutes=current_app.config["IMPORT_PREVIEW_MINUTES"])


def _written_at(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def save_preview(data: bytes) -> str:
    """Keep an uploaded sheet until it is confirmed; returns its token. The file is stamped
    with the shop's clock, which the job and the confirmation read back."""
    token = secrets.token_hex(12)
    path = upload_dir() / f"{token}.csv"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    stamp = utcnow().timestamp()
    os.utime(path, (stamp, stamp))
    return token


def find_preview(token: str) -> Path | None:
    """The waiting sheet of ``token``, or None when there is none or it is too old."""
    if not token or not token.isalnum():
        return None
    path = upload_dir() / f"{token}.csv"
    if not path.is_file() or _written_at(path) < utcnow() - _max_age():
        return None
    return path


def purge_import_previews(now) -> str:
    """Job: remove the uploaded sheets older than ``IMPORT_PREVIEW_MINUTES``."""
    cutoff = now - _max_age()
    removed = 0
    for path in upload_dir().glob("*.csv"):
        try:
            if _written_at(path) < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # confirmed (or purged by another run) meanwhile
            continue
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
    removed = 0
    for path in upload_dir().glob("*.csv"):
        try:
            text = _text(path.read_bytes())
        except FileNotFoundError:
            continue
        digits = re.sub(r"[\s\-()+]", "", text)
        if any(p in digits for p in phones) or any(e in text.lower() for e in emails):
            path.unlink(missing_ok=True)
            removed += 1
    return removed
