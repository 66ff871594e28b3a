"""Accounts: server-side sessions, verified phone and e-mail, phone-only accounts.

Revision ID: f6d2e40bcf0e
Revises: b1d7e3a95c48
Create Date: 2026-12-05 10:35:42.515962

"""
from alembic import op
import sqlalchemy as sa

import core.models


# revision identifiers, used by Alembic.
revision = 'f6d2e40bcf0e'
down_revision = 'b1d7e3a95c48'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('user_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_sessions_token_hash'))
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sessions_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone_verified_at', core.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('email_verified_at', core.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.alter_column('email',
               existing_type=sa.VARCHAR(length=254),
               nullable=True)
        batch_op.alter_column('password_hash',
               existing_type=sa.VARCHAR(length=255),
               nullable=True)
        batch_op.create_index('uq_users_verified_phone', ['phone'], unique=True, sqlite_where=sa.text('phone_verified_at IS NOT NULL'), postgresql_where=sa.text('phone_verified_at IS NOT NULL'))
        batch_op.create_check_constraint(batch_op.f('ck_users_can_sign_in'),
                                         'email IS NOT NULL OR phone_verified_at IS NOT NULL')


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_users_can_sign_in'), type_='check')
        batch_op.drop_index('uq_users_verified_phone', sqlite_where=sa.text('phone_verified_at IS NOT NULL'), postgresql_where=sa.text('phone_verified_at IS NOT NULL'))
        batch_op.alter_column('password_hash',
               existing_type=sa.VARCHAR(length=255),
               nullable=False)
        batch_op.alter_column('email',
               existing_type=sa.VARCHAR(length=254),
               nullable=False)
        batch_op.drop_column('email_verified_at')
        batch_op.drop_column('phone_verified_at')

    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sessions_user_id'))

    op.drop_table('user_sessions')
