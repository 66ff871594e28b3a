"""Where a page may send the browser on to (``next`` after signing in, a language switch,
a form): only a path on this site, never an open redirect."""

from urllib.parse import urlsplit


def local_path(target: str | None) -> str | None:
    """``target`` when it is a path on this site, else None: it starts with one slash and
    has no scheme, host, backslash (browsers read ``/\\`` as ``//``) or control character."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target
