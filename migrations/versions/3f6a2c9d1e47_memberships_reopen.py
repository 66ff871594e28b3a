"""a closed membership frees its user: one open membership per user

Revision ID: 3f6a2c9d1e47
Revises: 08d5c447468d
Create Date: 2026-11-23 17:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3f6a2c9d1e47'
down_revision = '08d5c447468d'
branch_labels = None
depends_on = None

OPEN = sa.text("closed_at IS NULL")


def upgrade():
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_memberships_user_id'), type_='unique')
        batch_op.create_index(batch_op.f('ix_memberships_user_id'), ['user_id'], unique=False)
    op.create_index('uq_memberships_open_user_id', 'memberships', ['user_id'], unique=True,
                    sqlite_where=OPEN, postgresql_where=OPEN)


def downgrade():
    op.drop_index('uq_memberships_open_user_id', table_name='memberships')
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_memberships_user_id'))
        batch_op.create_unique_constraint(batch_op.f('uq_memberships_user_id'), ['user_id'])
