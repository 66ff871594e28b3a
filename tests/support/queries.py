"""Counting the SQL statements a piece of code issues (for "queries do not grow" tests)."""

from contextlib import contextmanager

from sqlalchemy import event

from core.extensions import db


@contextmanager
def count_statements():
    """Collect the statements sent to the database inside the ``with`` block."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
