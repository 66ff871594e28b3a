"""Coupons given by hand: why (a note), and who voided one and when.

Revision ID: b1d7e3a95c48
Revises: 4e8b2f6c1a93
Create Date: 2026-11-23 22:00:00

"""
from alembic import op
import sqlalchemy as sa

import core.models


# revision identifiers, used by Alembic.
revision = 'b1d7e3a95c48'
down_revision = '4e8b2f6c1a93'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('coupons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('note', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('voided_at', core.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('voided_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_coupons_voided_by_id_users'), 'users',
                                    ['voided_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('coupons', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_coupons_voided_by_id_users'), type_='foreignkey')
        batch_op.drop_column('voided_by_id')
        batch_op.drop_column('voided_at')
        batch_op.drop_column('note')
