"""The committed migrations build exactly the schema the models describe, on both backends."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from core.extensions import db


def test_models_and_migrations_agree(app, session):
    from core.database import include_in_migrations

    context = MigrationContext.configure(
        session.connection(), opts={"compare_type": True, "render_as_batch": True,
                                    "include_object": include_in_migrations})
    diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_check_constraints_are_the_ones_the_migrations_made(app, session):
    """Autogenerate does not compare CHECK constraints: every model's CHECKs are in the
    migrated database under their names, with the same text on SQLite (which keeps the SQL
    as written) and the same quoted words in the same order on PostgreSQL (which rewrites
    ``IN (...)`` as ``= ANY (ARRAY[...])``), so ``core.models.one_of`` writes what the
    migrations wrote."""
    import re

    import sqlalchemy as sa

    inspector = sa.inspect(session.connection())
    sqlite = session.connection().dialect.name == "sqlite"
    for table in db.metadata.sorted_tables:
        made = {c["name"]: c["sqltext"] for c in inspector.get_check_constraints(table.name)}
        for constraint in table.constraints:
            if not isinstance(constraint, sa.CheckConstraint):
                continue
            assert constraint.name in made, (table.name, constraint.name)
            if sqlite:
                assert made[constraint.name] == str(constraint.sqltext), constraint.name
            else:
                words = re.compile(r"'([^']*)'")
                assert words.findall(made[constraint.name]) == words.findall(
                    str(constraint.sqltext)), constraint.name


def test_check_constraints_hold(app, session, shop):
    import pytest
    import sqlalchemy as sa

    from fulfillment.models import Stock

    with pytest.raises(sa.exc.IntegrityError):
        with session.begin_nested():
            session.execute(sa.update(Stock).where(Stock.center_id == shop.store.id)
                            .values(reserved=Stock.on_hand + 1))


def test_sqlite_table_rebuilds_keep_rows_that_others_point_at(tmp_path):
    """A batch migration on SQLite copies, drops and renames a table; with rows pointing at
    it (an order that used a coupon) that must work both ways and keep every row."""
    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    from tests.conftest import make_app

    app = make_app(f"sqlite:///{tmp_path / 'shop.db'}", tmp_path / "instance")
    before = "9a4d1c7e2b35"  # the revision before coupons were rebuilt for their notes
    rows = [
        "INSERT INTO users (id, email, password_hash, name, role, active, created_at) "
        "VALUES (1, 'a@example.com', 'x', '王', 'customer', 1, '2026-01-01')",
        "INSERT INTO centers (id, code, name_zh, is_pickup, is_delivery, province, city, "
        "district, address_zh, lat, lng, opens_at, closes_at, active, created_at) VALUES "
        "(1, 'SH-JA', '静安店', 1, 0, '上海市', '上海市', '静安区', '南京西路', 31.2, 121.4, "
        "'10:00', '21:00', 1, '2026-01-01')",
        "INSERT INTO coupons (id, code, user_id, amount, currency, minimum_order_amount, "
        "valid_from, valid_until, source, state, created_at) VALUES (1, 'HY-AAAA-BBBB', 1, "
        "500, 'CNY', 0, '2026-01-01', '2027-01-01', 'manual', 'used', '2026-01-01')",
        "INSERT INTO orders (id, public_id, user_id, status, currency, subtotal_amount, "
        "delivery_fee_amount, total_amount, paid_amount, payment_method, fulfillment_method, "
        "center_id, created_at, coupon_id) VALUES (1, 'p1', 1, 'fulfilled', 'CNY', 1000, 0, "
        "500, 500, 'pay_at_pickup', 'pickup', 1, '2026-01-01', 1)",
    ]
    with app.app_context():
        upgrade(revision=before)
        with db.engine.begin() as connection:
            for row in rows:
                connection.exec_driver_sql(row)
        upgrade()
        downgrade(revision=before)
        upgrade()
        with db.engine.connect() as connection:
            assert connection.execute(sa.text(
                "SELECT o.coupon_id, c.code FROM orders o JOIN coupons c ON c.id = o.coupon_id"
            )).all() == [(1, "HY-AAAA-BBBB")]
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        db.engine.dispose()


def test_counter_sales_and_desk_refunds_say_how_they_were_paid_after_the_upgrade(tmp_path):
    """The migration that records money as it was paid puts existing rows right: a counter
    sale's method from its payments (one way, or split), a desk refund's from its payment."""
    import sqlalchemy as sa
    from alembic.script import ScriptDirectory
    from flask_migrate import upgrade

    from tests.conftest import make_app

    app = make_app(f"sqlite:///{tmp_path / 'shop.db'}", tmp_path / "instance")
    order = ("INSERT INTO orders (id, public_id, user_id, status, currency, subtotal_amount, "
             "delivery_fee_amount, total_amount, paid_amount, payment_method, "
             "fulfillment_method, center_id, created_at, channel) VALUES ({id}, 'p{id}', "
             "NULL, 'fulfilled', 'CNY', 1000, 0, 1000, 1000, '{method}', '{how}', 1, "
             "'2026-01-01', '{channel}')")
    payment = ("INSERT INTO payments (id, order_id, method, status, amount, currency, "
               "created_at, updated_at) VALUES ({id}, {order}, '{method}', 'succeeded', "
               "{amount}, 'CNY', '2026-01-01', '2026-01-01')")
    rows = [
        "INSERT INTO users (id, email, password_hash, name, role, active, created_at) "
        "VALUES (1, 'a@example.com', 'x', '王', 'customer', 1, '2026-01-01')",
        "INSERT INTO centers (id, code, name_zh, is_pickup, is_delivery, province, city, "
        "district, address_zh, lat, lng, opens_at, closes_at, active, created_at) VALUES "
        "(1, 'SH-JA', '静安店', 1, 0, '上海市', '上海市', '静安区', '南京西路', 31.2, 121.4, "
        "'10:00', '21:00', 1, '2026-01-01')",
        order.format(id=1, method="pay_at_pickup", how="pickup", channel="store"),
        order.format(id=2, method="cash_on_delivery", how="delivery", channel="store"),
        order.format(id=3, method="pay_at_pickup", how="pickup", channel="store"),
        payment.format(id=1, order=1, method="wechat_scan", amount=600),
        payment.format(id=2, order=1, method="cash", amount=400),
        payment.format(id=3, order=2, method="alipay_scan", amount=1000),
        payment.format(id=4, order=3, method="card_terminal", amount=1000),
        "INSERT INTO refunds (id, order_id, payment_id, amount, currency, method, status, "
        "reason, \"full\", created_at) VALUES (1, 3, 4, 300, 'CNY', 'cash', 'succeeded', "
        "'x', 0, '2026-01-01')",
    ]
    with app.app_context():
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
        before = script.get_revision("a8c4e2d9f1b3").down_revision
        upgrade(revision=before)
        with db.engine.begin() as connection:
            for row in rows:
                connection.exec_driver_sql(row)
        upgrade()
        with db.engine.connect() as connection:
            assert connection.execute(sa.text(
                "SELECT id, payment_method FROM orders ORDER BY id")).all() == [
                (1, "split"), (2, "alipay_scan"), (3, "card_terminal")]
            assert connection.execute(sa.text("SELECT method FROM refunds")).scalar() \
                == "card_terminal"
        db.engine.dispose()
