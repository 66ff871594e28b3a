"""The outcome measures on the dashboard: profile collection, satisfaction, return rate,
segment movement, complaints against the SLA; each table also a CSV (``measure_tables``),
and a page for one cell of the segment movement matrix."""

from flask import abort, render_template, request
from flask_babel import gettext as _

from core.auth import roles_required
from core.clock import utcnow
from core.i18n import localized
from crm.customers import snapshots
from crm.customers.figures import Segment
from crm.customers.profiles import FIELD_LABELS
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


def _profile(now) -> dict:
    latest, _before = snapshots.latest_months()
    by_center = snapshots.profile_rate_by_center(latest) if latest else []
    center = _namer(Center, [r[0] for r in by_center])
    return {
        "profile-rate": (["month", "complete", "customers", "rate", "goal"],
                         [(m, c, n, _rate(c, n), snapshots.PROFILE_GOAL)
                          for m, c, n in snapshots.profile_rate_by_month()]),
        "profile-rate-by-center": (["center", "complete", "customers", "rate"],
                                   [(center(i), c, n, _rate(c, n)) for i, c, n in by_center]),
        "missing-fields": (["field", "missing", "customers", "share"],
                           [(str(FIELD_LABELS[f]), k, n, _rate(k, n))
                            for f, k, n in snapshots.missing_fields()]),
    }


def _satisfaction(now) -> dict:
    sat = measures.satisfaction(now)
    center = _namer(Center, [r[0] for r in sat["by_center"]])
    product = _namer(Product, [r[0] for r in sat["by_product"]])
    return {
        "satisfaction": (["month", "calls", "mean_score"], sat["by_month"]),
        "satisfaction-by-center": (["center", "calls", "mean_score"],
                                   [(center(i), n, s) for i, n, s in sat["by_center"]]),
        "satisfaction-by-product": (["product", "calls", "mean_score"],
                                    [(product(i), n, s) for i, n, s in sat["by_product"]]),
        "satisfaction-by-agent": (["agent", "calls", "mean_score"],
                                  [(a or "—", n, s) for a, n, s in sat["by_agent"]]),
    }


def _returns(now) -> dict:
    ret = measures.return_rate(now)
    center = _namer(Center, [r[0] for r in ret["by_center"]])
    return {
        "return-rate": (["month", "buyers", "returned_within_90_days", "rate", "final"],
                        [(m, b, r, _rate(r, b), final) for m, b, r, final in ret["by_month"]]),
        "return-rate-by-center": (["center", "buyers", "returned_within_90_days", "rate"],
                                  [(center(i), b, r, _rate(r, b))
                                   for i, b, r in ret["by_center"]]),
    }


def _sla(now) -> dict:
    sla = measures.complaint_sla(now)
    center = _namer(Center, [r[0] for r in sla["by_center"]])
    return {
        "complaint-sla": (["month", "complaints", "answered_in_time", "resolved_in_time"],
                          sla["by_month"]),
        "complaint-sla-by-center": (
            ["center", "complaints", "answered_in_time", "resolved_in_time"],
            [(center(i), n, a, r) for i, n, a, r in sla["by_center"]]),
    }


def _moves(now) -> dict:
    latest, before = snapshots.latest_months()
    moves = snapshots.movement(before, latest) if before else {}
    return {"segment-moves": (["from", "to", "customers"],
                              [(f, t, n) for (f, t), n in sorted(moves.items())])}


#: each family of tables, computed together, and the tables it gives
FAMILIES = {_profile: ("profile-rate", "profile-rate-by-center", "missing-fields"),
            _satisfaction: ("satisfaction", "satisfaction-by-center",
                            "satisfaction-by-product", "satisfaction-by-agent"),
            _returns: ("return-rate", "return-rate-by-center"),
            _sla: ("complaint-sla", "complaint-sla-by-center"),
            _moves: ("segment-moves",)}
MEASURE_TABLES = {name: family for family, names in FAMILIES.items() for name in names}


def measure_tables() -> dict[str, tuple[list[str], list[tuple]]]:
    """Each measure's table: header and rows (rates as fractions, scores 1-5)."""
    now = utcnow()
    return {name: table for family in FAMILIES for name, table in family(now).items()}


def measure_table(name: str) -> tuple[list[str], list[tuple]] | None:
    """One measure's table (only its family is computed), or None for no such table."""
    family = MEASURE_TABLES.get(name)
    return family(utcnow())[name] if family else None


def measures_context() -> dict:
    """What the dashboard's measure sections show."""
    tables = measure_tables()
    latest, before = snapshots.latest_months()
    moves = {(f, t): n for f, t, n in tables["segment-moves"][1]}
    return {"tables": tables, "latest": latest, "before": before, "moves": moves,
            "segments": SEGMENTS, "goal": snapshots.PROFILE_GOAL}


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
