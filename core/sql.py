"""SQL that reads the same on PostgreSQL and SQLite: date arithmetic, parts of dates and
times, text, aggregation, and INSERT ... SELECT that skips rows already there.

SQLite keeps timestamps as 'YYYY-MM-DD HH:MM:SS.ffffff' text, PostgreSQL as timestamps;
each helper builds the expression the session's database understands.
"""

from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from .extensions import db
from .models import UTCDateTime


def _pg() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def at(value) -> sa.ColumnElement:
    """A UTC time as a bound value of a timestamp column."""
    return sa.literal(value, UTCDateTime())


def plus_days(column, days) -> sa.ColumnElement:
    """``column`` + ``days`` (a number or an integer expression) days."""
    days = days if isinstance(days, sa.ColumnElement) else sa.literal(int(days), sa.Integer)
    if _pg():
        return column + sa.literal_column("INTERVAL '1 day'") * days
    # SQLite keeps timestamps as 'YYYY-MM-DD HH:MM:SS.ffffff' text
    return sa.func.strftime("%Y-%m-%d %H:%M:%S", column,
                            sa.cast(days, sa.String) + " days") + ".000000"


def later_of(a, b) -> sa.ColumnElement:
    """The later of two times (GREATEST / MAX)."""
    return sa.func.greatest(a, b) if _pg() else sa.func.max(a, b)


def text(value) -> sa.ColumnElement:
    """``value`` as text (CAST ... AS VARCHAR)."""
    return sa.cast(value, sa.String)


def utc_day(column) -> sa.ColumnElement:
    """'YYYY-MM-DD' of a UTC timestamp."""
    if _pg():
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM-DD")
    return sa.func.substr(column, 1, 10)


def date_part(column, part: str) -> sa.ColumnElement:
    """The year, month or day of a date, as an integer."""
    if _pg():
        return sa.cast(sa.extract(part, column), sa.Integer)
    return sa.cast(sa.func.strftime({"year": "%Y", "month": "%m", "day": "%d"}[part], column),
                   sa.Integer)


def month_day_of(column) -> sa.ColumnElement:
    """'MM-DD' of a date."""
    if _pg():
        return sa.func.to_char(column, "MM-DD")
    return sa.func.strftime("%m-%d", column)


def aggregate_text(expr, separator: str) -> sa.ColumnElement:
    """The values of ``expr`` joined by ``separator`` (string_agg / group_concat)."""
    if _pg():
        return sa.func.string_agg(expr, separator)
    return sa.func.group_concat(expr, separator)


def insert_ignoring_twins(model, names: list[str], select: sa.Select, key: str) -> int:
    """INSERT ... SELECT into ``model``'s table, a row whose ``key`` is taken skipped (ON
    CONFLICT DO NOTHING); returns how many rows went in."""
    dialect = postgresql if _pg() else sqlite
    statement = (dialect.insert(model.__table__).from_select(names, select)
                 .on_conflict_do_nothing(index_elements=[key]).returning(model.id))
    # (counted from RETURNING: drivers do not all report the row count of INSERT ... SELECT)
    return len(db.session.execute(statement).all())


def upsert(model, values: dict, key: str) -> None:
    """INSERT one row into ``model``'s table or, when its ``key`` is taken already, set the
    other values on that row (ON CONFLICT DO UPDATE): no savepoint, no read first. The row
    is then this transaction's until it ends, as if inserted (another transaction that
    deletes it waits for this one)."""
    db.session.execute(_upsert(model.__table__, tuple(values), key, _pg()), values)


@lru_cache(maxsize=32)
def _upsert(table: sa.Table, names: tuple[str, ...], key: str, pg: bool) -> sa.Insert:
    """The statement of ``upsert`` for these columns, built once (a checkout runs one)."""
    statement = (postgresql if pg else sqlite).insert(table)
    return statement.on_conflict_do_update(
        index_elements=[key], set_={name: statement.excluded[name] for name in names
                                    if name != key})


def insert_loaded(objects: list, **computed) -> None:
    """INSERT new objects of one model (every one with the same attributes set) by one Core
    ``INSERT ... RETURNING`` what the database fills in (the key, the defaults), and make
    them objects of the session as if loaded: no unit-of-work flush, which costs a checkout
    more than its statements do. Column defaults apply as in a flush; what the objects
    relate to is the caller's to set as known (``set_committed_value``).

    ``computed``: some columns as SQL expressions (built once by the caller: the statement
    is built once per shape), which may bind the objects' attributes by their column's name,
    their own included; or, for one object, as a function of the new row's key (its
    number made of its id, in the same statement: ``INSERT ... SELECT`` from the next key).
    """
    if not objects:
        return
    mapper = sa.inspect(type(objects[0]))
    columns = _attribute_of_column(mapper)
    given = objects[0].__dict__
    names = tuple(column for column, attribute in columns.items()
                  if attribute in given and column not in computed)
    bound = [column for column, attribute in columns.items() if attribute in given]
    if any(callable(value) for value in computed.values()) and len(objects) != 1:
        raise ValueError("a column made of the new key is written one row at a time")
    statement = _insert_returning(mapper.local_table, names, _pg(), **computed)
    rows = db.session.execute(statement, [
        {name: o.__dict__[columns[name]] for name in bound} for o in objects]).all()
    filled = [columns[column.key] for column in _returned(mapper.local_table, names, computed)]
    # a column neither given nor filled by a default is NULL: known without reading it back
    empty = {columns[column.key]: None for column in mapper.local_table.c
             if column.key not in names and columns[column.key] not in filled}
    for obj, row in zip(objects, rows, strict=True):
        obj.__dict__.update(empty)
        obj.__dict__.update(zip(filled, row, strict=True))
    session = db.session()
    session.add_all(objects)
    # what a flush does once its INSERTs ran: the objects become persistent, their values
    # as written, and new in this transaction (a rollback takes them out of the session)
    session._register_persistent({sa.inspect(obj) for obj in objects})


@lru_cache(maxsize=64)
def _attribute_of_column(mapper) -> dict[str, str]:
    """``{column key: the model's attribute}`` for the model's own table."""
    return {column.key: mapper.get_property_by_column(column).key
            for column in mapper.local_table.c}


@lru_cache(maxsize=32)
def _insert_returning(table: sa.Table, names: tuple[str, ...], pg: bool, **computed) -> sa.Insert:
    """``INSERT INTO table (names) ... RETURNING`` the other columns (their defaults, the
    key), the values bound by name (``computed``: columns given as SQL expressions instead,
    or as functions of the new key), built once per shape and database."""
    values = {**{name: sa.bindparam(name, type_=table.c[name].type) for name in names},
              **{name: value for name, value in computed.items() if not callable(value)}}
    returning = _returned(table, names, computed)
    keyed = {name: value for name, value in computed.items() if callable(value)}
    if not keyed:
        return (sa.insert(table).values(values)
                .returning(*returning, sort_by_parameter_order=True))
    [key] = table.primary_key.columns
    new_key = sa.select(_next_key(table, key, pg).label(key.key)).subquery("new_key")
    values = {key.key: new_key.c[key.key], **values,
              **{name: make(new_key.c[key.key]) for name, make in keyed.items()}}
    return (sa.insert(table)
            .from_select(list(values), sa.select(*values.values()).select_from(new_key))
            .returning(*returning))


def _returned(table: sa.Table, names: tuple[str, ...], computed: dict) -> list[sa.Column]:
    """The columns an INSERT of ``names`` reads back: the key, those given as SQL, and those
    a default fills (on the client or the server); every other one is NULL."""
    return [column for column in table.c if column.key not in names and (
        column.primary_key or column.key in computed or column.default is not None
        or column.server_default is not None or column.computed is not None)]


def _next_key(table: sa.Table, key: sa.Column, pg: bool) -> sa.ColumnElement:
    """The key the next row of ``table`` gets: its sequence's next value on PostgreSQL; on
    SQLite, one past the largest (what SQLite itself gives a new row; the transaction holds
    the database's write lock from its BEGIN IMMEDIATE, so no other row comes in between)."""
    if pg:
        return sa.func.nextval(sa.func.pg_get_serial_sequence(table.name, key.name))
    return (sa.select(sa.func.coalesce(sa.func.max(key), 0) + 1)
            .select_from(table).scalar_subquery())


def zero_padded(number: sa.ColumnElement, width: int) -> sa.ColumnElement:
    """``number`` as text, padded with zeros to at least ``width`` digits ('0042', '12345')."""
    if _pg():
        digits = sa.cast(number, sa.String)
        return sa.func.lpad(digits, sa.func.greatest(width, sa.func.length(digits)), "0")
    return sa.func.printf(f"%0{int(width)}d", number)
