"""The outcome measures by month, stored (month x center, product, agent, field, segment
move), so the dashboard reads small rows instead of scanning orders.

Revision ID: 7c1e5a0d9b42
Revises: 155278893f8b
Create Date: 2026-12-05 13:55:00

"""
from alembic import op
import sqlalchemy as sa

import core.models


# revision identifiers, used by Alembic.
revision = '7c1e5a0d9b42'
down_revision = '155278893f8b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('measure_months',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('measure', sa.String(length=20), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('breakdown', sa.String(length=10), nullable=False),
    sa.Column('item', sa.String(length=60), nullable=True),
    sa.Column('base', sa.Integer(), nullable=False),
    sa.Column('part', sa.Integer(), nullable=False),
    sa.Column('second_part', sa.Integer(), nullable=False),
    sa.Column('computed_at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("measure IN ('satisfaction', 'return', 'sla', 'profile', 'missing', 'moves')", name=op.f('ck_measure_months_measure_known')),
    sa.CheckConstraint("breakdown IN ('all', 'center', 'product', 'agent', 'field', 'segments')", name=op.f('ck_measure_months_breakdown_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measure_months'))
    )
    with op.batch_alter_table('measure_months', schema=None) as batch_op:
        batch_op.create_index('ix_measure_months_measure_month', ['measure', 'month'], unique=False)


def downgrade():
    with op.batch_alter_table('measure_months', schema=None) as batch_op:
        batch_op.drop_index('ix_measure_months_measure_month')

    op.drop_table('measure_months')
