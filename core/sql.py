"""SQL that reads the same on PostgreSQL and SQLite: date arithmetic, parts of dates and
times, text, aggregation, and INSERT ... SELECT that skips rows already there.

SQLite keeps timestamps as 'YYYY-MM-DD HH:MM:SS.ffffff' text, PostgreSQL as timestamps;
each helper builds the expression the session's database understands.
"""

import re
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.pool import Pool

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


def upsert(model, values: dict, key: str, *, later: bool = False) -> None:
    """INSERT one row into ``model``'s table or, when its ``key`` is taken already, set the
    other values on that row (ON CONFLICT DO UPDATE): no savepoint, no read first. The row
    is then this transaction's until it ends, as if inserted (another transaction that
    deletes it waits for this one). ``later``: with the transaction's next statement
    (``run_later``)."""
    (run_later if later else run)(_upsert(model.__table__, tuple(values), key, _pg()), values)


@lru_cache(maxsize=32)
def _upsert(table: sa.Table, names: tuple[str, ...], key: str, pg: bool) -> sa.Insert:
    """The statement of ``upsert`` for these columns, built once (a checkout runs one)."""
    statement = (postgresql if pg else sqlite).insert(table)
    return statement.on_conflict_do_update(
        index_elements=[key], set_={name: statement.excluded[name] for name in names
                                    if name != key})


# --- statements run on the driver --------------------------------------------------------------

#: what watches the session's writes (the page caches, the CRM's bookkeeping): each is told
#: of a statement ``run`` wrote with, as ``(session, table name, columns set or None)``;
#: statements the session runs reach them through its ``do_orm_execute`` event instead
_WRITE_WATCHERS: list = []


def watch_direct_writes(watcher):
    """Register ``watcher(session, table, columns)`` for the writes ``run`` makes."""
    _WRITE_WATCHERS.append(watcher)
    return watcher


def columns_set(statement) -> frozenset[str] | None:
    """The columns an UPDATE sets, by name; None for any other statement (or an UPDATE
    whose values come at execution): what the write watchers are told."""
    values = getattr(statement, "_values", None) if statement.is_update else None
    return frozenset(getattr(c, "key", str(c)) for c in values) if values else None


class Ran:
    """What ``run`` gives back: the rows (processed as the session would), the row count."""

    __slots__ = ("rows", "rowcount")

    def __init__(self, rows: list[tuple], rowcount: int):
        self.rows, self.rowcount = rows, rowcount


class _Ready:
    """A Core statement compiled once for one database: its SQL, its parameters' fixed
    values and conversions, its returned columns' conversions, what it writes."""

    def __init__(self, statement, dialect):
        compiled = statement.compile(dialect=dialect)
        if compiled.post_compile_params or compiled.escaped_bind_names:
            raise ValueError("run: expanding or escaped parameters are the session's to run")
        self.sql = compiled.string
        self.order = tuple(compiled.positiontup) if compiled.positional else None
        binds = {name: bind for bind, name in compiled.bind_names.items()}
        self.fixed = {name: bind.effective_value for name, bind in binds.items()
                      if not bind.required}
        self.required = frozenset(name for name, bind in binds.items() if bind.required)
        self.binding = [(name, convert) for name, bind in binds.items() if (
            convert := bind.type.dialect_impl(dialect).bind_processor(dialect))]
        # a SELECT's columns, or what DML returns (plain SQL text: nothing read)
        returned = getattr(statement, "exported_columns", ())
        # whether rows come back is known from the statement: asking the cursor (its
        # description) costs more than the rows
        self.returns_rows = bool(statement.is_select or returned)
        # what run_later queued can go in its WITH (not in SQL text's)
        self.takes_later = bool(statement.is_select or statement.is_dml)
        # the returned columns' conversions, taken from the first run's cursor (some
        # depend on the type the database reports)
        self.types = [column.type.dialect_impl(dialect) for column in returned]
        self.reading = None
        # the tables it writes, its WITH parts' included, each with the columns an UPDATE sets
        parts = dict.fromkeys(
            element.element for element in sa.sql.visitors.iterate(statement)
            if isinstance(element, sa.sql.selectable.CTE) and element.element.is_dml)
        self.written = tuple((dml.table.name, columns_set(dml)) for dml in (
            [statement] if statement.is_dml else []) + list(parts))

    def parameters(self, given: dict):
        missing = self.required.difference(given)
        if missing:
            raise ValueError(f"run: no value for {', '.join(sorted(missing))}")
        values = {**self.fixed, **given}
        for name, convert in self.binding:
            values[name] = convert(values[name])
        return values if self.order is None else tuple(values[name] for name in self.order)


#: ``(id of the statement, database) -> (the statement, _Ready)``; the statements are built
#: once, so this stays small: past ``_READY_AT_MOST`` it starts again rather than grow
_READY: dict = {}
_READY_AT_MOST = 1024


def _ready(statement, dialect) -> _Ready:
    key = (id(statement), dialect.name)
    found = _READY.get(key)
    if found is None or found[0] is not statement:  # (a statement since gone had that id)
        if len(_READY) >= _READY_AT_MOST:
            _READY.clear()
        found = _READY[key] = (statement, _Ready(statement, dialect))
    return found[1]


def run(statement, parameters: dict | None = None) -> Ran:
    """Run a Core statement built once (module-level, or cached by the caller) in the
    session's transaction, on the driver's own cursor: what the session does with a
    statement costs a checkout more than the database does.

    The same transaction, the same SQL, parameter and value conversions (the column
    types'), the same errors (SQLAlchemy's, a lost connection invalidated), and the engine's
    ``before_cursor_execute`` listeners see it; a write is told to the session's write
    watchers (``watch_direct_writes``). An INSERT names its values (``.values(column=
    bindparam(...))``); statements with expanding parameters (``IN`` of a list) run through
    the session."""
    session = db.session()
    connection = _connection(session)
    ready, values = _prepared(connection, statement, parameters)
    sql = ready.sql
    if not ready.takes_later:
        run_queued(connection)
    elif later := connection.info.pop(_LATER, None):  # they go first, in this statement
        sql, values = _with_later(later, ready, values)
    rows, rowcount = _execute(connection, sql, values, ready)
    _tell_watchers(session, ready)
    return Ran(rows, rowcount)


def run_later(statement, parameters: dict | None = None) -> None:
    """Queue a write nothing reads back (no RETURNING) to go with the transaction's next
    statement: on PostgreSQL it becomes a ``WITH`` part of the next statement ``run`` runs
    (one round trip for both), or runs before any other statement on the connection (the
    session's, a flush), before a SAVEPOINT and before the COMMIT; a rollback drops it.
    Elsewhere (SQLite) it runs at once, as ``run``.

    Its values are checked and converted now (a value its column's type refuses raises
    here), and the write watchers are told now. Its errors (a constraint) come from the
    statement it goes with. For writes of a transaction's own new rows, which nothing in
    the transaction reads before it commits (a checkout's ledger line, its messages)."""
    session = db.session()
    connection = _connection(session)
    if connection.dialect.name != "postgresql":
        run(statement, parameters)
        return
    ready, values = _prepared(connection, statement, parameters)
    if ready.returns_rows or not ready.written:
        raise ValueError("run_later: a write that returns nothing")
    connection.info.setdefault(_LATER, []).append((ready, values))
    _tell_watchers(session, ready)


def _connection(session):
    """``session.connection()``, remembered for the session's transaction (its innermost
    savepoint's: the session makes a savepoint when it first gives out its connection):
    finding it again cost the session more than some of a checkout's statements cost the
    database."""
    held = session.info.get(_CONNECTION)
    if held is not None and not held[1].closed and held[0] is (
            session.get_nested_transaction() or session.get_transaction()):
        return held[1]
    connection = session.connection()
    session.info[_CONNECTION] = (
        session.get_nested_transaction() or session.get_transaction(), connection)
    return connection


#: where ``_connection`` keeps the session's ``(transaction, connection)``
_CONNECTION = "core_sql_connection"


def run_queued(connection) -> None:
    """Run the writes ``run_later`` queued on this connection, if any, in one statement
    (before any other statement, the COMMIT or a SAVEPOINT: see the events below)."""
    later = connection.info.pop(_LATER, None)
    if not later:
        return
    *first, (ready, values) = later
    sql = ready.sql
    if first:
        sql, values = _with_later(first, ready, values)
    _execute(connection, sql, values, ready)


#: the writes run_later queued on a connection, in its open transaction
_LATER = "core_sql_later"
#: ``(the SQL of the statements queued, the SQL of the statement run)`` -> the SQL run
_MERGED: dict = {}
_BIND = re.compile(r"(?<!%)%\((\w+)\)s")


def _prepared(connection, statement, parameters):
    ready = _ready(statement, connection.dialect)
    try:
        return ready, ready.parameters(parameters or {})
    except Exception as err:  # a value the column's type refuses: SQLAlchemy's StatementError
        connection._handle_dbapi_exception(err, ready.sql, parameters, None, None)


def _with_later(later: list, ready: _Ready, values: dict) -> tuple[str, dict]:
    """The SQL and values of ``ready`` with the queued writes as its first WITH parts
    (PostgreSQL runs every data-modifying part once, whether or not it is referred to);
    each part's parameters renamed ``w<i>_<name>``."""
    key = (tuple(queued.sql for queued, _ in later), ready.sql)
    sql = _MERGED.get(key)
    if sql is None:
        parts = [f"w{i} AS ({_BIND.sub(lambda m, i=i: f'%(w{i}_{m[1]})s', queued.sql)})"
                 for i, (queued, _) in enumerate(later)]
        main = ready.sql.lstrip()
        head = re.match(r"WITH(\s+RECURSIVE)?\s+", main, re.IGNORECASE)
        if head:
            sql = f"{head[0]}{', '.join(parts)}, {main[head.end():]}"
        else:
            sql = f"WITH {', '.join(parts)} {main}"
        if len(_MERGED) >= _READY_AT_MOST:
            _MERGED.clear()
        _MERGED[key] = sql
    values = dict(values)
    for i, (_, queued_values) in enumerate(later):
        values.update({f"w{i}_{name}": value for name, value in queued_values.items()})
    return sql, values


def _execute(connection, sql: str, values, ready: _Ready) -> tuple[list, int]:
    dialect = connection.dialect
    cursor, kept = _cursor(connection)
    try:
        if connection.dispatch.before_cursor_execute:
            connection.dispatch.before_cursor_execute(
                connection, cursor, sql, values, None, False)
        try:
            cursor.execute(sql, values)
            rows = cursor.fetchall() if ready.returns_rows else []
            if ready.reading is None and ready.returns_rows:
                ready.reading = [(i, convert) for i, (kind, described) in enumerate(
                    zip(ready.types, cursor.description, strict=True))
                    if (convert := kind.result_processor(dialect, described[1]))]
        except dialect.loaded_dbapi.Error as err:
            connection._handle_dbapi_exception(err, sql, values, cursor, None)
        rowcount = cursor.rowcount
    finally:
        if not kept:
            cursor.close()
    if ready.reading and rows:
        rows = [_read(row, ready.reading) for row in rows]
    return rows, rowcount


def _cursor(connection) -> tuple:
    """A cursor of the driver and whether it is kept: on PostgreSQL ``run`` keeps one with
    each pooled connection, made once (a new one for each statement cost a checkout more
    than some of its statements; ``run`` fetches every row, so it holds nothing between
    statements that matters); elsewhere a new one, closed after its statement."""
    pooled = connection.connection
    driver = pooled.dbapi_connection
    if getattr(driver, "pgconn", None) is None:
        return driver.cursor(), False
    cursor = pooled.info.get(_CURSOR)
    if cursor is None or cursor.closed or cursor.connection is not driver:
        cursor = pooled.info[_CURSOR] = driver.cursor()
    return cursor, True


#: where ``_cursor`` keeps a pooled connection's cursor (the pool's record of it)
_CURSOR = "core_sql_cursor"


def _tell_watchers(session, ready: _Ready) -> None:
    for table, columns in ready.written:
        for watcher in _WRITE_WATCHERS:
            watcher(session, table, columns)


# the queued writes go before any other statement on their connection (the session's, a
# flush, SQL text), before its COMMIT and before a SAVEPOINT is made or released; a
# rollback drops them
@event.listens_for(Engine, "before_execute")
def _before_statement(connection, *_args):
    run_queued(connection)


@event.listens_for(Engine, "commit")
def _before_commit(connection):
    run_queued(connection)


@event.listens_for(Engine, "savepoint")
def _before_savepoint(connection, _name):
    run_queued(connection)


@event.listens_for(Engine, "release_savepoint")
def _before_release(connection, _name, _context):
    run_queued(connection)  # a session joined to an outer transaction commits so


@event.listens_for(Engine, "rollback")
def _rolled_back(connection):
    connection.info.pop(_LATER, None)


@event.listens_for(Engine, "rollback_savepoint")
def _rolled_back_to_savepoint(connection, _name, _context):
    connection.info.pop(_LATER, None)  # those before it ran when it was made


@event.listens_for(Pool, "reset")
def _given_back(_dbapi_connection, record, _reset_state):
    record.info.pop(_LATER, None)


def columns_of(*models) -> list[sa.Column]:
    """Every column of each model's table, in turn: what ``load`` reads objects from."""
    return [column for model in models for column in sa.inspect(model).local_table.c]


def load(statement, parameters: dict | None, *models) -> list[tuple]:
    """Objects of the session from a statement selecting ``columns_of(*models)``, run on the
    driver (``run``): one tuple of objects a row (None for a model whose columns are all
    NULL: an outer join that found nothing). Objects the session already holds are those
    (as the session's own queries give them, what a commit expired read from the row);
    others become the session's as if loaded, persistent and unchanged, what they relate
    to loaded when first used. Pending changes are flushed first, as before the session's
    own queries."""
    session = db.session()
    if session.autoflush:
        session.flush()
    shapes = [_shape(model) for model in models]
    made = []
    for row in run(statement, parameters).rows:
        objects, at = [], 0
        for mapper, attributes, key_at in shapes:
            values = row[at:at + len(attributes)]
            at += len(attributes)
            objects.append(None if values[key_at] is None
                           else _as_loaded(session, mapper, attributes, values, key_at))
        made.append(tuple(objects))
    return made


def get(model, key):
    """``session.get(model, key)`` for a read that every request of a page makes: the
    session's own object when it holds it loaded, else one statement built once per model,
    run on the driver (``load``); None when there is no such row."""
    session = db.session()
    mapper = _shape(model)[0]
    found = session.identity_map.get(mapper.identity_key_from_primary_key([key]))
    if found is not None and not sa.inspect(found).expired_attributes:
        return found
    rows = load(_by_key(model), {"key": key}, model)
    return rows[0][0] if rows else None


@lru_cache(maxsize=64)
def _by_key(model) -> sa.Select:
    [key] = model.__table__.primary_key.columns
    return sa.select(*columns_of(model)).where(key == sa.bindparam("key"))


@lru_cache(maxsize=64)
def _shape(model) -> tuple:
    # a worker's first read may come before any query of the session made the mappers ready
    sa.orm.configure_mappers()
    mapper = sa.inspect(model)
    attributes = tuple(_attribute_of_column(mapper).values())
    [key] = mapper.local_table.primary_key.columns
    return mapper, attributes, list(mapper.local_table.c).index(key)


def _as_loaded(session, mapper, attributes: tuple, values, key_at: int):
    found = session.identity_map.get(mapper.identity_key_from_primary_key([values[key_at]]))
    if found is not None:
        # what a commit expired is taken from the row, as the session's queries do (a
        # value changed and not written yet stays)
        unloaded = sa.inspect(found).unloaded
        for attribute, value in zip(attributes, values, strict=True):
            if attribute in unloaded:
                set_committed_value(found, attribute, value)
        return found
    obj = mapper.class_manager.new_instance()
    obj.__dict__.update(zip(attributes, values, strict=True))
    make_transient_to_detached(obj)  # its values as loaded, what it relates to unloaded
    # ``add`` without its cascade (as ``_new_in_transaction``): a new object relates to
    # nothing loaded, and the cascade's walk of its relationships cost more than the rest
    session._update_impl(sa.orm.attributes.instance_state(obj))
    return obj


def _read(row, reading) -> tuple:
    row = list(row)
    for i, convert in reading:
        row[i] = convert(row[i])
    return tuple(row)


def fresh(model, **values):
    """A new object of ``model`` holding ``values`` (its columns' attributes), made without
    the ORM's change tracking, which each attribute set costs a checkout's objects more than
    their INSERT does: for objects ``insert_loaded``, ``insert_family`` or ``insert_later``
    writes (they read the values as given, the columns' defaults included), never for the
    session's ``add``. A name that is no column's attribute raises ``TypeError``, as the
    model's constructor would."""
    unknown = values.keys() - _column_attributes(model)
    if unknown:
        raise TypeError(f"{model.__name__} has no column {', '.join(sorted(unknown))}")
    obj = _shape(model)[0].class_manager.new_instance()
    obj.__dict__.update(values)
    return obj


@lru_cache(maxsize=64)
def _column_attributes(model) -> frozenset:
    return frozenset(_shape(model)[1])


def insert_loaded(objects: list, **computed) -> None:
    """INSERT new objects of one model (every one with the same attributes set) by one
    ``INSERT ... RETURNING`` what the database fills in (the key, the server's defaults), run
    on the driver (``run``), and make them objects of the session as if loaded: no
    unit-of-work flush, which costs a checkout more than its statements do. The columns'
    own defaults apply as in a flush (set on the objects first); what the objects relate to
    is the caller's to set as known (``set_committed_value``), after: the session takes the
    objects without its cascade, so an object only set on a relationship is not written.

    ``computed``: some columns as SQL expressions (built once by the caller: the statement
    is built once per shape), which may bind the objects' attributes by their column's name,
    their own included; or, for one object, as a function of the new row's key (its
    number made of its id, in the same statement: ``INSERT ... SELECT`` from the next key).
    """
    if not objects:
        return
    table, columns, names, values = _insert_values(objects, computed)
    if any(callable(value) for value in computed.values()) and len(objects) != 1:
        raise ValueError("a column made of the new key is written one row at a time")
    statement = _insert_returning(table, names, len(objects), _pg(), True, **computed)
    rows = run(statement, values).rows
    if len(rows) > 1:  # the keys come in the order of the rows given
        rows.sort(key=lambda row: row[0])
    _as_inserted(objects, rows, table, columns, names, computed)


def insert_family(parent, children: list, key: str, *, second: tuple | None = None,
                  **computed) -> None:
    """INSERT a new object and its new children (objects of one other model, every one with
    the same attributes set, whose column ``key`` refers to the parent's key, set by the
    INSERT), as ``insert_loaded`` does for each (``computed``: the parent's), by one
    statement on PostgreSQL: the parent's INSERT in a WITH, the children's taking its key,
    both returning their rows. Elsewhere, two INSERTs.

    ``second``: ``(other, its_children, link, its_key)``, a second new family written by
    the same statement: ``other`` takes the parent's key in its column ``link``, and its
    children refer to it by ``its_key`` (an order's fulfillment and its lines, with the
    order). Its children must be as many as the parent's (each row returned pairs a child
    of each); else, and elsewhere than PostgreSQL, it is written by its own statement."""
    if second is not None and (not _pg() or not children or len(second[1]) != len(children)):
        insert_family(parent, children, key, **computed)
        other, its_children, link, its_key = second
        _take_key([other], link, parent)
        insert_family(other, its_children, its_key)
        return
    if not children or not _pg():
        insert_loaded([parent], **computed)
        _take_key(children, key, parent)
        insert_loaded(children)
        return
    table, columns, names, values = _insert_values([parent], computed)
    c_table, c_columns, c_names, c_values = _insert_values(children, {}, numbered=True,
                                                           leaving=key)
    if second is None:
        statement = _family(table, names, c_table, c_names, key, len(children), **computed)
        rows = run(statement, {**values, **c_values}).rows
        at = len(_returned(table, names, computed))
        rows.sort(key=lambda row: row[at])  # the children's keys come in the order given
        _as_inserted([parent], rows[:1], table, columns, names, computed, upto=at)
        _inserted_children(parent, children, rows, at, c_table, c_columns, c_names, key)
        return
    other, its_children, link, its_key = second
    s_table, s_columns, s_names, s_values = _insert_values([other], {}, leaving=link,
                                                           prefix="s_")
    g_table, g_columns, g_names, g_values = _insert_values(its_children, {}, numbered=True,
                                                           leaving=its_key, prefix="g_")
    statement = _family(table, names, c_table, c_names, key, len(children),
                        (s_table, s_names, link, g_table, g_names, its_key), **computed)
    rows = run(statement, {**values, **c_values, **s_values, **g_values}).rows
    at = len(_returned(table, names, computed))
    s_at = at + len(_returned(s_table, s_names + (link,), {}))
    c_at = s_at + len(_returned(c_table, c_names + (key,), {}))
    rows.sort(key=lambda row: row[s_at])  # paired in the order given (see ``_family``)
    _as_inserted([parent], rows[:1], table, columns, names, computed, upto=at)
    _take_key([other], link, parent)
    _as_inserted([other], [row[at:s_at] for row in rows[:1]], s_table, s_columns,
                 s_names + (link,), {})
    _inserted_children(parent, children, [row[:c_at] for row in rows], s_at, c_table,
                       c_columns, c_names, key)
    _inserted_children(other, its_children, rows, c_at, g_table, g_columns, g_names, its_key)


def _inserted_children(parent, children: list, rows: list, at: int, table: sa.Table,
                       columns: dict, names: tuple, key: str) -> None:
    """Children a family's statement INSERTed, from ``at`` in each row, as the session's."""
    _take_key(children, key, parent)
    _as_inserted(children, [row[at:] for row in rows], table, columns, names + (key,), {})


def _take_key(objects: list, column: str, parent) -> None:
    """Set the written ``parent``'s key as each new object's ``column`` (its attribute)."""
    if objects:
        attribute = _attribute_of_column(sa.inspect(type(objects[0])))[column]
        [key] = sa.inspect(parent).identity
        for obj in objects:
            obj.__dict__[attribute] = key


@lru_cache(maxsize=64)
def _family(table: sa.Table, names: tuple, c_table: sa.Table, c_names: tuple, key: str,
            rows: int, second: tuple | None = None, **computed) -> sa.Select:
    """``WITH parent AS (INSERT ... RETURNING), children AS (INSERT ... SELECT parent's key,
    each row's values ... RETURNING) SELECT`` both (a row a child), built once per shape.
    With ``second`` (``(table, names, link, its children's table, their names, their
    key)``), a second parent taking the first's key in ``link`` and its children too (their
    values named ``s_...`` and ``g_..._i``), each row a child of each, paired in the order
    of their keys (the order given)."""
    parent = _insert_returning(table, names, 1, True, True, **computed).cte("parent")
    [parent_key] = table.primary_key.columns
    children = _children(parent, parent_key.key, c_table, c_names, key, rows, "").cte(
        "children")
    if second is None:
        return sa.select(*parent.c, *children.c).select_from(parent.join(children, sa.true()))
    s_table, s_names, link, g_table, g_names, its_key = second
    other = (sa.insert(s_table)
             .from_select([link, *s_names], sa.select(
                 parent.c[parent_key.key].label(link),
                 *_row_values(s_table, s_names, {}, None, "s_").values()))
             .returning(*_returned(s_table, s_names + (link,), {})).cte("second"))
    [other_key] = s_table.primary_key.columns
    grandchildren = _children(other, other_key.key, g_table, g_names, its_key, rows,
                              "g_").cte("grandchildren")
    [c_key] = c_table.primary_key.columns
    [g_key] = g_table.primary_key.columns
    mine = sa.select(children, sa.func.row_number().over(order_by=children.c[c_key.key])
                     .label("pair")).subquery("mine")
    theirs = sa.select(grandchildren, sa.func.row_number().over(
        order_by=grandchildren.c[g_key.key]).label("pair")).subquery("theirs")
    return (sa.select(*parent.c, *other.c, *[c for c in mine.c if c.key != "pair"],
                      *[c for c in theirs.c if c.key != "pair"])
            .select_from(parent.join(other, sa.true()).join(mine, sa.true())
                         .join(theirs, theirs.c.pair == mine.c.pair)))


def _children(parent, parent_key: str, table: sa.Table, names: tuple, key: str, rows: int,
              prefix: str) -> sa.Insert:
    """``INSERT INTO table (key, names) SELECT parent's key, each row's values ...
    RETURNING``: a family's children, their values named ``{prefix}{name}_{i}``."""
    each = [sa.select(parent.c[parent_key].label(key),
                      *_row_values(table, names, {}, i, prefix).values())
            for i in range(rows)]
    return (sa.insert(table)
            .from_select([key, *names], each[0] if rows == 1 else sa.union_all(*each))
            .returning(*_returned(table, names + (key,), {})))


def _as_inserted(objects: list, rows: list, table: sa.Table, columns: dict, names: tuple,
                 computed: dict, upto: int | None = None) -> None:
    """The objects INSERTed, as the session's: what the database filled taken from the rows
    returned (``upto`` columns of each), every other column not given known as NULL."""
    filled, empty = _filled_and_empty(table, columns, names, frozenset(computed))
    for obj, row in zip(objects, rows, strict=True):
        obj.__dict__.update(empty)
        obj.__dict__.update(zip(filled, row[:upto], strict=True))
    _new_in_transaction(objects)


#: ``(table, names, computed) -> (attributes filled, {attribute: None} of the others)``
_FILLED: dict = {}


def _filled_and_empty(table: sa.Table, columns: dict, names: tuple, computed: frozenset):
    """The attributes an INSERT of ``names`` reads back, in order, and the others, known as
    NULL without reading them back (a column neither given nor filled by a default), once
    per shape (``columns``: the table's model's attributes, the same for every call)."""
    key = (table, names, computed)
    found = _FILLED.get(key)
    if found is None:
        filled = [columns[column.key] for column in _returned_of(table, names, computed)]
        empty = {columns[column.key]: None for column in table.c
                 if column.key not in names and columns[column.key] not in filled}
        if len(_FILLED) >= _READY_AT_MOST:  # the shapes are few; never more than this
            _FILLED.clear()
        found = _FILLED[key] = (filled, empty)
    return found


def _new_in_transaction(objects: list) -> None:
    """What a flush does once its INSERTs ran: the objects become persistent, their values
    as written, and new in this transaction (a rollback takes them out of the session)."""
    if objects:
        session = db.session()
        states = [sa.orm.attributes.instance_state(obj) for obj in objects]
        for state in states:  # ``add`` without its cascade: what they relate to is known
            session._save_impl(state)
        session._register_persistent(set(states))


def inserted(statement, parameters: dict | None, model) -> list:
    """Objects of the session from a statement (built once) that INSERTs rows of
    ``model``'s table returning every column of it (``columns_of(model)``), run on the
    driver (``run``): persistent and new in this transaction, as ``insert_loaded`` makes
    them (a rollback takes them out of the session). For an INSERT whose rows come from
    the statement itself (``INSERT ... SELECT`` from a ``WITH`` part that wrote)."""
    mapper, attributes, _ = _shape(model)
    made = []
    for row in run(statement, parameters).rows:
        obj = mapper.class_manager.new_instance()
        obj.__dict__.update(zip(attributes, row, strict=True))
        made.append(obj)
    _new_in_transaction(made)
    return made


def insert_later(objects: list, **computed) -> None:
    """INSERT new objects of one model as ``insert_loaded`` does (``computed`` SQL
    expressions only), but by ``run_later``: with the transaction's next statement, nothing
    read back. The objects stay out of the session, without their keys: for rows the
    transaction writes and does not read again (a new order's messages)."""
    if not objects:
        return
    if any(callable(value) for value in computed.values()):
        raise ValueError("insert_later: a column made of the new key needs insert_loaded")
    table, _, names, values = _insert_values(objects, computed)
    run_later(_insert_returning(table, names, len(objects), _pg(), False, **computed), values)


def _insert_values(objects: list, computed: dict, *, numbered: bool = False,
                   leaving: str | None = None, prefix: str = "") -> tuple:
    """The table, its columns' attributes, the columns given and the values bound of an
    INSERT of ``objects`` (their columns' Python defaults set on them first, as a flush
    does); ``numbered``: named ``name_i`` even for one object; ``leaving``: a column left
    to the statement; ``prefix`` before each value's name."""
    mapper = sa.inspect(type(objects[0]))
    table = mapper.local_table
    columns = _attribute_of_column(mapper)
    for column, default in _client_defaults(table):
        if column not in computed:
            attribute = columns[column]
            for obj in objects:
                if attribute not in obj.__dict__:
                    obj.__dict__[attribute] = default()
    given = objects[0].__dict__
    names = tuple(column for column, attribute in columns.items()
                  if attribute in given and column not in computed and column != leaving)
    bound = tuple(column for column, attribute in columns.items()
                  if attribute in given and column != leaving)
    if len(objects) == 1 and not numbered:
        values = {f"{prefix}{name}": given[columns[name]] for name in bound}
    else:
        values = {f"{prefix}{name}_{i}": o.__dict__[columns[name]]
                  for i, o in enumerate(objects) for name in bound}
    return table, columns, names, values


@lru_cache(maxsize=64)
def _attribute_of_column(mapper) -> dict[str, str]:
    """``{column key: the model's attribute}`` for the model's own table."""
    return {column.key: mapper.get_property_by_column(column).key
            for column in mapper.local_table.c}


@lru_cache(maxsize=64)
def _client_defaults(table: sa.Table) -> tuple:
    """``(column key, a function giving its value)`` of the columns whose default Python
    makes (a value, or a function such as ``utcnow``): set on a new object as a flush would."""
    made = []
    for column in table.c:
        default = column.default
        if default is None or default.is_sequence or default.is_clause_element:
            continue
        made.append((column.key, (lambda value=default.arg: value) if default.is_scalar
                     else (lambda make=default.arg: make(None))))
    return tuple(made)


@lru_cache(maxsize=64)
def _insert_returning(table: sa.Table, names: tuple[str, ...], rows: int, pg: bool,
                      returns: bool, **computed) -> sa.Insert:
    """``INSERT INTO table (names) ... RETURNING`` the key first, then the other columns
    the database fills (nothing returned without ``returns``), the values bound by name
    (``name``, or ``name_i`` for the row ``i`` of several; ``computed``: columns given as
    SQL expressions instead, each row's own, or as functions of the new key), built once
    per shape and database."""
    returning = _returned(table, names, computed)
    keyed = {name: value for name, value in computed.items() if callable(value)}
    if not keyed:
        each = [_row_values(table, names, computed, None if rows == 1 else i)
                for i in range(rows)]
        insert = sa.insert(table).values(each[0] if rows == 1 else each)
        return insert.returning(*returning) if returns else insert
    values = _row_values(table, names, computed, None)
    [key] = table.primary_key.columns
    new_key = sa.select(_next_key(table, key, pg).label(key.key)).subquery("new_key")
    values = {key.key: new_key.c[key.key], **values,
              **{name: make(new_key.c[key.key]) for name, make in keyed.items()}}
    return (sa.insert(table)
            .from_select(list(values), sa.select(*values.values()).select_from(new_key))
            .returning(*returning))


def _row_values(table: sa.Table, names: tuple[str, ...], computed: dict, row: int | None,
                prefix: str = ""):
    """One row's values: its parameters (suffixed ``_row`` when there are several rows,
    after ``prefix``) and its SQL expressions, their parameters suffixed alike."""
    def named(name):
        return f"{prefix}{name}" if row is None else f"{prefix}{name}_{row}"

    def own(element):
        if isinstance(element, sa.BindParameter) and row is not None:
            return sa.bindparam(named(element.key), type_=element.type)
        return None

    values = {name: sa.bindparam(named(name), type_=table.c[name].type) for name in names}
    values.update({name: sa.sql.visitors.replacement_traverse(value, {}, own)
                   for name, value in computed.items() if not callable(value)})
    return values


def _returned(table: sa.Table, names: tuple[str, ...], computed) -> tuple[sa.Column, ...]:
    """The columns an INSERT of ``names`` reads back, the key first: those given as SQL
    (``computed``: their names), and those a default fills (on the server, or on the client
    for a column not given); every other one is NULL."""
    return _returned_of(table, names, frozenset(computed))


@lru_cache(maxsize=256)
def _returned_of(table: sa.Table, names: tuple[str, ...], computed: frozenset) -> tuple:
    return tuple(sorted((column for column in table.c if column.key not in names and (
        column.primary_key or column.key in computed or column.default is not None
        or column.server_default is not None or column.computed is not None)),
        key=lambda column: not column.primary_key))


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
