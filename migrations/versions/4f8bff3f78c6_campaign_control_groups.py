"""Campaigns with a control group: the held-out share and attribution window kept with the
campaign, and the customers held out.

Revision ID: 4f8bff3f78c6
Revises: 6b6071a5cebd
Create Date: 2026-12-05 11:30:04.624232

"""
from alembic import op
import sqlalchemy as sa

import core.models


# revision identifiers, used by Alembic.
revision = '4f8bff3f78c6'
down_revision = '6b6071a5cebd'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('campaign_holdouts',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('created_at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_holdouts_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_campaign_holdouts_customer_id_customers')),
    sa.PrimaryKeyConstraint('campaign_id', 'customer_id', name=op.f('pk_campaign_holdouts'))
    )
    with op.batch_alter_table('campaign_holdouts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_holdouts_customer_id'), ['customer_id'], unique=False)

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('holdout_percent', sa.SmallInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('attribution_days', sa.SmallInteger(), server_default='30', nullable=False))
        batch_op.create_check_constraint(op.f('ck_campaigns_holdout_percent_range'), 'holdout_percent BETWEEN 0 AND 50')
        batch_op.create_check_constraint(op.f('ck_campaigns_attribution_days_range'), 'attribution_days BETWEEN 1 AND 365')



def downgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_campaigns_attribution_days_range'), type_='check')
        batch_op.drop_constraint(op.f('ck_campaigns_holdout_percent_range'), type_='check')
        batch_op.drop_column('attribution_days')
        batch_op.drop_column('holdout_percent')

    with op.batch_alter_table('campaign_holdouts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_holdouts_customer_id'))

    op.drop_table('campaign_holdouts')
