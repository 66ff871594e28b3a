"""Pooled PostgreSQL connections: one the server ended is replaced before use, and a healthy
one is handed out without a round trip (no ping on every request)."""

import time

import psycopg
import pytest
import sqlalchemy as sa

from core.extensions import db


@pytest.fixture()
def engine(app, backend):
    if backend != "postgresql":
        pytest.skip("PostgreSQL's connections only: a SQLite file has no server to lose")
    with app.app_context():
        db.engine.dispose()  # a pool of its own connections, none left by other tests
        yield db.engine
        db.engine.dispose()


def _outside(engine):
    """A connection of its own to the same database, outside the pool."""
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    return psycopg.connect(url, autocommit=True)


def _pid(connection) -> int:
    return connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()


def test_a_connection_the_server_ended_is_replaced_without_an_error(engine):
    with engine.connect() as connection:
        ended = _pid(connection)
    with _outside(engine) as other:
        assert other.execute("SELECT pg_terminate_backend(%s)", (ended,)).fetchone()[0]
        for _ in range(100):  # the server ends it at once; the pool has not looked yet
            if not other.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s",
                                 (ended,)).fetchone():
                break
            time.sleep(0.02)
    with engine.connect() as connection:  # before: OperationalError, "terminating connection"
        assert _pid(connection) != ended
        assert connection.execute(sa.text("SELECT 41 + 1")).scalar() == 42


def test_a_healthy_connection_is_handed_out_without_a_round_trip(engine):
    with engine.connect() as connection:
        pid = _pid(connection)
        connection.exec_driver_sql("SELECT 'the last word'")
        connection.commit()
    with _outside(engine) as other, engine.connect() as connection:
        # checked out again: the server saw nothing since (a ping would be its last query)
        last = other.execute("SELECT query FROM pg_stat_activity WHERE pid = %s",
                             (pid,)).fetchone()[0]
        assert last.startswith("COMMIT") or "the last word" in last, last
        assert _pid(connection) == pid
