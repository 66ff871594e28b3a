"""The outcome measures by month, stored: what the dashboard's measure charts and tables read."""

import sqlalchemy as sa

from core.clock import utcnow
from core.extensions import db
from core.models import UTCDateTime, one_of


class MeasureMonth(db.Model):
    """One month of one outcome measure, over every center (``breakdown`` 'all') or for one
    item of a breakdown (a center, a product, an agent, a profile field, a segment move).

    The ``measure_months`` job (``crm.reports.measures.store_months``) fills it set-based
    and refreshes the months that can still change; the dashboard reads these few rows
    instead of scanning orders, calls and complaints.

    What ``base``, ``part`` and ``second_part`` count, by measure:
    satisfaction: calls scored, the sum of their scores (1-5);
    return: buyers in the month, those who bought again within 90 days;
    sla: complaints, answered within the SLA, resolved within it (``second_part``);
    profile: customers in the month's snapshot, those with a complete required profile;
    missing: customers, those missing the field (``item``) at the job's run;
    moves: customers who went from one segment to another (``item`` 'from>to') between the
    month's snapshot and the one before.
    """

    __tablename__ = "measure_months"

    MEASURES = ("satisfaction", "return", "sla", "profile", "missing", "moves")
    BREAKDOWNS = ("all", "center", "product", "agent", "field", "segments")

    id = sa.Column(sa.Integer, primary_key=True)
    measure = sa.Column(sa.String(20), nullable=False)
    #: 'YYYY-MM' in the shop's zone
    month = sa.Column(sa.String(7), nullable=False)
    breakdown = sa.Column(sa.String(10), nullable=False)
    #: the center's, product's or agent's id (as text), the field, 'from>to'; None for
    #: every center together ('all') and for "no center" (a call or complaint without order)
    item = sa.Column(sa.String(60))
    base = sa.Column(sa.Integer, nullable=False, default=0)
    part = sa.Column(sa.Integer, nullable=False, default=0)
    second_part = sa.Column(sa.Integer, nullable=False, default=0)
    computed_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        sa.Index("ix_measure_months_measure_month", "measure", "month"),
        one_of("measure", MEASURES, name="measure_known"),
        one_of("breakdown", BREAKDOWNS, name="breakdown_known"),
    )
