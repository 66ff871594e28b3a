"""The desk's front page: today's queue (pickups, deliveries, courier parcels) by tab, and the
queue alone for the page to refresh in place."""

from flask import render_template

from core.auth import roles_required
from core.errors import NotFound

from ..web import DESK_ROLES, bp, desk_center, render_desk


@bp.route("/desk")
@roles_required(*DESK_ROLES)
def desk():
    center = desk_center()
    if center is None:
        return render_template("fulfillment/no_center.html")
    return render_desk(center)


@bp.route("/desk/queue")
@roles_required(*DESK_ROLES)
def desk_queue():
    """The queue alone (tabs and today's work), for the desk to refresh in place."""
    center = desk_center()
    if center is None:
        raise NotFound()
    return render_desk(center, partial=True)
