"""merge coupons and campaigns

Revision ID: 9a4d1c7e2b35
Revises: 60c28816c0f8, 7c3e9a1d5f20
Create Date: 2026-11-23 19:30:00

"""

# revision identifiers, used by Alembic.
revision = '9a4d1c7e2b35'
down_revision = ('60c28816c0f8', '7c3e9a1d5f20')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
