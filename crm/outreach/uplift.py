"""What a campaign caused: its contacted customers against its held-out control group.

Contacted are the customers a message of the campaign was delivered to (status sent) or a
call of it reached (done); held out are those ``campaigns.hold_out`` set aside. Each
customer's window starts when the sending planned the message or call (held out: when
it held them out) and lasts the campaign's ``attribution_days``. In it: did the customer
order, how many orders, the revenue, and did they come to a store (a pickup order).

The difference contacted - held out has a 95 % interval by the normal approximation:
for a share, the Agresti-Caffo interval for a difference of two proportions (the Wald
interval after adding one success and one failure to each group, which keeps its
coverage with small groups and shares near 0 or 1); for a per-customer mean, the
difference of means with Welch's standard error. When the interval holds 0, or either
group has fewer than MIN_GROUP customers, the difference is within noise.

One statement: the groups as a UNION ALL, each customer's orders in the window grouped per
customer, then summed per group (count, sum and sum of squares).
"""

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask_babel import format_decimal, format_percent
from flask_babel import lazy_gettext as _l

from core.extensions import db
from core.models import UTCDateTime
from core.sql import plus_days
from crm.club.models import EventRegistration, RegistrationStatus
from crm.customers.figures import COUNTED
from crm.customers.models import Customer
from crm.followups.models import FollowUp, FollowUpStatus
from storefront.loyalty.models import Membership
from storefront.models import Order

from .models import Campaign, CampaignHoldout, OutboxMessage, OutboxStatus

#: orders within this many days of an event count as its outcome
EVENT_DAYS = 30

Z95 = 1.959963984540054
#: fewer customers than this in either group: too few to tell anything from noise
MIN_GROUP = 20
CONTACTED, HELD_OUT = "contacted", "held_out"
MEASURES = ("ordered", "orders", "revenue", "store")
SHARES = ("ordered", "store")


@dataclass(frozen=True)
class Difference:
    """contacted - held out, with its 95 % interval."""

    contacted: float
    held_out: float
    diff: float
    low: float
    high: float
    #: a group has fewer than MIN_GROUP customers
    too_few: bool = False

    @property
    def noise(self) -> bool:
        """The interval holds 0 (or the groups are too small): no difference can be told
        from chance."""
        return self.too_few or self.low <= 0 <= self.high

    @property
    def relative(self) -> float | None:
        """The difference as a share of the held-out figure (None when that is 0)."""
        return self.diff / self.held_out if self.held_out else None


def proportion_difference(x1: int, n1: int, x0: int, n0: int, z: float = Z95) -> Difference:
    """Share ``x1/n1`` less ``x0/n0`` with the Agresti-Caffo interval."""
    a1, a0 = (x1 + 1) / (n1 + 2), (x0 + 1) / (n0 + 2)
    se = math.sqrt(a1 * (1 - a1) / (n1 + 2) + a0 * (1 - a0) / (n0 + 2))
    mid = a1 - a0
    return Difference(x1 / n1, x0 / n0, x1 / n1 - x0 / n0, mid - z * se, mid + z * se,
                      min(n1, n0) < MIN_GROUP)


def mean_difference(s1: float, q1: float, n1: int, s0: float, q0: float, n0: int,
                    z: float = Z95) -> Difference:
    """Mean ``s1/n1`` less ``s0/n0`` from sums ``s`` and sums of squares ``q``, with
    Welch's standard error (sample variances)."""
    m1, m0 = s1 / n1, s0 / n0
    v1 = max(q1 - n1 * m1 * m1, 0) / (n1 - 1) if n1 > 1 else 0.0
    v0 = max(q0 - n0 * m0 * m0, 0) / (n0 - 1) if n0 > 1 else 0.0
    se = math.sqrt(v1 / n1 + v0 / n0)
    d = m1 - m0
    return Difference(m1, m0, d, d - z * se, d + z * se, min(n1, n0) < MIN_GROUP)


def _groups(campaign: Campaign) -> sa.Subquery:
    """``(customer_id, grp, start)`` of the contacted and the held out."""
    if campaign.channel == "phone":
        contacted = sa.select(FollowUp.customer_id, sa.literal(CONTACTED).label("grp"),
                              FollowUp.created_at.label("start")).where(
            FollowUp.campaign_id == campaign.id, FollowUp.status == FollowUpStatus.DONE)
    else:
        contacted = sa.select(OutboxMessage.customer_id, sa.literal(CONTACTED).label("grp"),
                              OutboxMessage.created_at.label("start")).where(
            OutboxMessage.campaign_id == campaign.id,
            OutboxMessage.status == OutboxStatus.SENT)
    held = sa.select(CampaignHoldout.customer_id, sa.literal(HELD_OUT),
                     CampaignHoldout.created_at).where(
        CampaignHoldout.campaign_id == campaign.id)
    return sa.union_all(contacted, held).subquery("grp")


def _sums(g: sa.Subquery, days: int) -> dict[str, dict]:
    """Per group of ``g`` (``customer_id, grp, start``): customers, the last start, and the
    sums of their orders in the ``days`` from each one's start."""
    in_window = sa.and_(Order.user_id == Customer.user_id, Order.status.in_(COUNTED),
                        Order.created_at >= g.c.start,
                        Order.created_at < plus_days(g.c.start, days))
    per_customer = (sa.select(
        g.c.grp, g.c.customer_id, sa.func.max(g.c.start).label("start"),
        sa.func.count(Order.id).label("orders"),
        sa.func.coalesce(sa.func.sum(Order.total_amount), 0).label("revenue"),
        sa.func.count(Order.id).filter(Order.fulfillment_method == "pickup").label("store"))
        .select_from(g).join(Customer, Customer.id == g.c.customer_id)
        .outerjoin(Order, in_window)
        .group_by(g.c.grp, g.c.customer_id).subquery("per_customer"))
    c = per_customer.c
    orders, revenue = sa.cast(c.orders, sa.Float), sa.cast(c.revenue, sa.Float) / 100
    rows = db.session.execute(sa.select(
        c.grp, sa.func.count(), sa.func.max(c.start),
        sa.func.sum(sa.case((c.orders > 0, 1), else_=0)),
        sa.func.sum(orders), sa.func.sum(orders * orders),
        sa.func.sum(revenue), sa.func.sum(revenue * revenue),
        sa.func.sum(sa.case((c.store > 0, 1), else_=0)),
    ).group_by(c.grp)).all()
    return {grp: {"n": int(n), "last_start": last, "ordered": int(ordered or 0),
                  "orders": (float(so or 0), float(qo or 0)),
                  "revenue": (float(sr or 0), float(qr or 0)), "store": int(store or 0)}
            for grp, n, last, ordered, so, qo, sr, qr, store in rows}


def outcome(campaign: Campaign, now) -> dict:
    """``{"state": "none" | "measuring" | "done", ...}``: none without a control group (or
    before anyone was contacted); measuring until the window of the last sending ends
    (``until``); done with the group sizes and a ``Difference`` per measure (``ordered``
    and ``store`` are shares; ``orders`` and ``revenue`` in yuan are per customer)."""
    return compare(_groups(campaign), campaign.attribution_days, now)


def event_outcome(event, now) -> dict:
    """``outcome`` for an event: those who came (checked in: CONTACTED) against members
    registered who did not (HELD_OUT), orders within EVENT_DAYS of its start. Not before
    it has started."""
    came = EventRegistration.checked_in_at.is_not(None)
    groups = (sa.select(Customer.id.label("customer_id"),
                        sa.case((came, CONTACTED), else_=HELD_OUT).label("grp"),
                        sa.literal(event.starts_at, UTCDateTime()).label("start"))
              .select_from(EventRegistration)
              .join(Membership, Membership.id == EventRegistration.membership_id)
              .join(Customer, Customer.user_id == Membership.user_id)
              .where(EventRegistration.event_id == event.id,
                     EventRegistration.status == RegistrationStatus.REGISTERED)
              .subquery("grp"))
    if now < _as_utc(event.starts_at):
        return {"state": "none"}
    return compare(groups, EVENT_DAYS, now)


def compare(groups: sa.Subquery, days: int, now) -> dict:
    """``outcome`` for any two groups: ``groups`` selects ``customer_id``, ``grp``
    (CONTACTED or HELD_OUT) and ``start``; orders count for ``days`` from each start."""
    sums = _sums(groups, days)
    a, b = sums.get(CONTACTED), sums.get(HELD_OUT)
    if not b:
        return {"state": "none"}
    last = max(_as_utc(x["last_start"]) for x in (a, b) if x)
    until = last + timedelta(days=days)
    if now < until:
        return {"state": "measuring", "until": until, "contacted": a["n"] if a else 0,
                "held_out": b["n"]}
    if not a:
        return {"state": "none"}
    n1, n0 = a["n"], b["n"]
    return {
        "state": "done", "until": until, "days": days, "contacted": n1, "held_out": b["n"],
        "ordered": proportion_difference(a["ordered"], n1, b["ordered"], n0),
        "store": proportion_difference(a["store"], n1, b["store"], n0),
        "orders": mean_difference(*a["orders"], n1, *b["orders"], n0),
        "revenue": mean_difference(*a["revenue"], n1, *b["revenue"], n0),
    }


def _as_utc(value):
    """A timestamp read through MAX() (SQLite returns its text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def outcome_rows(result: dict) -> list[dict]:
    """The outcome's measures as the page shows them, numbers in the reader's language:
    shares in per cent (the difference in percentage points), means with two decimals."""
    labels = {"ordered": _l("Customers who ordered"), "orders": _l("Orders per customer"),
              "revenue": _l("Revenue per customer (yuan)"),
              "store": _l("Came to a store (pickup order)")}
    rows = []
    for key in ("ordered", "orders", "revenue", "store"):
        d: Difference = result[key]
        if key in SHARES:
            value = lambda x: format_percent(x, "#,##0.0%")  # noqa: E731
            delta = lambda x: format_decimal(x * 100, "+#,##0.0;-#,##0.0")  # noqa: E731
        else:
            value = lambda x: format_decimal(x, "#,##0.00")  # noqa: E731
            delta = lambda x: format_decimal(x, "+#,##0.00;-#,##0.00")  # noqa: E731
        rows.append({"key": key, "label": labels[key], "contacted": value(d.contacted),
                     "held_out": value(d.held_out), "diff": delta(d.diff),
                     "low": delta(d.low), "high": delta(d.high), "noise": d.noise,
                     "points": key in SHARES,
                     "relative": (format_percent(d.relative, "+#,##0.0%;-#,##0.0%")
                                  if d.relative is not None else None)})
    return rows
