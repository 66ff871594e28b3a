"""A checkout's CRM bookkeeping happens after its commit, and its stock row is locked last.

The buyer's figures are marked due in the order's transaction and refreshed after it
commits (by the request, or by the job ``refresh_figures_due``), so a flash sale's hot row
is held from its UPDATE to the commit only, and no order is lost to the figures.
"""

import re

import sqlalchemy as sa

from core.jobs import run_job
from crm.customers.models import Customer, FiguresDue
from storefront.models import Order

from .conftest import pickup_body


def figures(session, user) -> tuple[int, int] | None:
    session.expire_all()
    customer = session.execute(sa.select(Customer).where(Customer.user_id == user.id)
                               ).scalar_one_or_none()
    return None if customer is None else (customer.orders_count, customer.lifetime_amount)


def due(session) -> list[int]:
    session.expire_all()
    return session.execute(sa.select(FiguresDue.user_id)).scalars().all()


def test_the_figures_follow_the_order_once_it_is_committed(session, shop, place):
    assert place(shop.shopper, pickup_body(shop, quantity=2)).status_code == 201
    assert figures(session, shop.shopper) == (1, 2 * 12800)
    assert place(shop.shopper, pickup_body(shop)).status_code == 201
    assert figures(session, shop.shopper) == (2, 3 * 12800)
    assert due(session) == []


def test_left_to_the_job_the_figures_wait_for_it_and_no_order_is_lost(
        app, session, shop, place, monkeypatch, clock):
    monkeypatch.setitem(app.config, "CRM_FIGURES_AFTER_REQUEST", False)
    before = figures(session, shop.shopper)
    for quantity in (1, 3):
        assert place(shop.shopper, pickup_body(shop, quantity=quantity)).status_code == 201
    assert figures(session, shop.shopper) == before  # not yet: the job has not run
    assert due(session) == [shop.shopper.id]  # one mark for both orders

    assert run_job("refresh_figures_due", clock.now) == "1 customer(s) refreshed"
    assert figures(session, shop.shopper) == (2, 4 * 12800)
    assert due(session) == []
    assert run_job("refresh_figures_due", clock.now) == "0 customer(s) refreshed"


def test_a_refused_order_marks_nobody(session, shop, place):
    response = place(shop.shopper, pickup_body(shop, quantity=11))  # the store holds 10
    assert response.status_code == 409
    assert response.get_json()["code"] == "insufficient_stock"
    assert due(session) == []
    assert figures(session, shop.shopper) in (None, (0, 0))


def test_the_stock_row_is_the_last_thing_the_order_writes(app, session, shop, place):
    """Between the stock row's UPDATE (its lock) and the end of the transaction nothing
    else runs: not the ledger, not the outbox, not the customer's figures. (On PostgreSQL
    the ledger's line rides in the UPDATE's own statement, in front of it.)"""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.split()))

    engine = session.get_bind().engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert place(shop.shopper, pickup_body(shop)).status_code == 201
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    locked = next(i for i, s in enumerate(statements)
                  if re.match(r"(WITH .*\) )?UPDATE stock SET", s))
    ended = next(i for i, s in enumerate(statements)
                 if i > locked and re.match(r"(RELEASE SAVEPOINT|COMMIT)", s))
    assert statements[locked + 1:ended] == []
    written_before = " | ".join(statements[:locked + 1])
    for table in ("INSERT INTO orders", "INSERT INTO stock_movements",
                  "INSERT INTO outbox_messages", "INSERT INTO crm_figures_due"):
        assert table in written_before
    assert "UPDATE customers" in " | ".join(statements[ended:])  # after the commit
    assert session.execute(sa.select(sa.func.count()).select_from(Order)).scalar_one() == 1


def test_the_job_is_scheduled_within_seconds(app):
    assert app.config["JOB_SCHEDULE_SECONDS"]["refresh_figures_due"] <= 60
    assert "refresh_figures_due" in app.extensions["shop_jobs"]


def test_a_staff_buyer_gets_no_figures(session, shop, place, make_user, stock):
    clerk = shop.clerk
    assert place(clerk, pickup_body(shop)).status_code == 201
    assert due(session) == []
    assert figures(session, clerk) is None


def test_one_job_runs_by_name_from_the_command_line(app, session, shop, place, runner,
                                                     monkeypatch):
    monkeypatch.setitem(app.config, "CRM_FIGURES_AFTER_REQUEST", False)
    assert place(shop.shopper, pickup_body(shop)).status_code == 201
    result = runner.invoke(args=["jobs", "run", "refresh_figures_due"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "refresh_figures_due: 1 customer(s) refreshed"
    assert figures(session, shop.shopper) == (1, 12800)
    unknown = runner.invoke(args=["jobs", "run", "no_such_job"])
    assert unknown.exit_code != 0 and "no job 'no_such_job'" in unknown.output


def test_a_first_order_makes_the_profile_and_its_confirmation_names_it(
        session, shop, place, make_user, token_for):
    """A buyer without a CRM profile gets one after the commit, and the order's confirmation
    (written before it existed) is then theirs on the 360."""
    from crm.outreach.models import OutboxMessage

    newcomer = make_user(phone="13900001111")
    headers = token_for(newcomer)
    assert figures(session, newcomer) is None
    assert place(newcomer, pickup_body(shop), headers=headers).status_code == 201
    assert figures(session, newcomer) == (1, 12800)
    customer = session.execute(sa.select(Customer).where(Customer.user_id == newcomer.id)
                               ).scalar_one()
    messages = session.execute(sa.select(OutboxMessage).where(
        OutboxMessage.user_id == newcomer.id, OutboxMessage.kind == "order_confirmed")
    ).scalars().all()
    assert messages and {m.customer_id for m in messages} == {customer.id}
