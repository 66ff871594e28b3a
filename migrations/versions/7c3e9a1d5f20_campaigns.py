"""Campaigns over saved segments: their messages and calls carry the campaign.

Revision ID: 7c3e9a1d5f20
Revises: 5b7e2d4a9c10
Create Date: 2026-11-23 18:55:00

"""
from alembic import op
import sqlalchemy as sa

import core.models


# revision identifiers, used by Alembic.
revision = '7c3e9a1d5f20'
down_revision = '5b7e2d4a9c10'
branch_labels = None
depends_on = None

_LINKED = ('followups', 'outbox_messages')


def upgrade():
    op.create_table(
        'campaigns',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('segment_id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=8), nullable=False),
        sa.Column('purpose', sa.String(length=10), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=True),
        sa.Column('script', sa.Text(), nullable=False),
        sa.Column('skipped_count', sa.Integer(), server_default='0', nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', core.models.UTCDateTime(), nullable=False),
        sa.Column('sent_at', core.models.UTCDateTime(), nullable=True),
        sa.Column('sent_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("channel IN ('sms', 'email', 'phone')",
                           name=op.f('ck_campaigns_channel_known')),
        sa.CheckConstraint("purpose IN ('service', 'marketing')",
                           name=op.f('ck_campaigns_purpose_known')),
        sa.CheckConstraint('skipped_count >= 0', name=op.f('ck_campaigns_skipped_nonnegative')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_campaigns_created_by_id_users')),
        sa.ForeignKeyConstraint(['segment_id'], ['saved_segments.id'],
                                name=op.f('fk_campaigns_segment_id_saved_segments')),
        sa.ForeignKeyConstraint(['sent_by_id'], ['users.id'],
                                name=op.f('fk_campaigns_sent_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns')),
    )
    for table in _LINKED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('campaign_id', sa.Integer(), nullable=True))
            batch_op.create_index(batch_op.f(f'ix_{table}_campaign_id'), ['campaign_id'],
                                  unique=False)
            batch_op.create_foreign_key(batch_op.f(f'fk_{table}_campaign_id_campaigns'),
                                        'campaigns', ['campaign_id'], ['id'])


def downgrade():
    for table in _LINKED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_campaign_id_campaigns'),
                                     type_='foreignkey')
            batch_op.drop_index(batch_op.f(f'ix_{table}_campaign_id'))
            batch_op.drop_column('campaign_id')
    op.drop_table('campaigns')
