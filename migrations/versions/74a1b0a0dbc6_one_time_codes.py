"""One-time codes and links: sign-in and reset codes by SMS, confirmation and reset links.

Revision ID: 74a1b0a0dbc6
Revises: f6d2e40bcf0e
Create Date: 2026-12-05 10:39:33.036770

"""
from alembic import op
import sqlalchemy as sa

import core.models


# revision identifiers, used by Alembic.
revision = '74a1b0a0dbc6'
down_revision = 'f6d2e40bcf0e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('one_time_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('target', sa.String(length=254), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('tries', sa.Integer(), nullable=False),
    sa.Column('created_at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', core.models.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("purpose IN ('sign_in', 'password_reset', 'verify_phone', 'verify_email')", name=op.f('ck_one_time_codes_purpose_known')),
    sa.CheckConstraint('tries >= 0', name=op.f('ck_one_time_codes_tries_not_negative')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_one_time_codes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_one_time_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_one_time_codes_code_hash'))
    )
    with op.batch_alter_table('one_time_codes', schema=None) as batch_op:
        batch_op.create_index('ix_one_time_codes_purpose_target', ['purpose', 'target'], unique=False)
        batch_op.create_index(batch_op.f('ix_one_time_codes_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('one_time_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_one_time_codes_user_id'))
        batch_op.drop_index('ix_one_time_codes_purpose_target')

    op.drop_table('one_time_codes')
