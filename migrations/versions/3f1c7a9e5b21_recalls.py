"""Recall campaigns: a lot's recall and the follow-up calls that belong to it.

Revision ID: 3f1c7a9e5b21
Revises: 08d5c447468d
Create Date: 2026-11-23 17:50:00

"""
from alembic import op
import sqlalchemy as sa

import core.models


# revision identifiers, used by Alembic.
revision = '3f1c7a9e5b21'
down_revision = '08d5c447468d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'recall_campaigns',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('lot_id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('batch', sa.String(length=40), nullable=False),
        sa.Column('advice', sa.String(length=500), nullable=True),
        sa.Column('opened_by_id', sa.Integer(), nullable=True),
        sa.Column('opened_at', core.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['lot_id'], ['lots.id'],
                                name=op.f('fk_recall_campaigns_lot_id_lots')),
        sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'],
                                name=op.f('fk_recall_campaigns_opened_by_id_users')),
        sa.ForeignKeyConstraint(['product_id'], ['products.id'],
                                name=op.f('fk_recall_campaigns_product_id_products')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recall_campaigns')),
        sa.UniqueConstraint('lot_id', name=op.f('uq_recall_campaigns_lot_id')),
    )
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recall_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_followups_recall_id'), ['recall_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_followups_recall_id_recall_campaigns'),
                                    'recall_campaigns', ['recall_id'], ['id'])


def downgrade():
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_followups_recall_id_recall_campaigns'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_followups_recall_id'))
        batch_op.drop_column('recall_id')
    op.drop_table('recall_campaigns')
