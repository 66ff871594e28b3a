"""Customer merges: one profile merged into another (by an agent, or when the account proved
the phone or e-mail a prospect had), with what moved and who did it.

Revision ID: bd2be50bbeca
Revises: 6d2e8b4f1a73
Create Date: 2026-12-05 10:40:33.211438

"""
from alembic import op
import sqlalchemy as sa

import core.models


# revision identifiers, used by Alembic.
revision = 'bd2be50bbeca'
down_revision = '6d2e8b4f1a73'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('customer_merges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('absorbed_id', sa.Integer(), nullable=False),
    sa.Column('absorbed_user_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('moved', sa.JSON(), nullable=False),
    sa.Column('duplicates', sa.JSON(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("reason IN ('agent', 'verified_email', 'verified_phone')", name=op.f('ck_customer_merges_reason_known')),
    sa.ForeignKeyConstraint(['absorbed_user_id'], ['users.id'], name=op.f('fk_customer_merges_absorbed_user_id_users')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_customer_merges_actor_id_users')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_customer_merges_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_merges'))
    )
    with op.batch_alter_table('customer_merges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_merges_customer_id'), ['customer_id'], unique=False)



def downgrade():
    with op.batch_alter_table('customer_merges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_merges_customer_id'))

    op.drop_table('customer_merges')
