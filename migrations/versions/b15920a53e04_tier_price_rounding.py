"""Tiers: how each tier's member prices are rounded (down, to a multiple of 1, 10, 100 or
1000 fen); existing tiers keep exact prices.

Revision ID: b15920a53e04
Revises: b2d501bb9d85
Create Date: 2026-12-05 11:21:19.533551

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b15920a53e04'
down_revision = 'b2d501bb9d85'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tiers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('price_rounding', sa.Integer(), server_default='1',
                                      nullable=False))
        batch_op.create_check_constraint(op.f('ck_tiers_rounding_known'),
                                         'price_rounding IN (1, 10, 100, 1000)')


def downgrade():
    with op.batch_alter_table('tiers', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_tiers_rounding_known'), type_='check')
        batch_op.drop_column('price_rounding')
