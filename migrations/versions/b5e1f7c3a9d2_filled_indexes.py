"""Keys most rows leave empty are indexed only where filled: an order's coupon and the order
it replaces, a fulfillment's slot, a ledger line's lot, a message's claim and campaign. A new
row with them empty (most orders, every confirmation) writes no entry for them. The index of a
message's customer alone goes: the one by customer and time serves that look-up.

Revision ID: b5e1f7c3a9d2
Revises: a8c4e2d9f1b3
Create Date: 2026-12-06 07:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b5e1f7c3a9d2'
down_revision = 'a8c4e2d9f1b3'
branch_labels = None
depends_on = None

#: (table, column) indexed where filled
_FILLED = [("orders", "coupon_id"), ("orders", "replacement_of_id"),
           ("fulfillments", "slot_id"), ("stock_movements", "lot_id"),
           ("outbox_messages", "claim_token"), ("outbox_messages", "campaign_id")]


def upgrade():
    for table, column in _FILLED:
        name = f"ix_{table}_{column}"
        op.drop_index(name, table_name=table)
        filled = sa.text(f"{column} IS NOT NULL")
        op.create_index(name, table, [column], postgresql_where=filled, sqlite_where=filled)
    op.drop_index("ix_outbox_messages_customer_id", table_name="outbox_messages")


def downgrade():
    op.create_index("ix_outbox_messages_customer_id", "outbox_messages", ["customer_id"])
    for table, column in _FILLED:
        name = f"ix_{table}_{column}"
        op.drop_index(name, table_name=table)
        op.create_index(name, table, [column])
