"""The desk's member page (``/desk/member``): the clerk scans a VIP card and sees who it is,
their tier and points, their coming events (checking in today's at this store) and their
open orders at this store. The pickup desk's code box sends card numbers here."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.auth import roles_required
from core.errors import DomainError, NotFound
from core.extensions import db
from core.models import Role
from fulfillment.web import center_arg, common_context, desk_center
from storefront.labels import order_status_label

from . import desk
from .cards import get_membership_by_card, normalize_card
from .forms import CheckInForm
from .models import Event

bp = Blueprint("club_desk", __name__, url_prefix="/desk/member")

#: every clerk may look a member up, whatever their store; admins too
DESK_ROLES = (Role.STAFF, Role.ADMIN)


def on_desk_code(center, code: str, **_kwargs) -> str | None:
    """``desk_code_received``: a VIP card number typed or scanned at the pickup desk opens
    this page instead of counting as a wrong pickup code."""
    if not desk.looks_like_card(code):
        return None
    return url_for("club_desk.member", code=normalize_card(code),
                   **center_arg(center.id))


def _center():
    try:
        return desk_center()
    except NotFound:
        return None


@bp.route("")
@roles_required(*DESK_ROLES)
def member():
    center = _center()
    code = normalize_card(request.args.get("code"))[:20]
    membership, error, status = None, None, 200
    if code:
        try:
            membership = get_membership_by_card(code, current_user, closed_too=True)
        except DomainError as err:
            error, status = str(err.message), err.status
    context = common_context(center) if center is not None else {
        "center": None, "is_admin": False, "center_arg": {}, "centers": []}
    registrations, orders = [], []
    if membership is not None and membership.closed_at is None:
        registrations = desk.coming_registrations(
            membership, center.id if center else None)
        orders = desk.open_orders_at(membership, center.id) if center else []
    return render_template(
        "crm/club/desk_member.html", code=code, error=error, membership=membership,
        registrations=registrations, orders=orders, check_in_form=CheckInForm(),
        order_status_label=order_status_label, **context), status


@bp.route("/events/<int:event_id>/check-in", methods=["POST"])
@roles_required(*DESK_ROLES)
def check_in(event_id: int):
    """Check the member in for today's event at this store, from their page."""
    center = _center()
    event = db.session.get(Event, event_id)
    if center is None or event is None:
        raise NotFound()
    form = CheckInForm()
    card = normalize_card(form.card_number.data)
    back = url_for(".member", code=card, **center_arg(center.id))
    if not form.validate():
        flash(_("The form expired. Please try again."), "error")
        return redirect(back)
    try:
        membership = get_membership_by_card(card, current_user, closed_too=True)
        reg = desk.check_in_at_desk(event, membership, center.id, current_user)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        flash(str(err.message), "error")
        return redirect(back)
    flash(_("%(name)s checked in (%(n)d people).", name=membership.name, n=reg.attendees),
          "success")
    return redirect(back)
