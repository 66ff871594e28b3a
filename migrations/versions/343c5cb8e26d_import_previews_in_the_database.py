"""Customer sheets waiting for an import's confirmation live in the database, so any node can
confirm them.

Revision ID: 343c5cb8e26d
Revises: e7a3c1f5b920
Create Date: 2026-12-05 11:57:14.204370

"""
from alembic import op
import sqlalchemy as sa

import core.models


# revision identifiers, used by Alembic.
revision = '343c5cb8e26d'
down_revision = 'e7a3c1f5b920'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('import_previews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_previews')),
    sa.UniqueConstraint('token', name=op.f('uq_import_previews_token'))
    )
    with op.batch_alter_table('import_previews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_previews_created_at'), ['created_at'], unique=False)



def downgrade():
    with op.batch_alter_table('import_previews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_previews_created_at'))

    op.drop_table('import_previews')
