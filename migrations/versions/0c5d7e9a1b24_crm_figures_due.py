"""A customer's figures are refreshed after the order's commit: the queue of those due

Revision ID: 0c5d7e9a1b24
Revises: 7c1e5a0d9b42
Create Date: 2026-12-05 14:00:00
"""

import sqlalchemy as sa
from alembic import op

import core.models

revision = "0c5d7e9a1b24"
down_revision = "7c1e5a0d9b42"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "crm_figures_due",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("since", core.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_crm_figures_due_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_crm_figures_due")),
    )


def downgrade():
    op.drop_table("crm_figures_due")
