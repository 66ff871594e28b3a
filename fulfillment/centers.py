"""Reading centers for the pages above: by id in one query, and the active ones in order."""

import sqlalchemy as sa

from core.extensions import db

from .models import Center


def centers_by_id(center_ids) -> dict[int, Center]:
    """``{id: center}`` for these ids (None skipped), in one query."""
    ids = {i for i in center_ids if i is not None}
    if not ids:
        return {}
    return {c.id: c for c in db.session.execute(
        sa.select(Center).where(Center.id.in_(ids))).scalars()}


def active_centers() -> list[Center]:
    """The active centers, by code."""
    return list(db.session.execute(
        sa.select(Center).where(Center.active.is_(True)).order_by(Center.code)).scalars())
