"""Delivery desk steps: dispatch with a courier of the center, a courier parcel handed to a
carrier with its tracking number, delivered (who received it), failed (reason, new slot)."""

from flask import request
from flask_babel import gettext as _

from core.auth import roles_required
from core.extensions import db
from core.inputs import id_or_none
from core.models import User

from .. import courier, delivery, services
from ..web import DESK_ROLES, bp, one_click_step


@bp.route("/desk/fulfillments/<int:fulfillment_id>/dispatch", methods=["POST"])
@roles_required(*DESK_ROLES)
def dispatch(fulfillment_id: int):
    def action(f, actor):
        runner_id = id_or_none(request.form.get("courier_id"))
        runner = db.session.get(User, runner_id) if runner_id is not None else None
        return services.dispatch(f, actor, runner)

    return one_click_step(fulfillment_id, action, _("Order %(number)s is on its way."))


@bp.route("/desk/fulfillments/<int:fulfillment_id>/ship", methods=["POST"])
@roles_required(*DESK_ROLES)
def ship_courier(fulfillment_id: int):
    """A courier parcel leaves the warehouse with a carrier and its tracking number."""
    return one_click_step(fulfillment_id, lambda f, actor: courier.ship(
        f, actor, carrier=request.form.get("carrier", ""),
        tracking_number=request.form.get("tracking_number", "")),
        _("Order %(number)s is with the carrier."))


@bp.route("/desk/fulfillments/<int:fulfillment_id>/delivered", methods=["POST"])
@roles_required(*DESK_ROLES)
def delivered(fulfillment_id: int):
    paid = request.form.get("paid_method") or None
    return one_click_step(fulfillment_id, lambda f, actor: services.mark_delivered(
        f, actor, received_by=request.form.get("received_by"),
        collected={"method": paid} if paid else None),
        _("Order %(number)s is delivered."))


@bp.route("/desk/fulfillments/<int:fulfillment_id>/failed", methods=["POST"])
@roles_required(*DESK_ROLES)
def delivery_failed(fulfillment_id: int):
    def action(f, actor):
        return delivery.fail_delivery(f, actor, reason=request.form.get("reason", ""),
                                      new_slot_id=id_or_none(request.form.get("slot_id")))

    return one_click_step(fulfillment_id, action,
                          _("Order %(number)s is back in the queue for another delivery."))
