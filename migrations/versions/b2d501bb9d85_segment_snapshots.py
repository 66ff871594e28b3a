"""The monthly snapshot of every customer: RFM segment, complete required profile, favourite
center (segment movement and the profile collection rate over time).

Revision ID: b2d501bb9d85
Revises: 4f8bff3f78c6
Create Date: 2026-12-05 11:37:01.555751

"""
from alembic import op
import sqlalchemy as sa

import core.models


# revision identifiers, used by Alembic.
revision = 'b2d501bb9d85'
down_revision = '4f8bff3f78c6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('segment_snapshots',
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('segment', sa.String(length=20), nullable=True),
    sa.Column('profile_complete', sa.Boolean(), nullable=False),
    sa.Column('center_id', sa.Integer(), nullable=True),
    sa.Column('taken_at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['center_id'], ['centers.id'], name=op.f('fk_segment_snapshots_center_id_centers')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_segment_snapshots_customer_id_customers')),
    sa.PrimaryKeyConstraint('month', 'customer_id', name=op.f('pk_segment_snapshots'))
    )
    with op.batch_alter_table('segment_snapshots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_segment_snapshots_customer_id'), ['customer_id'], unique=False)



def downgrade():
    with op.batch_alter_table('segment_snapshots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_segment_snapshots_customer_id'))

    op.drop_table('segment_snapshots')
