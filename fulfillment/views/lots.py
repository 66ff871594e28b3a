"""Desk pages for lots (receive a batch, see what the center holds, soonest expiry first)
and for the center's time slots in the days ahead (places booked and left)."""

from datetime import datetime

from flask import current_app, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.auth import roles_required
from core.clock import shop_date, shop_zone, utcnow
from core.forms import form_status, submit_form

from .. import lots
from ..forms import DeskLotForm
from ..models import Center
from ..slots import upcoming_slots
from ..web import DESK_ROLES, bp, center_arg, common_context, desk_center, product_choices


def _render_lots(center: Center, form: DeskLotForm, status: int = 200):
    found = lots.lots_at(center.id)
    context = common_context(center)
    context.update(form=form, lots=found, sell_by=lots.sell_by_cutoff(),
                   products=lots.product_names(lot.product_id for lot in found))
    return render_template("fulfillment/lots.html", **context), status


@bp.route("/desk/lots", methods=["GET", "POST"])
@roles_required(*DESK_ROLES)
def lot_list():
    center = desk_center()
    if center is None:
        return render_template("fulfillment/no_center.html")
    form = DeskLotForm()
    form.product_id.choices = product_choices()

    def receive():
        return lots.receive_lot(center.id, form.product_id.data, batch=form.batch.data,
                                produced_on=form.produced_on.data,
                                expires_on=form.expires_on.data, quantity=form.quantity.data,
                                actor=current_user)

    if submit_form(form, receive, lambda lot: _("Lot %(batch)s received: %(n)d units.",
                                                 batch=lot.batch, n=lot.received_quantity)):
        return redirect(url_for("fulfillment.lot_list", **center_arg(center.id)))
    return _render_lots(center, form, form_status(form))


@bp.route("/desk/slots")
@roles_required(*DESK_ROLES)
def slot_list():
    """The center's pickup and delivery slots from now to the days ahead, by day."""
    center = desk_center()
    if center is None:
        return render_template("fulfillment/no_center.html")
    now = utcnow()
    days = current_app.config.get("SLOT_DAYS_AHEAD", 7)
    # one day more than are opened ahead, so the last day shows whole
    upcoming = upcoming_slots(center.id, now=now, days=days + 1)
    by_day: dict = {}
    for slot in upcoming:
        by_day.setdefault(shop_date(slot.starts_at), []).append(slot)
    context = common_context(center)
    context.update(days=[(datetime.combine(day, datetime.min.time(), shop_zone()), rows)
                         for day, rows in by_day.items()])
    return render_template("fulfillment/slots.html", **context)
