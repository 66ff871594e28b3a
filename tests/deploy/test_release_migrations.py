"""A release's migrations on a PostgreSQL database that holds data in every table: each
revision is applied, one at a time, to tables that all have rows (made-up rows that keep
the constraints of the schema and of today's models), then the whole history is rolled back
with those rows in every table and applied again — as a release that expands a filled
database, and one rolled back, would."""

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from core.clock import utcnow
from core.extensions import db, migrate
from tests.conftest import make_app, new_database

pytestmark = pytest.mark.postgres

_LITERAL = re.compile(r"'([^']*)'")


def _allowed_values(checks: list[dict], column: str) -> list[str]:
    """The literals a CHECK constraint allows for ``column`` (``col IN ('a', 'b')``)."""
    for check in checks:
        text = check["sqltext"]
        if re.search(rf"\b{re.escape(column)}\b", text) and ("ANY" in text or " IN " in text):
            return _LITERAL.findall(text)
    return []


def _value(column, checks, position: int, ids: dict, flag: bool, numbers: str, seen: dict,
           copy: int):
    if column.foreign_keys:
        # a second reference to one table takes its second row (from_center, to_center)
        target = next(iter(column.foreign_keys)).column
        taken = seen[target.table.name] = seen.get(target.table.name, -1) + 1
        rows = ids(target) or [None]
        return rows[(taken + copy) % len(rows)]
    allowed = _allowed_values(checks, column.name)
    if allowed:
        return allowed[0]
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return flag
    if isinstance(kind, sa.DateTime):
        return utcnow() + timedelta(minutes=position)  # later columns later (ends > starts)
    if isinstance(kind, sa.Date):
        return date(2020, 1, 1) + timedelta(days=position)
    if isinstance(kind, sa.Integer | sa.Numeric | sa.Float):
        return {"up": position + 1, "down": 100 - position, "one": 1}[numbers]
    if isinstance(kind, sa.JSON | sa.dialects.postgresql.JSONB):
        return {}
    if isinstance(kind, sa.LargeBinary):
        return f"{'xyz'[copy]}{position}".encode()
    length = getattr(kind, "length", None) or 40
    return f"{'xyz'[copy]}{position}"[:length]


def _model_checks(name: str) -> list[dict]:
    model = db.metadata.tables.get(name)
    if model is None:
        return []
    return [{"sqltext": str(c.sqltext)} for c in model.constraints
            if isinstance(c, sa.CheckConstraint)]


def _insert_one(connection, table, checks, ids, copy: int):
    """One made-up row (the id, or True), or None when no variant fits the constraints."""
    # variants for CHECKs such as "is_pickup OR is_delivery" or "reserved <= on_hand"
    variants = [(everything, numbers, flag) for everything in (False, True)
                for numbers in ("up", "down", "one") for flag in (True, False)]
    for everything, numbers, flag in variants:
        if True:  # one level, as the variants are one list
            row, seen = {}, {}
            for position, column in enumerate(table.columns):
                if column.primary_key and column.autoincrement in (True, "auto") \
                        and isinstance(column.type, sa.Integer):
                    continue
                optional = column.nullable or column.server_default is not None
                if optional and (column.foreign_keys or not everything):
                    continue
                row[column.name] = _value(column, checks, position, ids, flag, numbers, seen,
                                          copy)
            try:
                with connection.begin_nested():
                    result = connection.execute(table.insert().values(**row))
            except sa.exc.IntegrityError as exc:
                last = exc
                continue
            return result
    if copy == 0:
        raise last
    return None


def fill_empty_tables(connection) -> list[str]:
    """Made-up rows (two where they fit) in every table that has none; returns those tables."""
    meta = sa.MetaData()
    meta.reflect(connection)
    inspector = sa.inspect(connection)
    filled = []

    def ids(target):
        """Two values of the column a foreign key points at."""
        table = meta.tables[target.table.name]
        column = table.c[target.name]
        return list(connection.execute(sa.select(column).order_by(column).limit(2)).scalars())

    for table in meta.sorted_tables:
        if table.name == "alembic_version":
            continue
        if connection.execute(sa.select(table).limit(1)).first() is not None:
            continue
        # the rules of today's models too: a later revision may add them as constraints,
        # and the rows the app wrote before already kept them
        checks = inspector.get_check_constraints(table.name) + _model_checks(table.name)
        for copy in (0, 1):  # two rows, so that a table referring to it twice finds two
            inserted = _insert_one(connection, table, checks, ids, copy)
            if inserted is None:
                break
        filled.append(table.name)
    return filled


def _counts(connection) -> dict[str, int]:
    meta = sa.MetaData()
    meta.reflect(connection)
    return {t.name: connection.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in meta.sorted_tables if t.name != "alembic_version"}


def test_every_migration_runs_up_and_down_with_data_in_every_table(tmp_path_factory):
    url, drop = new_database("postgresql", tmp_path_factory)
    app = make_app(url, tmp_path_factory.mktemp("release"))
    try:
        with app.app_context():
            script = ScriptDirectory.from_config(migrate.get_config())
            order = [rev.revision for rev in reversed(list(script.walk_revisions()))]
            for revision in order:  # base -> head, every table holding rows at each step
                upgrade(revision=revision)
                with db.engine.begin() as connection:
                    fill_empty_tables(connection)
            with db.engine.begin() as connection:
                fill_empty_tables(connection)
                before = _counts(connection)
            assert before and min(before.values()) > 0, before
            downgrade(revision="base")
            with db.engine.connect() as connection:
                assert set(sa.inspect(connection).get_table_names()) <= {"alembic_version"}
            upgrade()
            with db.engine.connect() as connection:
                assert set(_counts(connection)) == set(before)
            db.engine.dispose()
    finally:
        with app.app_context():
            db.engine.dispose()
        drop()
