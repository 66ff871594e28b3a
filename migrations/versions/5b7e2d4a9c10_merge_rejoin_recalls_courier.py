"""merge rejoining members, recalls and courier shipments

Revision ID: 5b7e2d4a9c10
Revises: 3f6a2c9d1e47, 3f1c7a9e5b21, f3c1a9d2b7e4
Create Date: 2026-11-23 18:40:00

"""

# revision identifiers, used by Alembic.
revision = '5b7e2d4a9c10'
down_revision = ('3f6a2c9d1e47', '3f1c7a9e5b21', 'f3c1a9d2b7e4')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
