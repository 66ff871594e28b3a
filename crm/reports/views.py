"""The customer center's dashboards: sales, the RFM grid, follow-ups, complaints, members,
the outcome measures. Every table is a CSV and a JSON; the charts draw the JSON."""

import io

from flask import Response, abort, jsonify, render_template
from markupsafe import Markup

from core import spreadsheet
from core.auth import roles_required
from core.cache import cached_fragment
from core.clock import utcnow
from core.i18n import localized
from crm.care.labels import CATEGORY_LABELS
from crm.customers.figures import Segment, rfm_grid
from crm.labels import METHOD_LABELS
from crm.web import CRM_ROLES, bp
from storefront.labels import CHANNEL_LABELS as CHANNEL_WORDS

from . import dashboards, measures
from .measure_views import _Named, _named, measure_table, measures_context
from .measures import months_back


def _tables() -> dict[str, tuple[list[str], list[tuple]]]:
    """Each dashboard table: its header and rows (money in fen)."""
    by_center = [(localized(_Named(zh, en), "name"), method, n, amount)
                 for zh, en, method, n, amount in dashboards.sales_by_center_and_method()]
    complaints = dashboards.complaint_figures()
    grid = rfm_grid()
    return {
        "sales-by-day": (["day", "orders", "amount_fen"], dashboards.sales_by_day()),
        "sales-by-center": (["center", "method", "orders", "amount_fen"], by_center),
        "sales-by-channel": (["center", "channel", "orders", "amount_fen"], [
            (localized(_Named(zh, en), "name"), channel, n, amount)
            for zh, en, channel, n, amount in dashboards.sales_by_channel_and_store()]),
        "followups": (["day", "due", "done"], dashboards.followups_done_vs_due()),
        "complaints": (["category", "complaints_90_days", "hours_to_first_response",
                        "hours_to_resolution"],
                       [(str(CATEGORY_LABELS.get(c, c)), *rest)
                        for c, *rest in complaints["by_category"]]),
        "complaints-by-center": (
            ["center", "complaints_90_days", "open", "sla_breaches", "hours_to_first_response",
             "hours_to_resolution"],
            [(_named(names), *rest) for names, *rest in complaints["by_center"]]),
        "complaints-by-product": (
            ["product", "complaints_90_days", "hours_to_first_response", "hours_to_resolution"],
            [(_named(names), *rest) for names, *rest in complaints["by_product"]]),
        "members": (["month", "joined", "members"], dashboards.member_growth()),
        "rfm": (["r_score", "f_score", "customers"],
                [(r, f, n) for (r, f), n in sorted(grid["cells"].items())]),
    }


@bp.route("/crm/dashboard")
@roles_required(*CRM_ROLES)
def dashboard():
    """The figures as tables, each drawn as a chart (static/js/dashboard.js) from the JSON
    of its table; customers by recency and frequency score, each cell listing them."""
    # The same for every agent: kept until the data of a section changes (the namespaces
    # of dashboards.DASHBOARD_NAMESPACES) and for the minute it was made in (the windows
    # of the last 30 or 90 days, and what is overdue, move with time).
    minute = utcnow().replace(second=0, microsecond=0).isoformat()
    body = cached_fragment("dashboard", dashboards.DASHBOARD_NAMESPACES, (minute,),
                           _dashboard_body)
    return render_template("crm/dashboard.html", body=Markup(body))


def _dashboard_body() -> str:
    grid = rfm_grid()
    peak = max(grid["cells"].values(), default=0)
    return render_template("crm/_dashboard_body.html", grid=grid, peak=peak or 1,
                           segments=Segment.ALL,
                           by_center=dashboards.sales_by_center_and_method(),
                           complaints=dashboards.complaint_figures(), named=_named,
                           categories=CATEGORY_LABELS, methods=METHOD_LABELS,
                           by_channel=dashboards.sales_by_channel_and_store(),
                           channel_words=CHANNEL_WORDS, measures_html=_measures_html())


def _measures_html() -> Markup:
    """The outcome measure sections, as every agent sees them: kept until the measure job
    stores new months (the "measures" namespace), a product or center is renamed
    ("catalog"), or the month turns (the months shown); at most the cache's timeout
    otherwise (an agent's new name)."""
    def build():
        return render_template("crm/_dashboard_measures.html", measures=measures_context())

    month = months_back(utcnow())[-1]
    return Markup(cached_fragment("dashboard-measures",
                                  (measures.MEASURES_NAMESPACE, "catalog"), (month,), build))


def _table(name: str) -> tuple[list[str], list[tuple]]:
    """One table; a measure's alone (its family), not every figure of the dashboard."""
    if (table := measure_table(name)) is not None:
        return table
    tables = _tables()
    if name not in tables:
        abort(404)
    return tables[name]


@bp.route("/crm/dashboard/<name>.json")
@roles_required(*CRM_ROLES)
def dashboard_json(name: str):
    """A dashboard table as ``{"header": [...], "rows": [[...], ...]}``: what its chart
    draws, the same rows as its CSV."""
    header, rows = _table(name)
    return jsonify(header=header, rows=[list(row) for row in rows])


@bp.route("/crm/dashboard/<name>.csv")
@roles_required(*CRM_ROLES)
def dashboard_csv(name: str):
    header, rows = _table(name)
    buffer = io.StringIO()
    writer = spreadsheet.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return Response("\ufeff" + buffer.getvalue(), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename={name}.csv"})
