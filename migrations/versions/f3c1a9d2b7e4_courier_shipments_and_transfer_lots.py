"""courier shipments (carrier, tracking number) and the lots a transfer moves

Revision ID: f3c1a9d2b7e4
Revises: 08d5c447468d
Create Date: 2026-11-23 17:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f3c1a9d2b7e4'
down_revision = '08d5c447468d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('fulfillments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('carrier', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('tracking_number', sa.String(length=60), nullable=True))
        batch_op.drop_constraint(batch_op.f('ck_fulfillments_method_known'), type_='check')
        batch_op.create_check_constraint(
            'method_known', "method IN ('pickup', 'delivery', 'courier')")

    op.create_table(
        'transfer_lots',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('transfer_id', sa.Integer(), nullable=False),
        sa.Column('lot_id', sa.Integer(), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('to_lot_id', sa.Integer(), nullable=True),
        sa.CheckConstraint('quantity > 0', name=op.f('ck_transfer_lots_quantity_positive')),
        sa.ForeignKeyConstraint(['lot_id'], ['lots.id'],
                                name=op.f('fk_transfer_lots_lot_id_lots')),
        sa.ForeignKeyConstraint(['to_lot_id'], ['lots.id'],
                                name=op.f('fk_transfer_lots_to_lot_id_lots')),
        sa.ForeignKeyConstraint(['transfer_id'], ['transfers.id'],
                                name=op.f('fk_transfer_lots_transfer_id_transfers'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_lots')),
        sa.UniqueConstraint('transfer_id', 'lot_id', name='uq_transfer_lots_transfer_lot'),
    )
    with op.batch_alter_table('transfer_lots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfer_lots_lot_id'), ['lot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfer_lots_to_lot_id'), ['to_lot_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_transfer_lots_transfer_id'), ['transfer_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('transfer_lots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfer_lots_transfer_id'))
        batch_op.drop_index(batch_op.f('ix_transfer_lots_to_lot_id'))
        batch_op.drop_index(batch_op.f('ix_transfer_lots_lot_id'))
    op.drop_table('transfer_lots')
    with op.batch_alter_table('fulfillments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_fulfillments_method_known'), type_='check')
        batch_op.create_check_constraint('method_known', "method IN ('pickup', 'delivery')")
        batch_op.drop_column('tracking_number')
        batch_op.drop_column('carrier')
