"""The committed migrations build exactly the schema the models describe, on both backends."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from core.extensions import db


def test_models_and_migrations_agree(app, session):
    context = MigrationContext.configure(
        session.connection(), opts={"compare_type": True, "render_as_batch": True})
    diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_check_constraints_hold(app, session, shop):
    import pytest
    import sqlalchemy as sa

    from fulfillment.models import Stock

    with pytest.raises(sa.exc.IntegrityError):
        with session.begin_nested():
            session.execute(sa.update(Stock).where(Stock.center_id == shop.store.id)
                            .values(reserved=Stock.on_hand + 1))
