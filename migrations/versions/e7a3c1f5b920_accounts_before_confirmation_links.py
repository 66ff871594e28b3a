"""Accounts opened before confirmation links existed keep signing in with their e-mail.

An e-mail signs in with its password only once confirmed. Every account from before that
rule (opened by the old registration, by the back office or the command line) is taken as
confirmed from when it was opened, as the shop treated it then; new ones confirm by link.

Revision ID: e7a3c1f5b920
Revises: d4e8a2c6f913
Create Date: 2026-12-05 11:45:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e7a3c1f5b920'
down_revision = 'd4e8a2c6f913'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("UPDATE users SET email_verified_at = created_at "
               "WHERE email IS NOT NULL AND email_verified_at IS NULL")


def downgrade():
    pass  # the dates stay: they were true of the shop's trust before the rule
