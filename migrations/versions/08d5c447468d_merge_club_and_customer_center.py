"""merge club and customer center

Revision ID: 08d5c447468d
Revises: ad4470052b38, b89d079286b3, c5a1e0f3b7d2
Create Date: 2026-11-23 14:08:53.143394

"""
from alembic import op
import sqlalchemy as sa

import core.models


# revision identifiers, used by Alembic.
revision = '08d5c447468d'
down_revision = ('ad4470052b38', 'b89d079286b3', 'c5a1e0f3b7d2')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
