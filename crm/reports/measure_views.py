"""The outcome measures on the dashboard: profile collection, satisfaction, return rate,
segment movement, complaints against the SLA; each table also a CSV (``measure_tables``),
and a page for one cell of the segment movement matrix."""

import sqlalchemy as sa
from flask import abort, render_template, request
from flask_babel import gettext as _

from core.auth import roles_required
from core.clock import utcnow
from core.extensions import db
from core.i18n import localized
from core.models import User
from crm.customers import snapshots
from crm.customers.figures import Segment
from crm.customers.profiles import FIELD_LABELS, REQUIRED_FIELDS
from crm.web import CRM_ROLES, bp
from fulfillment.models import Center
from storefront.models import Product

from . import measures
from .dashboards import _names

SEGMENTS = (*Segment.ALL, snapshots.NO_SEGMENT)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


class _Named:
    def __init__(self, zh, en):
        self.name_zh, self.name_en = zh, en


def _named(names: tuple[str, str | None] | None) -> str:
    """A center's or product's name in the page's language; "—" for none (no order or
    product named)."""
    return localized(_Named(*names), "name") if names else "—"


def _namer(model, ids):
    names = _names(model, set(ids))
    return lambda i: _named(names.get(i))


def _sum(rows, *, by: str) -> dict:
    """``{item: [base, part, second_part]}`` of stored rows of one breakdown, months added
    up."""
    out: dict = {}
    for r in rows:
        if r.breakdown == by:
            cell = out.setdefault(r.item, [0, 0, 0])
            cell[0] += r.base
            cell[1] += r.part
            cell[2] += r.second_part
    return out


def _id(item: str | None) -> int | None:
    return int(item) if item is not None else None


class _Names:
    """The names of the centers, products and agents the rows name, one statement each."""

    def __init__(self, rows):
        ids = {by: {_id(r.item) for r in rows if r.breakdown == by} - {None}
               for by in ("center", "product", "agent")}
        self.center = _namer(Center, ids["center"])
        self.product = _namer(Product, ids["product"])
        agents = dict(db.session.execute(sa.select(User.id, User.name).where(
            User.id.in_(ids["agent"]))).all()) if ids["agent"] else {}
        self.agent = lambda key: agents.get(key) or "—"

    def __call__(self, breakdown: str, item: str | None) -> str:
        return getattr(self, breakdown)(_id(item))


def _by_center_month(rows, names, fields) -> list[tuple]:
    """``(month, center, *fields(row))`` of the rows by center, by month then center name."""
    out = [(r.month, names("center", r.item), *fields(r)) for r in rows if r.breakdown == "center"]
    return sorted(out, key=lambda row: (row[0], row[1]))


def _mean(total: int, n: int) -> float | None:
    return round(total / n, 2) if n else None


def _profile(rows, names, now) -> dict:
    whole = [r for r in rows if r.measure == "profile"]
    months = [r.month for r in whole if r.breakdown == "all" and r.base]
    latest = months[-1] if months else None
    last = [r for r in whole if r.month == latest]
    missing = sorted(((r.item, r.part, r.base) for r in rows if r.measure == "missing"),
                     key=lambda r: (-r[1], REQUIRED_FIELDS.index(r[0])
                                    if r[0] in REQUIRED_FIELDS else 99))
    return {
        "profile-rate": (["month", "complete", "customers", "rate", "goal"],
                         [(r.month, r.part, r.base, _rate(r.part, r.base),
                           snapshots.PROFILE_GOAL)
                          for r in whole if r.breakdown == "all" and r.base]),
        "profile-rate-by-center": (["center", "complete", "customers", "rate"], sorted(
            ((names("center", r.item), r.part, r.base, _rate(r.part, r.base))
             for r in last if r.breakdown == "center"), key=lambda row: row[0])),
        "profile-rate-by-center-month": (
            ["month", "center", "complete", "customers", "rate"],
            _by_center_month([r for r in whole if r.month in months], names,
                             lambda r: (r.part, r.base, _rate(r.part, r.base)))),
        "missing-fields": (["field", "missing", "customers", "share"],
                           [(str(FIELD_LABELS.get(f, f)), k, n, _rate(k, n))
                            for f, k, n in missing]),
    }


def _satisfaction(rows, names, now) -> dict:
    sat = [r for r in rows if r.measure == "satisfaction"]

    def table(by):
        return sorted(((names(by, key), n, _mean(total, n))
                       for key, (n, total, _x) in _sum(sat, by=by).items()),
                      key=lambda row: (-row[1], row[0]))

    return {
        "satisfaction": (["month", "calls", "mean_score"],
                         [(r.month, r.base, _mean(r.part, r.base))
                          for r in sat if r.breakdown == "all" and r.base]),
        "satisfaction-by-center": (["center", "calls", "mean_score"], table("center")),
        "satisfaction-by-center-month": (
            ["month", "center", "calls", "mean_score"],
            _by_center_month(sat, names, lambda r: (r.base, _mean(r.part, r.base)))),
        "satisfaction-by-product": (["product", "calls", "mean_score"], table("product")),
        "satisfaction-by-agent": (["agent", "calls", "mean_score"], table("agent")),
    }


def _returns(rows, names, now) -> dict:
    ret = [r for r in rows if r.measure == "return"]
    return {
        "return-rate": (["month", "buyers", "returned_within_90_days", "rate", "final"],
                        [(r.month, r.base, r.part, _rate(r.part, r.base),
                          measures.is_final(r.month, now)) for r in ret if r.breakdown == "all"]),
        "return-rate-by-center": (["center", "buyers", "returned_within_90_days", "rate"],
                                  sorted(((names("center", key), b, k, _rate(k, b))
                                          for key, (b, k, _x) in _sum(ret, by="center").items()),
                                         key=lambda row: row[0])),
        "return-rate-by-center-month": (
            ["month", "center", "buyers", "returned_within_90_days", "rate", "final"],
            _by_center_month(ret, names, lambda r: (r.base, r.part, _rate(r.part, r.base),
                                                    measures.is_final(r.month, now)))),
    }


def _sla(rows, names, now) -> dict:
    sla = [r for r in rows if r.measure == "sla"]
    return {
        "complaint-sla": (["month", "complaints", "answered_in_time", "resolved_in_time"],
                          [(r.month, r.base, r.part, r.second_part)
                           for r in sla if r.breakdown == "all" and r.base]),
        "complaint-sla-by-center": (
            ["center", "complaints", "answered_in_time", "resolved_in_time"],
            sorted(((names("center", key), n, a, b)
                    for key, (n, a, b) in _sum(sla, by="center").items()),
                   key=lambda row: row[0])),
        "complaint-sla-by-center-month": (
            ["month", "center", "complaints", "answered_in_time", "resolved_in_time"],
            _by_center_month(sla, names, lambda r: (r.base, r.part, r.second_part))),
    }


def _moves(rows, names, now) -> dict:
    moves = sorted(tuple(r.item.split(">", 1)) + (r.base,) for r in rows
                   if r.measure == "moves")
    return {"segment-moves": (["from", "to", "customers"], moves)}


#: each family of tables, the stored measures it reads, and the tables it gives
FAMILIES = {_profile: (("profile", "missing"),
                       ("profile-rate", "profile-rate-by-center", "profile-rate-by-center-month",
                        "missing-fields")),
            _satisfaction: (("satisfaction",),
                            ("satisfaction", "satisfaction-by-center",
                             "satisfaction-by-center-month", "satisfaction-by-product",
                             "satisfaction-by-agent")),
            _returns: (("return",), ("return-rate", "return-rate-by-center",
                                     "return-rate-by-center-month")),
            _sla: (("sla",), ("complaint-sla", "complaint-sla-by-center",
                              "complaint-sla-by-center-month")),
            _moves: (("moves",), ("segment-moves",))}
MEASURE_TABLES = {name: family for family, (_m, names) in FAMILIES.items() for name in names}


def _computed(rows, now, families) -> dict:
    names = _Names(rows)
    return {name: table for family in families
            for name, table in family(rows, names, now).items()}


def measure_tables() -> dict[str, tuple[list[str], list[tuple]]]:
    """Each measure's table: header and rows (rates as fractions, scores 1-5), from the
    stored months (one read, and one for the names of each kind of key)."""
    now = utcnow()
    rows = measures.stored(measures.BY_MONTH + measures.LATEST_ONLY, now)
    return _computed(rows, now, FAMILIES)


def measure_table(name: str) -> tuple[list[str], list[tuple]] | None:
    """One measure's table (only its family's stored rows are read), or None for no such
    table."""
    family = MEASURE_TABLES.get(name)
    if family is None:
        return None
    now = utcnow()
    return _computed(measures.stored(FAMILIES[family][0], now), now, (family,))[name]


def measures_context() -> dict:
    """What the dashboard's measure sections show."""
    now = utcnow()
    rows = measures.stored(measures.BY_MONTH + measures.LATEST_ONLY, now)
    tables = _computed(rows, now, FAMILIES)
    # the two latest snapshots: the months with a profile figure
    taken = [r.month for r in rows if r.measure == "profile" and r.breakdown == "all" and r.base]
    latest = taken[-1] if taken else None
    before = taken[-2] if len(taken) > 1 else None
    moved = {r.month for r in rows if r.measure == "moves"}
    moves = {(f, t): n for f, t, n in tables["segment-moves"][1]}
    computed = max((r.computed_at for r in rows), default=None)
    return {"tables": tables, "latest": latest, "before": before if moved else None,
            "moves": moves, "segments": SEGMENTS, "goal": snapshots.PROFILE_GOAL,
            "computed_at": computed}


@bp.route("/crm/dashboard/moves")
@roles_required(*CRM_ROLES)
def segment_moves():
    """The customers of one cell of the segment movement matrix (``?from=&to=``)."""
    latest, before = snapshots.latest_months()
    frm, to = request.args.get("from"), request.args.get("to")
    if before is None or frm not in SEGMENTS or to not in SEGMENTS:
        abort(404)
    customers = snapshots.moved_customers(before, latest, frm, to)
    return render_template("crm/dashboard_moves.html", customers=customers, frm=frm, to=to,
                           before=before, latest=latest,
                           title=_("Moved between segments"))
