"""Address changes of one shopper race (two tabs, an app and the web): the book keeps one
default and its cap (SQLite and PostgreSQL)."""

import pytest
import sqlalchemy as sa

from core.extensions import db
from core.models import User
from storefront.addresses import services
from storefront.addresses.models import Address
from tests.support.race import race_in_sessions

ATTEMPTS = 6
HOME = {"name": "王女士", "phone": "13812345678", "province": "上海市", "city": "上海市",
        "district": "徐汇区", "street": "漕溪北路 88 号"}


def seed(app, saved: int = 0):
    user = User(email="book@example.com", name="王女士", role="customer")
    user.password_hash = "x"
    db.session.add(user)
    db.session.flush()
    for n in range(saved):
        services.add_address(user, dict(HOME, street=f"漕溪北路 {n} 号"))
    app.config["RACE"] = {"user_id": user.id}


def add(app):
    def attempt(n):
        user = db.session.get(User, app.config["RACE"]["user_id"])
        return services.add_address(user, dict(HOME, street=f"天钥桥路 {n} 号")).id
    return attempt


def stored(app) -> list[bool]:
    with app.app_context():
        return db.session.execute(sa.select(Address.is_default)).scalars().all()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_first_addresses_saved_at_once_make_one_default(live_server_factory, backend):
    app = live_server_factory(backend, seed=seed).app
    results = race_in_sessions(app, add(app), range(ATTEMPTS),
                               refused=services.AddressBookFull, refused_as="refused")
    assert "refused" not in results
    assert sorted(stored(app)) == [False] * (ATTEMPTS - 1) + [True]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_last_place_in_the_book_goes_once(live_server_factory, backend):
    app = live_server_factory(
        backend, seed=lambda a: seed(a, saved=services.MAX_ADDRESSES - 1)).app
    results = race_in_sessions(app, add(app), range(ATTEMPTS),
                               refused=services.AddressBookFull, refused_as="refused")
    assert results.count("refused") == ATTEMPTS - 1
    assert len(stored(app)) == services.MAX_ADDRESSES and stored(app).count(True) == 1
