"""A counter sale records how it was really paid (one way, or split) and a refund the way
its payment came (cash, card terminal, WeChat or Alipay scan, Stripe); a pickup sold at a
counter can wait for a transfer of its units from another center, which carries it.

Existing rows are put right: a counter sale's payment method is read from its payments,
and a refund made at the desk takes the method of the payment it went back through.

Revision ID: a8c4e2d9f1b3
Revises: 0c5d7e9a1b24
Create Date: 2026-12-05 14:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a8c4e2d9f1b3'
down_revision = '0c5d7e9a1b24'
branch_labels = None
depends_on = None

_OLD_PAYMENT = "payment_method IN ('pay_at_pickup', 'cash_on_delivery', 'stripe')"
_NEW_PAYMENT = ("payment_method IN ('pay_at_pickup', 'cash_on_delivery', 'stripe', 'cash', "
                "'card_terminal', 'wechat_scan', 'alipay_scan', 'split')")
_OLD_STATUS = ("status IN ('reserved', 'ready', 'picked_up', 'dispatched', 'delivered', "
               "'cancelled')")
_NEW_STATUS = ("status IN ('reserved', 'ready', 'picked_up', 'dispatched', 'delivered', "
               "'cancelled', 'transferring')")


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_orders_payment_method_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_orders_payment_method_known'), _NEW_PAYMENT)
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.alter_column('method', existing_type=sa.String(length=10),
                              type_=sa.String(length=20), existing_nullable=False)
    with op.batch_alter_table('fulfillments', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_fulfillments_status_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_fulfillments_status_known'), _NEW_STATUS)
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fulfillment_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_transfers_fulfillment_id'), ['fulfillment_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_transfers_fulfillment_id_fulfillments'),
                                    'fulfillments', ['fulfillment_id'], ['id'])
    # what was recorded before: counter sales "at pickup" / "on delivery", refunds "cash"
    op.execute(
        "UPDATE orders SET payment_method = CASE "
        "WHEN (SELECT COUNT(DISTINCT p.method) FROM payments p WHERE p.order_id = orders.id "
        "AND p.status = 'succeeded') > 1 THEN 'split' "
        "ELSE COALESCE((SELECT MIN(p.method) FROM payments p WHERE p.order_id = orders.id "
        "AND p.status = 'succeeded' AND p.method <> 'stripe'), 'cash') END "
        "WHERE channel = 'store'")
    op.execute(
        "UPDATE refunds SET method = (SELECT p.method FROM payments p "
        "WHERE p.id = refunds.payment_id) WHERE method = 'cash'")


def downgrade():
    op.execute("UPDATE refunds SET method = 'cash' WHERE method <> 'stripe'")
    op.execute("UPDATE orders SET payment_method = CASE fulfillment_method "
               "WHEN 'pickup' THEN 'pay_at_pickup' ELSE 'cash_on_delivery' END "
               "WHERE channel = 'store'")
    op.execute("UPDATE fulfillments SET status = 'reserved' WHERE status = 'transferring'")
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_transfers_fulfillment_id_fulfillments'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_transfers_fulfillment_id'))
        batch_op.drop_column('fulfillment_id')
    with op.batch_alter_table('fulfillments', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_fulfillments_status_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_fulfillments_status_known'), _OLD_STATUS)
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.alter_column('method', existing_type=sa.String(length=20),
                              type_=sa.String(length=10), existing_nullable=False)
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_orders_payment_method_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_orders_payment_method_known'), _OLD_PAYMENT)
