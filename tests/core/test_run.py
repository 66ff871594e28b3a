"""``core.sql.run``: a statement built once, run on the driver's cursor in the session's
transaction, behaves as the session running it would, on both databases: the values
converted by the column types, SQLAlchemy's errors, the statement listeners, the page
caches told of a write, a rollback undoing it; and ``load``, the session's objects from such
rows."""

import time
import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from core.cache import version, watch_tables
from core.models import ApiToken, User
from core.sql import columns_of, get, load, run, run_later

_STAMP = sa.update(ApiToken.__table__).where(
    ApiToken.__table__.c.id == sa.bindparam("token")).values(expires_at=sa.bindparam("at"))
_TOKEN = sa.select(ApiToken.__table__.c.id, ApiToken.__table__.c.expires_at).where(
    ApiToken.__table__.c.id == sa.bindparam("token"))
_BIRTHDAY = sa.select(sa.bindparam("day", type_=sa.Date()))
_USER = sa.insert(User.__table__).values(
    email=sa.bindparam("email"), name=sa.bindparam("name"), role=sa.bindparam("role"),
    password_hash=sa.bindparam("hash"), active=True,
    created_at=sa.bindparam("at")).returning(User.__table__.c.id)

watch_tables("test-run-tokens", "api_tokens")


def _token(session, user) -> ApiToken:
    return ApiToken.issue(user, days=1)[0]


def test_values_go_in_and_come_back_as_the_column_types_say(session, make_user):
    token = _token(session, make_user())
    beijing = datetime(2026, 12, 6, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    done = run(_STAMP, {"token": token.id, "at": beijing})
    assert done.rowcount == 1 and done.rows == []
    [(token_id, used)] = run(_TOKEN, {"token": token.id}).rows
    # aware, in UTC, on SQLite too (which keeps text): the same instant
    assert token_id == token.id and used == beijing and used.tzinfo == UTC
    assert run(_BIRTHDAY, {"day": date(2026, 2, 29 - 1)}).rows == [(date(2026, 2, 28),)]
    session.expire(token)
    assert token.expires_at == beijing  # the session reads what it wrote: one transaction


def test_a_naive_time_is_refused_as_the_session_would(session, make_user):
    token = _token(session, make_user())
    with pytest.raises(sa.exc.StatementError):
        run(_STAMP, {"token": token.id, "at": datetime(2026, 12, 6, 9, 30)})


def test_a_missing_value_is_named_before_anything_is_sent(session):
    with pytest.raises(sa.exc.StatementError, match="no value for token"):
        run(_TOKEN, {})


def test_a_database_error_is_sqlalchemy_s_and_a_rollback_undoes_the_rest(session, make_user):
    taken = make_user()
    session.commit()
    values = {"email": taken.email, "name": "twin", "role": "customer", "hash": "x",
              "at": datetime.now(UTC)}
    savepoint = session.begin_nested()
    [(made,)] = run(_USER, dict(values, email="new.one@example.com")).rows
    with pytest.raises(sa.exc.IntegrityError):
        run(_USER, values)  # the e-mail is taken
    savepoint.rollback()
    assert session.get(User, made) is None
    assert session.execute(sa.select(sa.func.count()).select_from(User).where(
        User.email == taken.email)).scalar_one() == 1


def test_the_statement_listeners_see_it(session):
    seen = []

    def record(_connection, _cursor, statement, parameters, _context, _many):
        if "api_tokens" in statement:
            seen.append((" ".join(statement.split())[:26], parameters))

    engine = session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        run(_TOKEN, {"token": 0})
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    [(statement, parameters)] = seen
    assert statement == "SELECT api_tokens.id, api_"
    assert 0 in (parameters.values() if isinstance(parameters, dict) else parameters)


def test_a_write_moves_the_watching_caches_on_after_the_commit_only(session, make_user):
    token = _token(session, make_user())
    session.commit()
    before = version("test-run-tokens")
    run(_STAMP, {"token": token.id, "at": datetime.now(UTC)})
    session.rollback()
    assert version("test-run-tokens") == before
    run(_STAMP, {"token": token.id, "at": datetime.now(UTC)})
    session.commit()
    assert version("test-run-tokens") != before
    moved = version("test-run-tokens")
    run(_TOKEN, {"token": token.id})  # a read moves nothing
    session.commit()
    assert version("test-run-tokens") == moved


# --- load: objects of the session from rows read on the driver ----------------------------------

_USER_AND_TOKEN = (
    sa.select(*columns_of(User, ApiToken))
    .outerjoin(ApiToken.__table__, ApiToken.__table__.c.user_id == User.__table__.c.id)
    .where(User.__table__.c.id == sa.bindparam("user")))


def test_loaded_objects_are_the_session_s_as_its_own_queries_give_them(session, make_user):
    user = make_user()
    session.commit()
    user_id, email, name = user.id, user.email, user.name
    session.expunge_all()
    [(loaded, token)] = load(_USER_AND_TOKEN, {"user": user_id}, User, ApiToken)
    assert token is None  # the outer join found no token: no object for it
    state = sa.inspect(loaded)
    assert state.persistent and not session.dirty and not session.new
    assert (loaded.id, loaded.email, loaded.name) == (user_id, email, name)
    assert session.get(User, user_id) is loaded  # in the identity map, no query
    [(again, _)] = load(_USER_AND_TOKEN, {"user": user_id}, User, ApiToken)
    assert again is loaded
    assert loaded.created_at.tzinfo == UTC  # the column types' conversions
    loaded.name = "改了名"  # a change is an UPDATE at the next flush
    assert loaded in session.dirty
    session.commit()
    assert session.execute(sa.select(User.name).where(User.id == user_id)).scalar_one() == "改了名"


def test_what_a_loaded_object_relates_to_loads_when_used(session, make_user):
    user = make_user()
    token = _token(session, user)
    session.commit()
    user_id, token_id = user.id, token.id
    session.expunge_all()
    [(loaded_user, loaded_token)] = load(_USER_AND_TOKEN, {"user": user_id}, User, ApiToken)
    assert loaded_token.id == token_id
    assert loaded_token.user is loaded_user  # a lazy load, answered by the identity map


def test_pending_changes_are_flushed_before_the_read_and_kept(session, make_user):
    user = make_user()
    session.commit()
    user.name = "未写入"  # pending: the read flushes it first, as the session's queries do
    [(loaded, _)] = load(_USER_AND_TOKEN, {"user": user.id}, User, ApiToken)
    assert loaded is user and loaded.name == "未写入" and not session.dirty
    assert session.execute(sa.select(User.name).where(User.id == user.id)).scalar_one() == "未写入"


def test_a_rollback_expires_loaded_objects_instead_of_dropping_them(session, make_user):
    user = make_user()
    session.commit()
    user_id, name = user.id, user.name
    session.expunge_all()
    [(loaded, _)] = load(_USER_AND_TOKEN, {"user": user_id}, User, ApiToken)
    loaded.name = "撤销"
    session.rollback()
    assert loaded in session and loaded.name == name


def test_a_model_no_query_has_touched_yet_loads(session):
    """A worker's first request may load before any query of the session's ran: the model's
    mapper is made ready first (else its attributes are not there yet)."""
    registry = sa.orm.registry()
    table = sa.Table("run_test_things", registry.metadata,
                     sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String))

    class Thing:
        pass

    registry.map_imperatively(Thing, table)
    assert not sa.inspect(Thing).configured
    table.create(session.connection())
    session.execute(table.insert().values(id=7, name="海参"))
    [(thing,)] = load(sa.select(*columns_of(Thing)).where(table.c.id == 7), {}, Thing)
    assert (thing.id, thing.name) == (7, "海参") and sa.inspect(thing).persistent


def test_an_object_a_commit_expired_is_read_from_the_row(session, make_user):
    user = make_user()
    user_id = user.id
    session.commit()  # expires it: the session's own query would fill it from its row
    seen = []

    def record(_connection, _cursor, statement, *_args):
        seen.append(statement)

    engine = session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        [(loaded, _)] = load(_USER_AND_TOKEN, {"user": user_id}, User, ApiToken)
        assert loaded is user and user.email and user.name
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert len([s for s in seen if "users" in s]) == 1  # no refresh of its own


# --- run_later: a write that goes with the transaction's next statement ------------------------

_USER_LATER = sa.insert(User.__table__).values(
    email=sa.bindparam("email"), name=sa.bindparam("name"), role=sa.bindparam("role"),
    password_hash=sa.bindparam("hash"), active=True, created_at=sa.bindparam("at"))


def _someone(email: str) -> dict:
    return {"email": email, "name": "later", "role": "customer", "hash": "x",
            "at": datetime.now(UTC)}


def _users(session, *emails) -> int:
    return session.execute(sa.select(sa.func.count()).select_from(User).where(
        User.email.in_(emails))).scalar_one()


def _statements(session):
    seen = []

    def record(_connection, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()))

    engine = session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", record)
    return seen, lambda: sa.event.remove(engine, "before_cursor_execute", record)


def test_a_later_write_rides_with_the_next_statement_on_postgresql(session, make_user):
    token = _token(session, make_user())
    seen, stop = _statements(session)
    try:
        run_later(_USER_LATER, _someone("first.later@example.com"))
        run_later(_USER_LATER, _someone("second.later@example.com"))
        [(token_id, _)] = run(_TOKEN, {"token": token.id}).rows
    finally:
        stop()
    assert token_id == token.id  # the statement's own rows, unchanged
    if session.get_bind().dialect.name == "postgresql":
        [statement] = seen  # one round trip for the three
        assert statement.startswith("WITH w0 AS (INSERT INTO users")
        assert "w1 AS (INSERT INTO users" in statement
    else:  # SQLite: each at once
        assert [s.split()[0] for s in seen] == ["INSERT", "INSERT", "SELECT"]
    assert _users(session, "first.later@example.com", "second.later@example.com") == 2


def test_a_later_write_goes_before_the_session_s_next_statement_and_the_commit(
        session, make_user):
    run_later(_USER_LATER, _someone("seen.later@example.com"))
    assert _users(session, "seen.later@example.com") == 1  # the session's query sees it
    run_later(_USER_LATER, _someone("kept.later@example.com"))
    session.commit()  # nothing ran after it but the commit
    session.close()
    assert _users(session, "kept.later@example.com") == 1


def test_a_rollback_drops_a_later_write(session, make_user):
    run_later(_USER_LATER, _someone("dropped.later@example.com"))
    session.rollback()
    seen, stop = _statements(session)
    try:
        assert _users(session, "dropped.later@example.com") == 0
    finally:
        stop()
    assert not any("INSERT" in statement for statement in seen)


def test_a_savepoint_keeps_what_was_queued_before_it_and_drops_what_came_after(session):
    run_later(_USER_LATER, _someone("before.savepoint@example.com"))
    savepoint = session.begin_nested()
    run_later(_USER_LATER, _someone("inside.savepoint@example.com"))
    savepoint.rollback()
    session.commit()
    assert _users(session, "before.savepoint@example.com") == 1
    assert _users(session, "inside.savepoint@example.com") == 0


def test_a_later_write_s_error_comes_with_the_statement_it_rides(session, make_user):
    taken = make_user()
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        run_later(_USER_LATER, _someone(taken.email))  # the e-mail is taken
        with pytest.raises(sa.exc.IntegrityError):
            run(_TOKEN, {"token": 0})
    else:  # SQLite: at once
        with pytest.raises(sa.exc.IntegrityError):
            run_later(_USER_LATER, _someone(taken.email))
    session.rollback()
    assert _users(session, taken.email) == 1


def test_a_later_write_s_error_at_the_commit_commits_nothing(app):
    """With the database's own COMMIT (not the savepoints the other tests commit to): the
    writes queued go before it, and one refused fails the commit, which then writes nothing
    (SQLite refuses it at once, when it is written)."""
    from core.extensions import db

    twin, before = (f"{name}-{uuid.uuid4().hex[:8]}@example.com" for name in ("twin", "before"))
    with app.app_context():
        try:
            run(_USER_LATER, _someone(twin))
            db.session.commit()
            with pytest.raises(sa.exc.IntegrityError):
                run_later(_USER_LATER, _someone(before))
                run_later(_USER_LATER, _someone(twin))  # the e-mail is taken
                db.session.commit()
            db.session.rollback()
            assert _users(db.session, before) == 0 and _users(db.session, twin) == 1
        finally:
            db.session.rollback()
            db.session.execute(sa.delete(User).where(User.email.in_([twin, before])))
            db.session.commit()
            db.session.remove()


def test_a_later_write_refuses_a_value_at_once_and_a_statement_that_reads(session):
    with pytest.raises(sa.exc.StatementError):
        run_later(_USER_LATER, dict(_someone("naive.later@example.com"),
                                    at=datetime(2026, 12, 6, 9, 30)))
    if session.get_bind().dialect.name == "postgresql":
        with pytest.raises(ValueError, match="returns nothing"):
            run_later(_TOKEN, {"token": 0})


def test_new_messages_go_in_with_the_next_statement_each_to_its_customer(session, make_user):
    """``insert_later`` through the outbox: a customer's message and a stranger's, their
    customer found by the INSERT itself."""
    from crm.customers.services import ensure_customer
    from crm.outreach.models import OutboxMessage
    from crm.outreach.outbox import enqueue_fresh

    known, stranger = make_user(), make_user()
    customer = ensure_customer(known)
    session.flush()
    enqueue_fresh([dict(channel="email", kind="order_confirmed", subject="s", body="b",
                        user_id=user.id, to=user.email, dedupe_key=f"later:{user.id}")
                   for user in (known, stranger)])
    session.commit()
    assert dict(session.execute(
        sa.select(OutboxMessage.user_id, OutboxMessage.customer_id)
        .where(OutboxMessage.dedupe_key.like("later:%"))).all()) == {
        known.id: customer.id, stranger.id: None}


def test_run_keeps_one_cursor_for_each_connection_and_a_new_one_for_a_new_connection(
        app, backend):
    """On PostgreSQL ``run`` makes its cursor once per connection; a connection the server
    ended, replaced by the pool, gets a cursor of its own, and the statement runs on it."""
    if backend != "postgresql":
        pytest.skip("a cursor is kept on PostgreSQL only")
    import psycopg

    from core.extensions import db

    cursors = []

    def record(_connection, cursor, *_args):
        cursors.append(cursor)

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            run(_TOKEN, {"token": 0})
            run(_TOKEN, {"token": 0})
            assert cursors[0] is cursors[1]
            ended = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
            db.session.commit()
            url = db.engine.url.set(drivername="postgresql").render_as_string(
                hide_password=False)
            with psycopg.connect(url, autocommit=True) as other:
                other.execute("SELECT pg_terminate_backend(%s)", (ended,))
                for _ in range(100):
                    if not other.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s",
                                         (ended,)).fetchone():
                        break
                    time.sleep(0.02)
            assert run(_TOKEN, {"token": 0}).rows == []
            assert cursors[-1] is not cursors[0] and not cursors[-1].closed
            assert cursors[-1].connection is not cursors[0].connection
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)
            db.session.rollback()
            db.session.remove()



def test_get_gives_what_the_session_s_get_gives(session, make_user):
    user = make_user()
    session.commit()
    user_id, email = user.id, user.email
    session.expunge_all()
    every, stop = _statements(session)

    def selects() -> int:  # not the fixture's savepoints
        return sum(statement.startswith("SELECT") for statement in every)

    try:
        loaded = get(User, user_id)
        assert (loaded.id, loaded.email) == (user_id, email) and sa.inspect(loaded).persistent
        assert selects() == 1
        assert get(User, user_id) is loaded and selects() == 1  # held loaded: no statement
        assert session.get(User, user_id) is loaded
        session.commit()  # expired: read again, into the same object
        assert get(User, user_id) is loaded and selects() == 2 and loaded.email == email
        assert get(User, user_id + 10_000) is None
    finally:
        stop()


def test_get_sees_the_transaction_s_own_changes(session, make_user):
    user = make_user()
    session.commit()
    user.name = "未写入"
    assert get(User, user.id) is user and user.name == "未写入"
    session.delete(user)
    assert get(User, user.id) is session.get(User, user.id) is user  # not flushed yet
    session.flush()
    assert get(User, user.id) is None is session.get(User, user.id)
