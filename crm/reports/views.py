"""The customer center's dashboards: sales, the RFM grid, follow-ups, complaints, members.
Charts are SVG drawn here; every table is also a CSV."""

import io

from flask import Response, abort, render_template
from flask_babel import gettext as _

from core import spreadsheet
from core.auth import roles_required
from core.i18n import localized
from crm.care.labels import CATEGORY_LABELS
from crm.customers.figures import Segment, rfm_grid
from crm.labels import METHOD_LABELS
from crm.web import CRM_ROLES, bp

from . import dashboards
from .charts import bar_chart, line_chart, pivot
from .measure_views import _Named, _named, measure_tables, measures_context


def _tables() -> dict[str, tuple[list[str], list[tuple]]]:
    """Each dashboard table: its header and rows (money in fen)."""
    by_center = [(localized(_Named(zh, en), "name"), method, n, amount)
                 for zh, en, method, n, amount in dashboards.sales_by_center_and_method()]
    complaints = dashboards.complaint_figures()
    grid = rfm_grid()
    return {
        "sales-by-day": (["day", "orders", "amount_fen"], dashboards.sales_by_day()),
        "sales-by-center": (["center", "method", "orders", "amount_fen"], by_center),
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
    """Customers by recency and frequency score; each cell lists its customers."""
    grid = rfm_grid()
    peak = max(grid["cells"].values(), default=0)
    sales = dashboards.sales_by_day()
    follow = dashboards.followups_done_vs_due()
    members = dashboards.member_growth()
    by_center = dashboards.sales_by_center_and_method()
    complaints = dashboards.complaint_figures()
    method = lambda row: str(METHOD_LABELS.get(row[2], row[2]))  # noqa: E731
    center = lambda row: localized(_Named(row[0], row[1]), "name")  # noqa: E731
    yuan = lambda row: row[4] / 100  # noqa: E731
    charts = {
        "by_center": bar_chart(*pivot(by_center, center, method, yuan),
                               title=_("Sales by center (yuan)")),
        "by_method": bar_chart(*pivot(by_center, method, lambda row: _("Sales (yuan)"), yuan),
                               title=_("Sales by fulfillment method")),
        "complaints_by_center": bar_chart(
            [_named(names) for names, *_rest in complaints["by_center"]],
            {_("Open"): [row[2] for row in complaints["by_center"]],
             _("SLA breaches"): [row[3] for row in complaints["by_center"]]},
            title=_("Complaints open and SLA breaches by center")),
        "sales": bar_chart([d[5:] for d, _n, _a in sales],
                           {_("Sales (yuan)"): [a / 100 for _d, _n, a in sales]},
                           title=_("Sales by day")),
        "followups": bar_chart([d[5:] for d, _due, _done in follow],
                               {_("Due"): [x for _d, x, _y in follow],
                                _("Done"): [y for _d, _x, y in follow]},
                               title=_("Follow-ups done vs due")),
        "members": line_chart([m for m, _j, _t in members],
                              {_("Members"): [t for _m, _j, t in members]},
                              title=_("Member growth")),
    }
    return render_template("crm/dashboard.html", grid=grid, peak=peak or 1,
                           segments=Segment.ALL, charts=charts, by_center=by_center,
                           complaints=complaints, named=_named, categories=CATEGORY_LABELS,
                           measures=measures_context())


@bp.route("/crm/dashboard/<name>.csv")
@roles_required(*CRM_ROLES)
def dashboard_csv(name: str):
    tables = _tables() | measure_tables()
    if name not in tables:
        abort(404)
    header, rows = tables[name]
    buffer = io.StringIO()
    writer = spreadsheet.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return Response("\ufeff" + buffer.getvalue(), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename={name}.csv"})
