"""Reserving stock with one conditional update per line, on SQLite and PostgreSQL."""

import pytest
import sqlalchemy as sa

from fulfillment import services
from fulfillment.errors import InsufficientStock
from fulfillment.models import Stock


def _stock(session, center, product):
    session.expire_all()
    return session.execute(sa.select(Stock).where(
        Stock.center_id == center.id, Stock.product_id == product.id)).scalar_one()


def test_reserve_takes_units_from_available(session, shop):
    p = shop.products[0]
    services.reserve_stock(shop.store.id, [(p.id, 3)])
    row = _stock(session, shop.store, p)
    assert (row.on_hand, row.reserved, row.available) == (10, 3, 7)


def test_reserve_all_or_nothing(session, shop):
    a, b = shop.products[:2]
    with pytest.raises(InsufficientStock) as err:
        with session.begin_nested():
            services.reserve_stock(shop.store.id, [(a.id, 2), (b.id, 11)])
    assert err.value.extra["lines"] == [{"product_id": b.id, "requested": 11, "available": 10}]
    assert _stock(session, shop.store, a).reserved == 0


def test_same_product_twice_is_summed(session, shop):
    p = shop.products[0]
    with pytest.raises(InsufficientStock):
        with session.begin_nested():
            services.reserve_stock(shop.store.id, [(p.id, 6), (p.id, 5)])
    services.reserve_stock(shop.store.id, [(p.id, 6), (p.id, 4)])
    assert _stock(session, shop.store, p).available == 0


def test_product_not_stocked_at_center_is_short(session, shop, make_product):
    other = make_product()
    with pytest.raises(InsufficientStock) as err:
        with session.begin_nested():
            services.reserve_stock(shop.store.id, [(other.id, 1)])
    assert err.value.extra["lines"][0]["available"] == 0


def test_release_gives_units_back(session, shop):
    p = shop.products[0]
    services.reserve_stock(shop.store.id, [(p.id, 4)])
    services.release_stock(shop.store.id, [(p.id, 4)])
    assert _stock(session, shop.store, p).reserved == 0
