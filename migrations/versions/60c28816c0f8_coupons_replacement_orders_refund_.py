"""coupons, replacement orders, refund requests

Revision ID: 60c28816c0f8
Revises: 5b7e2d4a9c10
Create Date: 2026-11-23 18:38:46.841145

"""
from alembic import op
import sqlalchemy as sa

import core.models


# revision identifiers, used by Alembic.
revision = '60c28816c0f8'
down_revision = '5b7e2d4a9c10'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('coupons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('minimum_order_amount', sa.Integer(), nullable=False),
    sa.Column('valid_from', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('valid_until', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('source_ref', sa.String(length=40), nullable=True),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('used_at', core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("source IN ('complaint', 'birthday', 'manual')", name=op.f('ck_coupons_source_known')),
    sa.CheckConstraint("state IN ('issued', 'used', 'expired', 'void')", name=op.f('ck_coupons_state_known')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_coupons_amount_positive')),
    sa.CheckConstraint('minimum_order_amount >= 0', name=op.f('ck_coupons_minimum_nonnegative')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_coupons_created_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_coupons_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coupons')),
    sa.UniqueConstraint('code', name=op.f('uq_coupons_code'))
    )
    with op.batch_alter_table('coupons', schema=None) as batch_op:
        batch_op.create_index('ix_coupons_user_state', ['user_id', 'state'], unique=False)

    op.create_table('refund_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('refund_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('amount > 0', name=op.f('ck_refund_requests_amount_positive')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_refund_requests_order_id_orders')),
    sa.ForeignKeyConstraint(['refund_id'], ['refunds.id'], name=op.f('fk_refund_requests_refund_id_refunds')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_refund_requests_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refund_requests'))
    )
    with op.batch_alter_table('refund_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refund_requests_closed_at'), ['closed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_refund_requests_order_id'), ['order_id'], unique=False)

    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('coupon_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('replacement_order_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_complaints_replacement_order_id_orders'), 'orders', ['replacement_order_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_complaints_coupon_id_coupons'), 'coupons', ['coupon_id'], ['id'])

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('coupon_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('coupon_discount_amount', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('replacement_of_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_orders_coupon_id'), ['coupon_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_replacement_of_id'), ['replacement_of_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_orders_replacement_of_id_orders'), 'orders', ['replacement_of_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_orders_coupon_id_coupons'), 'coupons', ['coupon_id'], ['id'])



def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_orders_coupon_id_coupons'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_orders_replacement_of_id_orders'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_orders_replacement_of_id'))
        batch_op.drop_index(batch_op.f('ix_orders_coupon_id'))
        batch_op.drop_column('replacement_of_id')
        batch_op.drop_column('coupon_discount_amount')
        batch_op.drop_column('coupon_id')

    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_complaints_coupon_id_coupons'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_complaints_replacement_order_id_orders'), type_='foreignkey')
        batch_op.drop_column('replacement_order_id')
        batch_op.drop_column('coupon_id')

    with op.batch_alter_table('refund_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refund_requests_order_id'))
        batch_op.drop_index(batch_op.f('ix_refund_requests_closed_at'))

    op.drop_table('refund_requests')
    with op.batch_alter_table('coupons', schema=None) as batch_op:
        batch_op.drop_index('ix_coupons_user_state')

    op.drop_table('coupons')
