"""The address book: a shopper's saved delivery addresses, one of them the default.

Revision ID: 6d2e8b4f1a73
Revises: 74a1b0a0dbc6
Create Date: 2026-12-05 12:00:00

"""
from alembic import op
import sqlalchemy as sa

import core.models


# revision identifiers, used by Alembic.
revision = '6d2e8b4f1a73'
down_revision = '74a1b0a0dbc6'
branch_labels = None
depends_on = None

DEFAULT = sa.text("is_default")


def upgrade():
    op.create_table(
        'addresses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('phone', sa.String(length=32), nullable=False),
        sa.Column('province', sa.String(length=40), nullable=False),
        sa.Column('city', sa.String(length=40), nullable=False),
        sa.Column('district', sa.String(length=40), nullable=False),
        sa.Column('street', sa.String(length=200), nullable=False),
        sa.Column('lat', sa.Float(), nullable=True),
        sa.Column('lng', sa.Float(), nullable=True),
        sa.Column('is_default', sa.Boolean(), nullable=False),
        sa.Column('created_at', core.models.UTCDateTime(), nullable=False),
        sa.CheckConstraint('(lat IS NULL) = (lng IS NULL)',
                           name=op.f('ck_addresses_position_whole')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_addresses_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_addresses')),
    )
    with op.batch_alter_table('addresses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_addresses_user_id'), ['user_id'], unique=False)
    op.create_index('uq_addresses_default_user_id', 'addresses', ['user_id'], unique=True,
                    sqlite_where=DEFAULT, postgresql_where=DEFAULT)


def downgrade():
    op.drop_index('uq_addresses_default_user_id', table_name='addresses')
    with op.batch_alter_table('addresses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_addresses_user_id'))
    op.drop_table('addresses')
