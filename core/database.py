"""Database engine settings that keep SQLite honest under concurrent requests.

SQLite: foreign keys on, WAL so readers do not block the writer, a generous busy timeout,
and every transaction opened with BEGIN IMMEDIATE. A deferred transaction that reads and
then writes can fail at once with "database is locked" when another writer got in between;
taking the write lock up front makes concurrent orders queue instead (Rails does the same).

A new database file is created 0600 before SQLite opens it (SQLite gives its -wal and -shm
files the same mode), and an older one readable by others is made private on connect.
"""

import select
import sqlite3
from functools import lru_cache

import sqlalchemy as sa
from psycopg import pq
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

from .extensions import db
from .instance import create_private_file, make_private
from .sql import run


def _sqlite_file(cargs, cparams) -> str | None:
    """The file a SQLite connection opens; None for memory and URI forms."""
    name = cargs[0] if cargs else cparams.get("database")
    if not name or name == ":memory:" or cparams.get("uri") or str(name).startswith("file:"):
        return None
    return str(name)


@event.listens_for(Engine, "do_connect")
def _sqlite_private_file(dialect, record, cargs, cparams):
    if dialect.name != "sqlite":
        return None
    path = _sqlite_file(cargs, cparams)
    if path is not None:
        create_private_file(path)
        record.info["sqlite_file"] = path
    return None  # SQLAlchemy connects as usual


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    path = record.info.get("sqlite_file")
    if path is not None:
        for name in (path, path + "-wal", path + "-shm"):
            make_private(name)
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection):
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@event.listens_for(Pool, "checkout")
def _still_connected(dbapi_connection, _record, _proxy):
    """A pooled PostgreSQL connection the server has closed is replaced before use, without
    a query on every checkout (what ``pool_pre_ping`` would send, a round trip on every
    request). An idle connection receives nothing unless the server is ending it (a restart,
    ``pg_terminate_backend``, an idle timeout): then its socket has news, or libpq already
    knows it is gone. Raising ``DisconnectionError`` makes the pool connect afresh."""
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is None:  # SQLite: a file, nothing to lose
        return
    if dbapi_connection.closed or dbapi_connection.broken or pgconn.status != pq.ConnStatus.OK:
        raise sa.exc.DisconnectionError("the connection is closed")
    poll = select.poll()
    poll.register(pgconn.socket, select.POLLIN | select.POLLERR | select.POLLHUP)
    if poll.poll(0):
        raise sa.exc.DisconnectionError("the server ended the connection")


#: what a bulk job asks of PostgreSQL for the rest of its transaction: no JIT (compiling a
#: statement's expressions costs more than it saves on a job that runs once), and room to
#: sort and hash a hundred thousand customers in memory instead of on disk
BULK_SETTINGS = {"jit": "off", "work_mem": "64MB"}


def tune_for_bulk(connection) -> None:
    """Settings for one set-based job, local to the current transaction (PostgreSQL only;
    SQLite has nothing to tune)."""
    if connection.dialect.name != "postgresql":
        return
    for name, value in BULK_SETTINGS.items():
        connection.exec_driver_sql(f"SET LOCAL {name} = '{value}'")


def limit_lock_wait(session, milliseconds: int) -> None:
    """A row lock waited for longer than this, in the rest of the current transaction, ends
    it with an error the edges answer as 503 ``busy`` with ``Retry-After`` (PostgreSQL's
    ``lock_timeout``; SQLite waits its busy timeout, then says the same)."""
    if session.get_bind().dialect.name == "postgresql":
        run(_lock_timeout(int(milliseconds)))


@lru_cache(maxsize=4)
def _lock_timeout(milliseconds: int) -> sa.TextClause:
    return sa.text(f"SET LOCAL lock_timeout = {milliseconds}")


def lock_wait_condition(parameter: str) -> sa.ColumnElement[bool]:
    """``limit_lock_wait``'s setting as a condition a PostgreSQL read carries, so it costs no
    round trip of its own: always true, it sets ``lock_timeout`` for the rest of the
    transaction (``set_config(..., true)`` is ``SET LOCAL``) to the milliseconds bound as
    ``parameter`` (text). A row comes back only once every condition was checked for it,
    so a read that returns anything has set it; one that returns nothing may not have."""
    return sa.func.set_config(
        "lock_timeout", sa.bindparam(parameter, type_=sa.String()), True).is_not(None)


def commit_answered(session) -> None:
    """Commit a request's transaction whose answer is already made: its objects are not
    expired (nothing reads them again, and expiring each costs a checkout more than its
    statements' bookkeeping)."""
    session = session()  # the request's own, behind the scoped session
    kept = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = kept


def is_busy_error(err: Exception) -> bool:
    """Whether a database error means "locked by others for too long" (a lock or statement
    timeout, SQLite's busy database), not a fault."""
    orig = getattr(err, "orig", None)
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate in ("55P03", "57014"):  # lock_not_available, query_canceled (a timeout)
        return True
    return "database is locked" in str(orig or err)


def analyze(connection, table: str) -> None:
    """Statistics for a temporary table just filled, so the statements that join it plan
    for its real size (autovacuum never sees temporary tables)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"ANALYZE {table}")


def paginate(query, *, page: int, per_page: int, total: int | None = None,
             rows: bool = False) -> tuple[list, int, int]:
    """One page of ``query`` (already ordered) and the page count: ``(items, page,
    pages)``. ``page`` is kept within 1..pages, so a page number past the end shows the
    last page. Two statements: the count (unless ``total`` is known) and the page.
    ``rows``: whole result rows instead of the first column's objects."""
    if total is None:
        total = db.session.execute(
            sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
        ).scalar_one()
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    result = db.session.execute(query.limit(per_page).offset((page - 1) * per_page))
    items = [tuple(r) for r in result] if rows else list(result.scalars())
    return items, page, pages


def include_in_migrations(obj, name, type_, reflected, compare_to) -> bool:
    """What autogenerate compares: not the search structures the migrations make by hand
    for one dialect (SQLite's ``*_fts`` tables and their shadow tables, PostgreSQL's
    ``*_trgm`` indexes), which no model declares."""
    if reflected and compare_to is None and name:
        if type_ == "table" and ("_fts" in name):
            return False
        if type_ == "index" and name.endswith("_trgm"):
            return False
    return True
