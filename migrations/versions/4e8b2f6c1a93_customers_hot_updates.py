"""Customers: room on each page for the figure job's updates, and no index on the RFM
segment, so rewriting every customer's figures stays on the same page (a HOT update) and
touches none of the table's indexes.

Revision ID: 4e8b2f6c1a93
Revises: 9a4d1c7e2b35
Create Date: 2026-11-23 21:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '4e8b2f6c1a93'
down_revision = '9a4d1c7e2b35'
branch_labels = None
depends_on = None

#: the share of each page new rows fill (PostgreSQL); the rest is kept for updated rows
FILLFACTOR = 70


def upgrade():
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index('ix_customers_rfm_segment')
    if op.get_bind().dialect.name == 'postgresql':
        # Applies to pages written from now on; VACUUM FULL customers repacks the old ones.
        op.execute(f'ALTER TABLE customers SET (fillfactor = {FILLFACTOR})')


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE customers RESET (fillfactor)')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.create_index('ix_customers_rfm_segment', ['rfm_segment'], unique=False)
