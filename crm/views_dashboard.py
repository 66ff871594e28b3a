"""The customer center's dashboard: the RFM grid and the named segments."""

from flask import render_template

from core.auth import roles_required

from .figures import Segment, rfm_grid
from .views import CRM_ROLES, bp


@bp.route("/crm/dashboard")
@roles_required(*CRM_ROLES)
def dashboard():
    """Customers by recency and frequency score; each cell lists its customers."""
    grid = rfm_grid()
    peak = max(grid["cells"].values(), default=0)
    return render_template("crm/dashboard.html", grid=grid, peak=peak or 1,
                           segments=Segment.ALL)
