"""``core.sql.insert_loaded``: a checkout's rows written by INSERT ... RETURNING, their objects
then the session's as if loaded (no unit-of-work flush), on both databases."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from core.cache import version
from core.models import ApiToken, Role
from core.sql import insert_loaded, zero_padded
from storefront.models import Order, OrderLine, OrderStatus
from storefront.orders import write_order


def _new_order(user, center, product, note=None):
    order = Order(user_id=user.id, status=OrderStatus.CONFIRMED, subtotal_amount=12800,
                  total_amount=12800, payment_method="pay_at_pickup",
                  fulfillment_method="pickup", center_id=center.id, note=note)
    line = OrderLine(product_id=product.id, sku=product.sku, name_zh=product.name_zh,
                     name_en=product.name_en, quantity=1, unit_price_amount=12800,
                     line_total_amount=12800, member_price=False, price_tier=None)
    return write_order(order, [line])


def _family(session) -> int:
    """The statements an order and its lines take: one on PostgreSQL (``insert_family``)."""
    return 1 if session.get_bind().dialect.name == "postgresql" else 2


def _statements(session):
    seen = []

    def count(*_args):
        seen.append(1)

    sa.event.listen(session.get_bind(), "before_cursor_execute", count)
    return seen, lambda: sa.event.remove(session.get_bind(), "before_cursor_execute", count)


def test_the_rows_come_back_as_loaded_objects(session, make_user, make_center, make_product):
    user, center, product = make_user(), make_center(), make_product()
    seen, stop = _statements(session)
    try:
        order = _new_order(user, center, product)
        assert len(seen) == _family(session)  # the order and its line; nothing else
        # the column defaults a flush would apply, read back from the row
        assert order.id and order.public_id and order.created_at.tzinfo is not None
        assert order.channel == "web" and order.paid_amount == 0 and order.disputed is False
        line = order.lines[0]
        assert line.id and line.order_id == order.id and line.order is order
        assert not session.new and not session.dirty and order in session
        assert sa.inspect(order).persistent and sa.inspect(line).persistent
        session.flush()
        assert len(seen) == _family(session)  # nothing left to flush, nothing loaded again
    finally:
        stop()
    row = session.execute(sa.select(Order.public_id, Order.total_amount, OrderLine.sku)
                          .join(OrderLine).where(Order.id == order.id)).one()
    assert tuple(row) == (order.public_id, 12800, product.sku)


def test_a_later_change_is_an_update(session, make_user, make_center, make_product):
    order = _new_order(make_user(), make_center(), make_product())
    order.note = "leave it at the desk"
    session.flush()
    session.expire_all()
    assert session.get(Order, order.id).note == "leave it at the desk"
    assert session.execute(sa.select(sa.func.count()).select_from(Order)
                           .where(Order.id == order.id)).scalar_one() == 1


def test_a_rollback_takes_them_out_of_the_session(session, make_user, make_center,
                                                 make_product):
    user, center, product = make_user(), make_center(), make_product()
    savepoint = session.begin_nested()
    gone = _new_order(user, center, product, note="rolled back")
    savepoint.rollback()
    assert gone not in session and not sa.inspect(gone).persistent
    # the next order may take the same id (SQLite reuses it): no stale twin stands in its way
    kept = _new_order(user, center, product, note="kept")
    assert kept in session and session.get(Order, kept.id) is kept
    assert session.execute(sa.select(Order.note).where(Order.note.in_(["rolled back", "kept"]))
                           ).scalars().all() == ["kept"]


def test_the_pages_watching_the_table_move_on(session, app, make_user, make_center,
                                              make_product):
    user, center, product = make_user(role=Role.CUSTOMER), make_center(), make_product()
    session.commit()
    before = {ns: version(ns) for ns in ("my-orders", "order-list", "sales", "catalog")}
    _new_order(user, center, product)
    session.commit()
    after = {ns: version(ns) for ns in before}
    assert [ns for ns in before if after[ns] != before[ns]] == ["my-orders", "order-list", "sales"]


def test_a_column_computed_in_sql_comes_back_too(session, make_user):
    """Two messages, to a customer and to a user without a profile yet, by one INSERT each
    finding its customer: one statement, on both databases."""
    from crm.customers.models import Customer
    from crm.customers.services import ensure_customer
    from crm.outreach.models import OutboxMessage

    known, stranger = make_user(), make_user()
    customer = ensure_customer(known)
    session.flush()
    seen, stop = _statements(session)
    try:
        made = [OutboxMessage(channel="email", kind="order_confirmed", purpose="service",
                              subject="s", body="b",
                              user_id=user.id, to=user.email, dedupe_key=f"test:{user.id}")
                for user in (known, stranger)]
        insert_loaded(made, customer_id=sa.select(Customer.id).where(
            Customer.user_id == sa.bindparam("user_id")).scalar_subquery())
    finally:
        stop()
    assert len(seen) == 1
    assert [m.customer_id for m in made] == [customer.id, None]
    assert all(m.id and m.created_at and m.status == "pending" and not session.new for m in made)
    # a column no default fills is known as NULL without being read back or loaded later
    seen, stop = _statements(session)
    try:
        assert [(m.sent_at, m.claim_token, m.campaign_id) for m in made] == [(None,) * 3] * 2
    finally:
        stop()
    assert seen == []


def test_an_order_is_numbered_in_its_insert_by_the_shop_s_day(session, clock, make_user,
                                                                make_center, make_product):
    """The number is the shop's day (Shanghai, past midnight there while still the day
    before in UTC) and the order's own id, made by the INSERT that writes the order: no
    statement of its own."""
    clock.move_to(datetime(2027, 2, 9, 17, 30, tzinfo=UTC))  # 01:30 on the 10th in Shanghai
    user, center, product = make_user(), make_center(), make_product()
    seen, stop = _statements(session)
    try:
        order = _new_order(user, center, product)
    finally:
        stop()
    assert len(seen) == _family(session)  # the order, numbered, and its line
    assert order.number == f"SH-20270210-{order.id:04d}"
    session.expire_all()
    assert session.get(Order, order.id).number == order.number


def test_zero_padded_keeps_every_digit(session):
    padded = [session.execute(sa.select(zero_padded(sa.literal(n), 4))).scalar()
              for n in (7, 42, 9999, 12345, 1234567)]
    assert padded == ["0007", "0042", "9999", "12345", "1234567"]


def test_a_column_made_of_the_new_key_is_written_one_row_at_a_time(session, make_user):
    user = make_user()
    rows = [ApiToken(user_id=user.id, token_hash=f"{n:064d}", expires_at=user.created_at)
            for n in (1, 2)]
    with pytest.raises(ValueError):
        insert_loaded(rows, token_hash=lambda key: sa.cast(key, sa.String))


def test_children_come_back_each_with_its_own_row(session, make_user, make_center,
                                                   make_product):
    """Three lines of one order, in one statement on PostgreSQL: each object gets the row
    written from it (its key, its order's), in the order given."""
    user, center = make_user(), make_center()
    products = [make_product() for _ in range(3)]
    order = Order(user_id=user.id, status=OrderStatus.CONFIRMED, subtotal_amount=600,
                  total_amount=600, payment_method="pay_at_pickup",
                  fulfillment_method="pickup", center_id=center.id)
    lines = [OrderLine(product_id=p.id, sku=p.sku, name_zh=p.name_zh, name_en=p.name_en,
                       quantity=n, unit_price_amount=100, line_total_amount=100 * n,
                       member_price=False, price_tier=None)
             for n, p in enumerate(products, start=1)]
    seen, stop = _statements(session)
    try:
        write_order(order, lines)
    finally:
        stop()
    assert len(seen) == _family(session)
    assert [line.id for line in lines] == sorted(line.id for line in lines)
    assert all(line.order_id == order.id and line in session for line in lines)
    session.expire_all()
    assert [(line.id, line.sku, line.quantity) for line in session.execute(
        sa.select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id)
    ).scalars()] == [(line_id, p.sku, n) for line_id, p, n in zip(
        [line.id for line in lines], products, (1, 2, 3), strict=True)]


@pytest.mark.parametrize("fulfillment_lines", [3, 2])
def test_an_order_and_its_fulfillment_families_come_back_each_row_to_its_object(
        session, make_user, make_center, make_product, fulfillment_lines):
    """``write_order`` with the order's fulfillment: one statement on PostgreSQL for the
    order, its three lines, the fulfillment and its lines, each object given its own row
    (the lines in the order given, each fulfillment line referring to the fulfillment, the
    fulfillment to the order); with lines of the fulfillment not as many as the order's,
    or on SQLite, the fulfillment's family by statements of its own."""
    from fulfillment import services as desk
    from fulfillment.models import Fulfillment, FulfillmentLine

    user, center = make_user(), make_center()
    products = [make_product(price=1000 * (i + 1)) for i in range(3)]
    order = Order(user_id=user.id, status=OrderStatus.CONFIRMED, subtotal_amount=6000,
                  total_amount=6000, payment_method="pay_at_pickup",
                  fulfillment_method="pickup", center_id=center.id)
    lines = [OrderLine(product_id=p.id, sku=p.sku, name_zh=p.name_zh, name_en=p.name_en,
                       quantity=i + 1, unit_price_amount=p.price_amount,
                       line_total_amount=p.price_amount * (i + 1), member_price=False)
             for i, p in enumerate(products)]
    work = desk.new_fulfillment(order_id=None, center=center, method="pickup", lines=[
        {"product_id": p.id, "sku": p.sku, "name_zh": p.name_zh, "name_en": p.name_en,
         "quantity": i + 1} for i, p in enumerate(products[:fulfillment_lines])])
    seen, stop = _statements(session)
    try:
        write_order(order, lines, fulfillment=work)
        one = session.get_bind().dialect.name == "postgresql" and fulfillment_lines == 3
        assert len(seen) == (1 if one else 2 * _family(session))
    finally:
        stop()
    fulfillment, its_lines = desk.opened(*work, center), work[1]
    assert fulfillment.order_id == order.id and order.id and fulfillment.id
    assert [line.sku for line in order.lines] == [p.sku for p in products]
    assert [line.quantity for line in its_lines] == list(range(1, fulfillment_lines + 1))
    assert all(sa.inspect(o).persistent for o in [order, fulfillment, *lines, *its_lines])
    assert not session.new and not session.dirty
    session.expire_all()
    assert session.execute(sa.select(OrderLine.sku, OrderLine.quantity).where(
        OrderLine.order_id == order.id).order_by(OrderLine.id)).all() == [
        (p.sku, i + 1) for i, p in enumerate(products)]
    written = session.execute(sa.select(FulfillmentLine.id, FulfillmentLine.sku,
                                        FulfillmentLine.quantity)
                              .join(Fulfillment).where(Fulfillment.order_id == order.id)
                              .order_by(FulfillmentLine.id)).all()
    assert written == [(line.id, line.sku, line.quantity) for line in its_lines]
    assert session.get(Fulfillment, fulfillment.id).status == "reserved"


def test_an_object_made_fresh_is_written_with_its_defaults_and_refuses_an_unknown_name(
        session, make_user, make_center, make_product):
    """``fresh``: no change tracking, the same row as the constructor's object (the columns'
    defaults applied by the INSERT's maker), and a name no column has refused."""
    from core.sql import fresh

    user, center, product = make_user(), make_center(), make_product()
    with pytest.raises(TypeError, match="lines"):
        fresh(Order, user_id=user.id, lines=[])
    order = fresh(Order, user_id=user.id, status=OrderStatus.CONFIRMED, subtotal_amount=500,
                  total_amount=500, payment_method="pay_at_pickup",
                  fulfillment_method="pickup", center_id=center.id)
    assert not sa.inspect(order).modified and sa.inspect(order).transient
    line = fresh(OrderLine, product_id=product.id, sku=product.sku, name_zh=product.name_zh,
                 quantity=1, unit_price_amount=500, line_total_amount=500, member_price=False)
    write_order(order, [line])
    assert sa.inspect(order).persistent and order.public_id and order.paid_amount == 0
    session.expire_all()
    written = session.get(Order, order.id)
    assert (written.total_amount, written.channel, [ln.sku for ln in written.lines]) == (
        500, "web", [product.sku])
