"""Lots: received in batches, sold first-expired-first-out, traced back to customers."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from core.errors import ValidationFailed
from fulfillment import services as desk
from fulfillment.errors import InsufficientStock
from fulfillment.ledger import verify_ledger
from fulfillment.lots import recall_lot, receive_lot
from fulfillment.models import Lot, StockMovement
from storefront.orders import cancel_order, place_order
from tests.support.queries import count_statements


@pytest.fixture()
def today(clock):
    """The shop's today, from the test's clock."""
    return clock.today()


def order(shop, product, quantity, user=None):
    return place_order(user or shop.shopper, lines=[{"sku": product.sku, "quantity": quantity}],
                       fulfillment={"method": "pickup", "center_id": shop.store.id},
                       payment_method="pay_at_pickup")


@pytest.fixture()
def lots(session, shop, make_product, today):
    """A formula product at the store, in three lots: one too close to expiry, two good."""
    product = make_product(sku="NF-LOT-1")
    late = receive_lot(shop.store.id, product.id, batch="B-LATE", quantity=5,
                       expires_on=today + timedelta(days=400), actor=shop.clerk)
    soon = receive_lot(shop.store.id, product.id, batch="B-SOON", quantity=3,
                       produced_on=today - timedelta(days=300),
                       expires_on=today + timedelta(days=90), actor=shop.clerk)
    stale = receive_lot(shop.store.id, product.id, batch="B-STALE", quantity=4,
                        expires_on=today + timedelta(days=10), actor=shop.clerk)
    return product, late, soon, stale


def test_receiving_a_lot_is_stock_and_a_movement(session, shop, lots):
    product, late, _soon, _stale = lots
    rows = session.execute(sa.select(StockMovement).where(
        StockMovement.lot_id == late.id)).scalars().all()
    assert [(m.kind, m.on_hand_delta, m.actor_id) for m in rows] == [
        ("received", 5, shop.clerk.id)]
    assert verify_ledger() == []


def test_first_expired_first_out_skipping_lots_past_the_margin(session, shop, lots):
    product, late, soon, stale = lots
    placed = order(shop, product, 4)
    [line] = placed.fulfillment.lines
    assert [(a.lot_id, a.quantity) for a in line.lots] == [(soon.id, 3), (late.id, 1)]
    session.refresh(stale)
    assert stale.reserved == 0
    # 12 on hand, but only 8 sellable: 4 reserved, 4 more can go, not 5.
    with pytest.raises(InsufficientStock) as err:
        order(shop, product, 5)
    assert err.value.extra["lines"][0]["available"] == 4


def test_each_lot_a_new_order_takes_from_is_one_statement_after_the_stock_row(
        session, shop, lots):
    """With the stock row locked, a lot's take and the line's allocation of it are one
    statement on PostgreSQL (two on SQLite); what they wrote is the line's lots, as read
    back from the database."""
    from fulfillment.models import LotAllocation

    product, late, soon, _stale = lots
    seen = []

    def record(_connection, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()))

    engine = session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        placed = order(shop, product, 4)  # 3 of the soon lot, 1 of the late one
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    locked = next(i for i, s in enumerate(seen) if "UPDATE stock SET" in s)
    after = [" ".join(s.split()[:3]) for s in seen[locked + 1:]]
    if session.get_bind().dialect.name == "postgresql":
        assert after == ["WITH took AS", "WITH took AS"]
    else:
        assert after == ["UPDATE lots SET", "UPDATE lots SET", "INSERT INTO lot_allocations"]
    [line] = placed.fulfillment.lines
    known = [(a.lot_id, a.quantity, a.collected) for a in line.lots]
    assert known == [(soon.id, 3, 0), (late.id, 1, 0)]
    session.expire_all()
    assert sorted(session.execute(sa.select(
        LotAllocation.lot_id, LotAllocation.quantity, LotAllocation.collected).where(
        LotAllocation.line_id == line.id)).all()) == sorted(known)
    assert (session.get(Lot, soon.id).reserved, session.get(Lot, late.id).reserved) == (3, 1)
    assert verify_ledger() == []


def test_an_order_of_several_products_reads_their_lots_once(session, shop, lots, make_product,
                                                            today):
    """The lots of every line are read by one statement before the stock row is locked (not
    one a line); a product the store keeps in no lot is told apart from one whose lots are
    all taken or past the margin, and each line takes from its own product's lots."""
    from fulfillment.lots import plan_lines

    product, late, soon, stale = lots
    other = make_product(sku="NF-LOT-2")
    other_lot = receive_lot(shop.store.id, other.id, batch="C-1", quantity=6,
                            expires_on=today + timedelta(days=200), actor=shop.clerk)
    unlotted = shop.products[0]  # stock at the store, no lot
    with count_statements() as seen:
        placed = place_order(shop.shopper, lines=[
            {"sku": product.sku, "quantity": 4}, {"sku": unlotted.sku, "quantity": 1},
            {"sku": other.sku, "quantity": 2}],
            fulfillment={"method": "pickup", "center_id": shop.store.id},
            payment_method="pay_at_pickup")
    locked = next(i for i, s in enumerate(seen) if "UPDATE stock SET" in s)
    assert sum("FROM lots" in s for s in seen[:locked]) == 1
    taken = {line.product_id: sorted((a.lot_id, a.quantity) for a in line.lots)
             for line in placed.fulfillment.lines}
    assert taken == {product.id: [(late.id, 1), (soon.id, 3)], unlotted.id: [],
                     other.id: [(other_lot.id, 2)]}
    fulfillment_lines = {line.product_id: line for line in placed.fulfillment.lines}
    plans = plan_lines(shop.store.id, list(fulfillment_lines.values()))
    assert plans == {product.id: [(late.id, 4)], unlotted.id: None,
                     other.id: [(other_lot.id, 4)]}
    assert stale.reserved == 0
    assert verify_ledger() == []


def test_cancel_frees_the_lots_and_hand_over_sells_them(session, shop, lots):
    product, late, soon, _stale = lots
    first = order(shop, product, 2)
    cancel_order(first, shop.shopper)
    session.refresh(soon)
    assert soon.reserved == 0
    second = order(shop, product, 2)
    f = second.fulfillment
    desk.mark_ready(f, shop.clerk)
    desk.hand_over(f, f.pickup_code, shop.clerk, collected={"method": "cash"})
    session.refresh(soon)
    assert (soon.on_hand, soon.reserved) == (1, 0)
    assert verify_ledger() == []


def test_recall_lists_every_order_and_customer_of_the_lot(session, shop, lots, make_user):
    product, late, soon, _stale = lots
    other = make_user(name="顾客乙", phone="13900001111")
    a = order(shop, product, 2)
    b = order(shop, product, 2, user=other)
    found = recall_lot(soon)
    assert [(r["order_id"], r["user_id"], r["quantity"]) for r in found] == [
        (a.public_id, shop.shopper.id, 2), (b.public_id, other.id, 1)]
    assert found[1]["phone"] == "13900001111"
    assert [r["order_id"] for r in recall_lot(late)] == [b.public_id]


def test_bad_lot_input_is_refused(session, shop, make_product):
    product = make_product()
    with pytest.raises(ValidationFailed) as err:
        receive_lot(shop.store.id, product.id, batch="", quantity=0,
                    produced_on=date(2026, 5, 1), expires_on=date(2026, 1, 1), actor=shop.clerk)
    assert set(err.value.errors) == {"batch", "quantity", "expires_on"}
    assert session.execute(sa.select(Lot)).first() is None


def test_staff_receive_only_at_their_center(session, shop, make_product, today):
    from core.errors import NotFound

    with pytest.raises(NotFound):
        receive_lot(shop.far_store.id, make_product().id, batch="X", quantity=1,
                    expires_on=today + timedelta(days=300), actor=shop.clerk)


def test_lots_read_before_the_lock_are_read_again_when_another_order_took_them(
        session, shop, lots, monkeypatch):
    """The lots are looked up before the stock row is locked; where another order took
    those units in between, the allocation reads them again and still goes first expired
    first out, one allocation per lot."""
    from fulfillment import services
    from fulfillment.lots import plan_lines

    product, late, soon, _stale = lots
    read_early = {}

    def stale_plans(center_id, lines, **kwargs):
        if not read_early:  # what this order saw before the other one came
            read_early["plans"] = plan_lines(center_id, lines, **kwargs)
            order(shop, product, 2)  # takes 2 of the 3 in the soon lot meanwhile
        return read_early["plans"]

    monkeypatch.setattr(services, "plan_lines", stale_plans)
    placed = order(shop, product, 4)
    assert read_early["plans"][product.id][0] == (soon.id, 3)  # the plan was stale
    [line] = placed.fulfillment.lines
    assert sorted((a.lot_id, a.quantity) for a in line.lots) == sorted(
        [(soon.id, 1), (late.id, 3)])
    session.refresh(soon)
    session.refresh(late)
    assert (soon.reserved, late.reserved) == (3, 3)
    assert verify_ledger() == []


def test_an_order_taken_up_again_takes_its_lots_afresh(session, shop, lots):
    """A cancelled order revived (its payment came late) gives up the allocations it held
    and takes the lots expiring first again: one allocation per lot, the lots' reserved
    units and the ledger exact."""
    from fulfillment.models import LotAllocation

    product, late, soon, _stale = lots
    first = order(shop, product, 4)
    cancel_order(first, shop.shopper)
    other = order(shop, product, 2)  # meanwhile another order takes 2 of the soon lot
    desk.reinstate_fulfillment(first.fulfillment)
    session.flush()
    [line] = first.fulfillment.lines
    assert sorted((a.lot_id, a.quantity) for a in line.lots) == [(late.id, 3), (soon.id, 1)]
    session.expire_all()
    rows = session.execute(sa.select(LotAllocation.line_id, LotAllocation.lot_id,
                                     LotAllocation.quantity)
                           .order_by(LotAllocation.line_id, LotAllocation.lot_id)).all()
    [other_line] = other.fulfillment.lines
    assert sorted(rows) == sorted([(line.id, late.id, 3), (line.id, soon.id, 1),
                                   (other_line.id, soon.id, 2)])
    assert (session.get(Lot, soon.id).reserved, session.get(Lot, late.id).reserved) == (3, 3)
    assert verify_ledger() == []
