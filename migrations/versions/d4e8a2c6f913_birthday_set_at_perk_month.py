"""Memberships: when the birthday was set, and the month whose birthday perk was given.

A member changes their birthday once a year, and double points need a birthday set before
the month began and this month's perk. A perk given before this migration was given in the
birthday's month (the job gives it then): that month is filled in.

Revision ID: d4e8a2c6f913
Revises: bd2be50bbeca
Create Date: 2026-12-05 12:00:00

"""
from alembic import op
import sqlalchemy as sa

import core.models


# revision identifiers, used by Alembic.
revision = 'd4e8a2c6f913'
down_revision = 'bd2be50bbeca'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('birthday_set_at', core.models.UTCDateTime(),
                                      nullable=True))
        batch_op.add_column(sa.Column('birthday_perk_month', sa.Integer(), nullable=True))
    memberships = sa.table('memberships', sa.column('id', sa.Integer),
                           sa.column('birthday', sa.Date),
                           sa.column('birthday_perk_year', sa.Integer),
                           sa.column('birthday_perk_month', sa.Integer))
    bind = op.get_bind()
    given = bind.execute(sa.select(memberships.c.id, memberships.c.birthday).where(
        memberships.c.birthday_perk_year.is_not(None),
        memberships.c.birthday.is_not(None))).all()
    for month in range(1, 13):
        ids = [row.id for row in given if row.birthday.month == month]
        for start in range(0, len(ids), 500):
            bind.execute(sa.update(memberships)
                         .where(memberships.c.id.in_(ids[start:start + 500]))
                         .values(birthday_perk_month=month))


def downgrade():
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_column('birthday_perk_month')
        batch_op.drop_column('birthday_set_at')
