"""Fixtures: the app on SQLite and PostgreSQL, a transaction rolled back per test, factories.

Every test that asks for ``app`` (or anything built on it) runs once per backend. In CI
(``CI`` set) a missing PostgreSQL is a failure; elsewhere those runs skip, saying why.
"""

import os
import shutil
import socket
import threading
import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest
import sqlalchemy as sa
import time_machine
from flask_migrate import upgrade
from flask_sqlalchemy.session import Session as FlaskSession
from werkzeug.serving import make_server

from core.app import create_app
from core.clock import utcnow
from core.extensions import cache, db
from core.models import ApiToken, Role, User
from core.ratelimit import attempts
from tests.support.messages import Mailbox, RecordingSms

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
IN_CI = bool(os.environ.get("CI"))
PASSWORD = "correct horse 42"
SHOP_ZONE = ZoneInfo("Asia/Shanghai")


# --- the clock ------------------------------------------------------------------------------
#
# A test that means a date takes the ``clock`` fixture: time stands still for it at the
# session's origin (now, or ``--shift-days N`` later), and it computes the days it needs from
# ``clock.now`` / ``clock.today()`` or moves the clock to a fixed moment. Such tests are marked
# ``dates``; CI runs them a second time shifted by a random number of days, so a test bound to
# the day it was written fails that day, not weeks later.


def pytest_addoption(parser):
    parser.addoption("--shift-days", type=int, default=0, metavar="N",
                     help="run as if today were N days later (the clock's origin moves; "
                          "the whole session, live servers included, sees that day)")


def _origin(config) -> datetime:
    if not hasattr(config, "_clock_origin"):
        config._clock_origin = datetime.now(UTC) + timedelta(
            days=config.getoption("--shift-days"))
    return config._clock_origin


def pytest_report_header(config):
    shift = config.getoption("--shift-days")
    if shift:
        day = _origin(config).astimezone(SHOP_ZONE).date()
        return f"clock: shifted by {shift:+d} days, as if today were {day.isoformat()}"
    return None


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "clock" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.dates)


@pytest.fixture(scope="session", autouse=True)
def _shifted_clock(request):
    """With ``--shift-days``, the whole session runs on the moved day (the clock ticks)."""
    if not request.config.getoption("--shift-days"):
        yield
        return
    with time_machine.travel(_origin(request.config), tick=True):
        yield


@pytest.fixture(autouse=True)
def _real_clock_beside_outside_servers(request):
    """A test that talks to a server on the real clock (localstripe, which stamps and signs
    with its own time) runs on the real clock even in a shifted session."""
    shift = request.config.getoption("--shift-days")
    outside = ("localstripe" in request.fixturenames
               or request.node.get_closest_marker("realtime") is not None)
    if not shift or not outside:
        yield
        return
    with time_machine.travel(datetime.now(UTC) - timedelta(days=shift), tick=True):
        yield


class Clock:
    """A test's clock: stands still at the session's origin until the test moves it."""

    def __init__(self, traveller):
        self._traveller = traveller

    @property
    def now(self) -> datetime:
        """Now, in UTC."""
        return datetime.now(UTC)

    def today(self) -> date:
        """Today in the shop's zone."""
        return self.now.astimezone(SHOP_ZONE).date()

    def move_to(self, moment: datetime) -> None:
        """Stand still at ``moment`` (timezone-aware)."""
        if moment.tzinfo is None:
            raise ValueError("give the clock an aware datetime")
        self._traveller.move_to(moment)

    def shift(self, delta: timedelta) -> None:
        self._traveller.shift(delta)


@pytest.fixture()
def clock(request):
    with time_machine.travel(_origin(request.config), tick=False) as traveller:
        yield Clock(traveller)


# --- no network but loopback -------------------------------------------------------------

_real_connect = socket.socket.connect


def _guarded_connect(self, address):
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and not (
        host in ("localhost", "::1") or host.startswith("127.") or host.startswith("/")
        or self.family == socket.AF_UNIX
    ):
        raise RuntimeError(f"test tried to reach {address!r}; only loopback is allowed")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


@pytest.fixture(scope="session", autouse=True)
def _compiled_translations():
    from core.translations import compile_catalogs

    compile_catalogs()


# --- databases ------------------------------------------------------------------------------


def _pg_available() -> str | None:
    try:
        psycopg.connect(PG_ADMIN_URL, connect_timeout=3).close()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not here"
        return f"PostgreSQL not reachable at {PG_ADMIN_URL} ({exc.__class__.__name__})"


def new_database(backend: str, tmp_path_factory) -> tuple[str, callable]:
    """A fresh, empty database; returns its URL and a function that drops it."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("db") / "shop.db"
        return f"sqlite:///{path}", lambda: None
    reason = _pg_available()
    if reason:
        if IN_CI:
            pytest.fail(f"CI needs PostgreSQL: {reason}")
        pytest.skip(reason)
    name = f"shop_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base.replace('postgresql://', 'postgresql+psycopg://')}/{name}", drop


def make_app(database_url: str, instance_path, **extra):
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": str(instance_path),
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "CACHE_TYPE": "SimpleCache",
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": None,
        # the figures refreshed by the request itself, so a test reads them after the answer
        # (tests/api/test_order_figures.py tries the worker's refresher)
        "CRM_FIGURES_BATCH_SECONDS": 0,
        # forty buyers queued on one stock row of a busy CI machine can wait past the
        # shop's 3 s and be told "busy, try again", as a shop under such load should; the
        # race tests count who won and who found it sold out, so they wait as long as it
        # takes (tests/storefront/test_checkout_busy.py sets a short limit of its own)
        "CHECKOUT_LOCK_WAIT_MS": 60_000,
        # sign-in links and reset messages sent by the request itself, so a test reads them
        # after the answer (tests/security/test_finding_11_enumeration.py tries the thread)
        "SEND_AFTER_ANSWER": False,
    }
    config.update(extra)
    return create_app(config)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request):
    return request.param


@pytest.fixture(scope="session")
def app(backend, tmp_path_factory):
    """One app per backend, its schema built by the migrations (so they are tested too)."""
    url, drop = new_database(backend, tmp_path_factory)
    application = make_app(url, tmp_path_factory.mktemp("instance"))
    with application.app_context():
        upgrade()
    yield application
    with application.app_context():
        db.engine.dispose()
    drop()


class _BoundSession(FlaskSession):
    """Flask-SQLAlchemy's session picks an engine itself; in tests it must use our connection."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        return bind or self.bind or super().get_bind(mapper, clause, bind, **kwargs)


@pytest.fixture()
def session(app):
    """A transaction per test, rolled back after it; commits in the code become savepoints."""
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = db._make_scoped_session(
            {"bind": connection, "join_transaction_mode": "create_savepoint",
             "class_": _BoundSession})
        cache.clear()
        attempts._strategy.storage.reset()
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture()
def client(app, session):
    return app.test_client()


@pytest.fixture()
def runner(app, session):
    return app.test_cli_runner()


# --- factories ------------------------------------------------------------------------------


_password_hashes: dict[str, str] = {}


def password_hash(password: str) -> str:
    """A real scrypt hash of ``password``, computed once per session: hashing is the slowest
    thing a fixture did (about 0.8 s a user), and each test user needs no salt of its own."""
    if password not in _password_hashes:
        probe = User()
        probe.set_password(password)
        _password_hashes[password] = probe.password_hash
    return _password_hashes[password]


@pytest.fixture()
def make_user(session):
    counter = iter(range(1, 10_000))

    def make(role=Role.CUSTOMER, center=None, email=None, name=None, phone=None, password=PASSWORD,
             email_verified=True):
        n = next(counter)
        user = User(email=email or f"{role}{n}-{uuid.uuid4().hex[:6]}@example.com",
                    name=name or f"{role.title()} {n}", role=role, phone=phone,
                    center_id=center.id if center is not None else None,
                    email_verified_at=utcnow() if email_verified else None)
        user.password_hash = password_hash(password)
        session.add(user)
        session.flush()
        return user

    return make


@pytest.fixture()
def make_center(session):
    from fulfillment.models import Center, CenterDistrict

    counter = iter(range(1, 10_000))

    def make(code=None, pickup=True, delivery=False, city="上海市", district="静安区",
             lat=31.2286, lng=121.4547, districts=(), radius_km=None, name=None,
             warehouse=False):
        n = next(counter)
        center = Center(
            code=code or f"C{n:03d}", name_zh=name or f"测试门店{n}", name_en=f"Test store {n}",
            is_pickup=pickup, is_delivery=delivery, is_warehouse=warehouse, province=city,
            city=city, district=district,
            address_zh=f"{city}{district}测试路{n}号", address_en=f"{n} Test Road",
            lat=lat, lng=lng,
            radius_km=radius_km,
            districts=[CenterDistrict(province=p, city=c, district=d) for p, c, d in districts],
        )
        session.add(center)
        session.flush()
        return center

    return make


@pytest.fixture()
def make_product(session):
    from storefront.models import Category, Product

    counter = iter(range(1, 10_000))
    state = {}

    def make(price=12800, member_price=None, sku=None, days_of_supply=None, name=None,
             category=None, active=True):
        n = next(counter)
        if category is None:
            if "category" not in state:
                state["category"] = Category(slug=f"cat-{uuid.uuid4().hex[:6]}", name_zh="海参",
                                             name_en="Sea cucumber")
                session.add(state["category"])
            category = state["category"]
        product = Product(
            sku=sku or f"SKU-{uuid.uuid4().hex[:8].upper()}", slug=f"p-{uuid.uuid4().hex[:10]}",
            name_zh=name or f"测试商品{n}", name_en=f"Test product {n}", price_amount=price,
            member_price_amount=member_price, category=category, days_of_supply=days_of_supply,
            description_zh="描述", active=active,
        )
        session.add(product)
        session.flush()
        return product

    return make


@pytest.fixture()
def stock(session):
    """``stock(center, product, on_hand)`` sets what a center holds (an ``adjusted`` movement)."""
    from fulfillment.ledger import record_movement
    from fulfillment.models import Stock

    def put(center, product, on_hand):
        row = session.execute(sa.select(Stock).where(
            Stock.center_id == center.id, Stock.product_id == product.id)).scalar_one_or_none()
        if row is None:
            row = Stock(center_id=center.id, product_id=product.id, on_hand=0, reserved=0)
            session.add(row)
        delta, row.on_hand = on_hand - (row.on_hand or 0), on_hand
        session.flush()
        if delta:
            record_movement(center.id, product.id, "adjusted", on_hand=delta, reason="test")
        return row

    return put


@pytest.fixture()
def fresh_requests(monkeypatch):
    """Each test-client request finds its signed-in user afresh, as in production.

    A test's app context outlives its requests, and so does ``g``, where Flask-Login keeps
    the user it loaded (and Flask-Babel the language); tests of ending sessions must not
    see that cached user.
    """
    from flask import g, has_app_context
    from flask.testing import FlaskClient

    real = FlaskClient.open

    def open_afresh(self, *args, **kwargs):
        if has_app_context():
            g.pop("_login_user", None)
            g.pop("_flask_babel", None)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(FlaskClient, "open", open_afresh)


def _responses_closed(monkeypatch):
    """Test-client responses read whole and closed, as a WSGI server closes them: what the
    shop sends once its answer has left (``call_on_close``) is sent by then."""
    from flask.testing import FlaskClient

    real = FlaskClient.open

    def open_and_close(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        return real(self, *args, **kwargs)

    if not getattr(FlaskClient.open, "closes_responses", False):
        open_and_close.closes_responses = True
        monkeypatch.setattr(FlaskClient, "open", open_and_close)


@pytest.fixture()
def sms(app, monkeypatch):
    """Every SMS the app sends in this test, kept instead of sent."""
    recorder = RecordingSms(app)
    monkeypatch.setitem(app.extensions, "shop_sms_provider", recorder)
    _responses_closed(monkeypatch)
    return recorder


@pytest.fixture()
def mailbox(monkeypatch):
    """Every code or link e-mail the accounts send in this test, kept instead of sent."""
    box = Mailbox()
    monkeypatch.setattr("core.messaging.send_email", box)
    monkeypatch.setattr("storefront.accounts.notify.send_email", box)
    _responses_closed(monkeypatch)
    return box


@pytest.fixture()
def token_for(session, app):
    def issue(user):
        _, plain = ApiToken.issue(user, 30)
        return {"Authorization": f"Bearer {plain}"}

    return issue


@pytest.fixture()
def shop(make_center, make_product, stock, make_user):
    """A small shop: two pickup stores and a delivery center, three products in stock."""
    from types import SimpleNamespace

    store = make_center(code="SH-JA", pickup=True)
    far_store = make_center(code="SH-PD", pickup=True, district="浦东新区", lat=31.22, lng=121.54)
    hub = make_center(code="SH-DC", pickup=False, delivery=True, district="徐汇区",
                      lat=31.19, lng=121.43, districts=[("上海市", "上海市", "徐汇区"),
                                                        ("上海市", "上海市", "静安区")])
    products = [make_product(price=p) for p in (12800, 39800, 26800)]
    for center in (store, far_store, hub):
        for product in products:
            stock(center, product, 10)
    return SimpleNamespace(
        store=store, far_store=far_store, hub=hub, products=products,
        shopper=make_user(), clerk=make_user(Role.STAFF, center=store),
        far_clerk=make_user(Role.STAFF, center=far_store),
        hub_clerk=make_user(Role.STAFF, center=hub),
        agent=make_user(Role.CRM), admin=make_user(Role.ADMIN),
        birthday=date(1990, 5, 1),
    )


def delivery_address(**overrides):
    address = {"name": "王女士", "phone": "13812345678", "province": "上海市", "city": "上海市",
               "district": "徐汇区", "street": "漕溪北路 88 号"}
    address.update(overrides)
    return address


# --- a live server on a database of its own (for races and the browser) ------------------


class LiveServer:
    def __init__(self, app, url):
        self.app, self.url = app, url


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory):
    """``migrated_database(backend)``: a fresh database with the migrations' schema, and
    the function that drops it. The migrations run once per backend and session, into a
    template that each new database copies (PostgreSQL's ``CREATE DATABASE ... TEMPLATE``,
    a copied file for SQLite): what a live server needs in a fraction of the time."""
    templates: dict[str, tuple[str, callable]] = {}

    def fresh(backend: str) -> tuple[str, callable]:
        if backend not in templates:
            url, drop = new_database(backend, tmp_path_factory)
            application = make_app(url, tmp_path_factory.mktemp("template-instance"))
            with application.app_context():
                upgrade()
                db.engine.dispose()  # a template may have no one connected to it
            templates[backend] = (url, drop)
        template_url, _drop = templates[backend]
        if backend == "sqlite":
            path = tmp_path_factory.mktemp("db") / "shop.db"
            shutil.copyfile(template_url.removeprefix("sqlite:///"), path)
            return f"sqlite:///{path}", lambda: None
        name = f"shop_test_{uuid.uuid4().hex[:12]}"
        template = template_url.rsplit("/", 1)[1]
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')

        def drop():
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        return f"{template_url.rsplit('/', 1)[0]}/{name}", drop

    yield fresh
    for _url, drop in templates.values():
        drop()


@pytest.fixture()
def live_server_factory(tmp_path_factory, migrated_database):
    """Start the app on a fresh database in a thread; returns a LiveServer."""
    started = []

    def start(backend: str, seed=None, **config):
        url, drop = migrated_database(backend)
        application = make_app(url, tmp_path_factory.mktemp("live-instance"), **config)
        with application.app_context():
            if seed is not None:
                seed(application)
                db.session.commit()
        server = make_server("127.0.0.1", 0, application, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        started.append((server, application, drop))
        return LiveServer(application, f"http://127.0.0.1:{server.server_port}")

    yield start
    for server, application, drop in started:
        server.shutdown()
        with application.app_context():
            db.engine.dispose()
        drop()
