"""merge payments and fulfillment

Revision ID: b89d079286b3
Revises: 9d8fd6974a2a, e2f949764622
Create Date: 2026-11-23 13:07:59.796667

"""
from alembic import op
import sqlalchemy as sa

import core.models


# revision identifiers, used by Alembic.
revision = 'b89d079286b3'
down_revision = ('9d8fd6974a2a', 'e2f949764622')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
