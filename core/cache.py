"""Versioned caching of what people see: per locale, dropped when the data behind it changes.

A cache key carries the version of each namespace it depends on ("catalog", "stock").
Services say which namespaces a change touches with ``mark_changed``; the version moves
only *after* the commit, so no worker can cache a page from data that then rolls back.
With Redis (``REDIS_URL``) versions and pages are shared by all machines; without it each
worker keeps pages in memory and the versions live in small files in the instance folder,
so every worker on the machine sees a change at once.
"""

import mmap
import os
import struct
import time
from collections.abc import Callable
from functools import lru_cache
from typing import TypeVar

import sqlalchemy as sa
from flask import current_app, g
from flask_wtf.csrf import generate_csrf
from sqlalchemy import event
from sqlalchemy.orm import Session

from .extensions import cache
from .i18n import current_locale
from .sql import columns_set, watch_direct_writes

_BUMP_KEY = "cache_namespaces_changed"
T = TypeVar("T")


def mark_changed(session, *namespaces: str) -> None:
    """Record that this transaction changes data behind ``namespaces``."""
    session.info.setdefault(_BUMP_KEY, set()).update(namespaces)


def _uses_redis(app) -> bool:
    return app.config.get("CACHE_TYPE") == "RedisCache"


#: the stamps this process has mapped: ``(instance folder, namespace) -> mmap`` (a few per
#: folder; looked up by both names, so a bump or a read joins no path once mapped)
_STAMPS: dict = {}
_STAMPS_AT_MOST = 256


def _stamp(instance_path: str, namespace: str) -> mmap.mmap:
    """The namespace's stamp: eight bytes of a small file in the instance folder, mapped
    shared, so a version is read and moved on without a system call and every process on
    the machine sees it at once (a file replaced under running workers is not seen by
    them: they keep the one they mapped)."""
    found = _STAMPS.get((instance_path, namespace))
    if found is None:
        path = os.path.join(instance_path, "cache-stamps", namespace)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < _STAMP.size:  # new (growing never clears a stamp)
                os.ftruncate(fd, _STAMP.size)
            found = mmap.mmap(fd, _STAMP.size)
        finally:
            os.close(fd)
        if len(_STAMPS) >= _STAMPS_AT_MOST:  # many instance folders (tests): start again
            _STAMPS.clear()
        _STAMPS[instance_path, namespace] = found
    return found


#: a stamp's value: the time of the last bump in nanoseconds, little-endian
_STAMP = struct.Struct("<Q")


def version(namespace: str) -> str:
    """The current version of ``namespace``: changes whenever its data changes."""
    app = current_app._get_current_object()
    if _uses_redis(app):
        return str(cache.get(f"v:{namespace}") or 0)
    return str(_STAMP.unpack_from(_stamp(app.instance_path, namespace))[0])


def bump(app, *namespaces: str) -> None:
    """Move the versions of ``namespaces`` on, for every worker."""
    for ns in namespaces:
        if _uses_redis(app):
            with app.app_context():
                cache.cache._write_client.incr(cache.cache.key_prefix + f"v:{ns}")
            continue
        # The time, so two processes bumping at once still leave a new value; two bumps
        # within the clock's resolution still differ.
        stamp = _stamp(app.instance_path, ns)
        _STAMP.pack_into(stamp, 0, max(time.time_ns(), _STAMP.unpack_from(stamp)[0] + 1))


def key(*parts) -> str:
    return ":".join(str(p) for p in parts)


#: stands for the viewer's CSRF token inside cached HTML (``with_csrf_token`` puts it back)
CSRF_PLACEHOLDER = "__csrf_token_placeholder__"


def cached_fragment(name: str, namespaces: tuple[str, ...], parts: tuple,
                    build: Callable[[], T]) -> T:
    """HTML (or a dict holding it) shared by everyone who asks with the same ``parts`` in
    the same language, built by ``build`` on a miss and kept until a version of
    ``namespaces`` moves on.

    ``parts`` must name everything the HTML depends on besides the namespaces' data and the
    locale (a center, a role); a form in it carries ``CSRF_PLACEHOLDER`` as its token.
    """
    fragment_key = key("fragment", name, current_locale(),
                       *(f"{ns}={version(ns)}" for ns in namespaces), *parts)
    html = cache.get(fragment_key)
    if html is None:
        html = build()
        cache.set(fragment_key, html)
    return html


def without_csrf_token(html: str) -> str:
    """Rendered HTML made fit to cache: the CSRF token this request put in it (a form's own
    ``csrf_token`` field, or ``csrf_token()``) replaced by the placeholder."""
    token = g.get("csrf_token")
    return html.replace(token, CSRF_PLACEHOLDER) if token else html


def with_csrf_token(html: str) -> str:
    """Cached HTML with the viewer's own CSRF token in place of the placeholder."""
    return html.replace(CSRF_PLACEHOLDER, generate_csrf()) if CSRF_PLACEHOLDER in html else html


# --- tables watched: any ORM write to them moves namespaces on ------------------------------

#: table name -> [(namespace, the columns it shows, or None for all)]
_WATCHED: dict[str, list[tuple[str, frozenset[str] | None]]] = {}


def watch_tables(namespace: str, *tables: str, columns: tuple[str, ...] | None = None) -> None:
    """Move ``namespace`` on after every commit that wrote any of ``tables`` through the
    session: an object added, changed or deleted, or an INSERT, UPDATE or DELETE statement
    (bulk, set-based, ON CONFLICT). For pages whose data many services write, where naming
    each writer would miss one. With ``columns``, a row changed (or an UPDATE that sets)
    only other columns does not count. Writes that bypass the session (a raw connection)
    are not seen: mark those with ``mark_changed``."""
    shown = frozenset(columns) if columns else None
    for table in tables:
        _WATCHED.setdefault(table, []).append((namespace, shown))
    _moved_by.cache_clear()


def _changed_columns(obj) -> set[str]:
    state = sa.inspect(obj)
    return {attr.key for attr in state.attrs if attr.history.has_changes()}


@event.listens_for(Session, "after_flush")
def _flushed(session, _context):
    if not _WATCHED:
        return
    for dirty, changed in ((False, session.new), (True, session.dirty),
                           (False, session.deleted)):
        for obj in changed:
            watchers = _WATCHED.get(getattr(obj, "__tablename__", None))
            if not watchers:
                continue
            columns = _changed_columns(obj) if dirty else None
            mark_changed(session, *(ns for ns, shown in watchers
                                    if columns is None or shown is None or shown & columns))


@event.listens_for(Session, "do_orm_execute")
def _statement(state):
    if not _WATCHED or not (state.is_insert or state.is_update or state.is_delete):
        return
    statement = state.statement
    _wrote(state.session, getattr(getattr(statement, "table", None), "name", None),
           columns_set(statement))


@watch_direct_writes
def _wrote(session, table: str | None, columns) -> None:
    """A statement wrote ``table`` (an UPDATE: setting ``columns``)."""
    if table in _WATCHED:
        mark_changed(session, *_moved_by(table, columns))


@lru_cache(maxsize=256)
def _moved_by(table: str, columns: frozenset[str] | None) -> tuple[str, ...]:
    """The namespaces a write of ``table`` (setting ``columns``) moves on."""
    return tuple(ns for ns, shown in _WATCHED[table]
                 if columns is None or shown is None or shown & columns)


@event.listens_for(Session, "after_commit")
def _after_commit(session):
    changed = session.info.pop(_BUMP_KEY, None)
    if changed:
        bump(current_app._get_current_object(), *changed)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session):
    session.info.pop(_BUMP_KEY, None)
