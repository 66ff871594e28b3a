"""The follow-up rules as a test wants them."""

import sqlalchemy as sa

from crm.followups.models import FollowUpRule


def rule(session, kind, **change):
    row = session.execute(sa.select(FollowUpRule).where(FollowUpRule.kind == kind)).scalar_one()
    for key, value in change.items():
        setattr(row, key, value)
    session.flush()
    return row
