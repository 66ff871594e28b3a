"""Counter sales: products carry an optional EAN-13 barcode; orders know their channel
(web or store), the clerk who sold them at a counter, and may have no user (an anonymous
walk-in, until claimed); a cash payment keeps what was handed over.

Revision ID: 6b6071a5cebd
Revises: 343c5cb8e26d
Create Date: 2026-12-05 11:10:51.862178

"""
from alembic import op
import sqlalchemy as sa


revision = '6b6071a5cebd'
down_revision = '343c5cb8e26d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=8), server_default='web',
                                      nullable=False))
        batch_op.add_column(sa.Column('clerk_id', sa.Integer(), nullable=True))
        batch_op.alter_column('user_id', existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_foreign_key(batch_op.f('fk_orders_clerk_id_users'), 'users',
                                    ['clerk_id'], ['id'])
        batch_op.create_check_constraint(op.f('ck_orders_channel_known'),
                                         "channel IN ('web', 'store')")
        batch_op.create_check_constraint(op.f('ck_orders_web_has_user'),
                                         "user_id IS NOT NULL OR channel = 'store'")

    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tendered_amount', sa.Integer(), nullable=True))

    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('barcode', sa.String(length=13), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_products_barcode'), ['barcode'])


def downgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_products_barcode'), type_='unique')
        batch_op.drop_column('barcode')

    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_column('tendered_amount')

    op.execute("DELETE FROM orders WHERE user_id IS NULL")
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_orders_web_has_user'), type_='check')
        batch_op.drop_constraint(op.f('ck_orders_channel_known'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_orders_clerk_id_users'), type_='foreignkey')
        batch_op.alter_column('user_id', existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column('clerk_id')
        batch_op.drop_column('channel')
