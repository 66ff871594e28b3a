"""Back office: centers (with their delivery zones and time slots) and staff accounts."""

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from core.auth import roles_required
from core.clock import utcnow
from core.errors import NotFound, ValidationFailed
from core.extensions import db
from core.forms import form_status, submit_form
from core.i18n import current_locale
from core.labels import ROLE_LABELS
from core.models import Role, User
from core.privacy import mask_phone

from . import admin_services, lots, slots, zones
from .forms import ActionForm, CenterForm, LotForm, StaffForm, WindowForm, ZoneForm
from .labels import status_word
from .models import Center, DeliveryZone, Lot, Slot, SlotWindow

bp = Blueprint("fulfillment_admin", __name__, url_prefix="/admin")


@bp.route("/centers")
@roles_required(Role.ADMIN)
def centers():
    return render_template("admin/centers.html", centers=admin_services.center_list())


def _center_form_page(form: CenterForm, center: Center | None, status: int = 200):
    return render_template("admin/center_form.html", form=form, center=center), status


@bp.route("/centers/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_center():
    form = CenterForm()
    if submit_form(form, lambda: admin_services.create_center(
            form.data_for_service(), current_user),
            lambda center: _("Center %(code)s created.", code=center.code)):
        return redirect(url_for("fulfillment_admin.centers"))
    return _center_form_page(form, None, form_status(form))


@bp.route("/centers/<int:center_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_center(center_id: int):
    center = admin_services.get_center(center_id)
    form = CenterForm(data=admin_services.center_form_data(
        center, english=current_locale() == "en"))
    if submit_form(form, lambda: admin_services.update_center(
            center, form.data_for_service(), current_user),
            lambda _result: _("Center %(code)s saved.", code=center.code)):
        return redirect(url_for("fulfillment_admin.centers"))
    return _center_form_page(form, center, form_status(form))


def _staff_form() -> StaffForm:
    form = StaffForm()
    form.center_id.choices = [SelectChoice("", _("— none —"))] + [
        SelectChoice(str(c.id), f"{c.code} · {c.name_zh}")
        for c in admin_services.center_list() if c.active
    ]
    return form


@bp.route("/staff")
@roles_required(Role.ADMIN)
def staff():
    return render_template("admin/staff.html", accounts=admin_services.staff_accounts(),
                           action_form=ActionForm(), role_labels=ROLE_LABELS)


@bp.route("/staff/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_staff():
    form = _staff_form()
    fields = ("email", "name", "phone", "password", "role", "center_id")
    if submit_form(form, lambda: admin_services.create_staff(
            {name: getattr(form, name).data for name in fields}, current_user),
            lambda account: _("Account %(email)s created. Give them the password in person.",
                              email=account.email)):
        return redirect(url_for("fulfillment_admin.staff"))
    return render_template("admin/staff_form.html", form=form), form_status(form)


def _set_active(user_id: int, active: bool):
    form = ActionForm()
    account = db.session.get(User, user_id)
    if account is None:
        raise NotFound()
    if not form.validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
        return redirect(url_for("fulfillment_admin.staff"))
    try:
        admin_services.set_staff_active(account, active, current_user)
    except ValidationFailed as err:
        db.session.rollback()
        flash(str(err.message), "error")
        return redirect(url_for("fulfillment_admin.staff"))
    email = account.email
    db.session.commit()
    flash(_("%(email)s can no longer sign in.", email=email) if not active
          else _("%(email)s can sign in again.", email=email), "success")
    return redirect(url_for("fulfillment_admin.staff"))


@bp.route("/staff/<int:user_id>/deactivate", methods=["POST"])
@roles_required(Role.ADMIN)
def deactivate_staff(user_id: int):
    return _set_active(user_id, False)


@bp.route("/staff/<int:user_id>/activate", methods=["POST"])
@roles_required(Role.ADMIN)
def activate_staff(user_id: int):
    return _set_active(user_id, True)


# --- delivery zones and time slots of a center ---------------------------------------------


def _delivery_page(center: Center, zone_form: ZoneForm, window_form: WindowForm,
                   status: int = 200):
    windows = db.session.execute(
        sa.select(SlotWindow).where(SlotWindow.center_id == center.id)
        .order_by(SlotWindow.kind, SlotWindow.weekday, SlotWindow.starts)).scalars().all()
    upcoming = db.session.execute(
        sa.select(Slot).where(Slot.center_id == center.id, Slot.ends_at >= utcnow())
        .order_by(Slot.starts_at, Slot.kind).limit(60)).scalars().all()
    return render_template(
        "admin/center_delivery.html", center=center, zone_form=zone_form,
        window_form=window_form, windows=windows, upcoming=upcoming,
        action_form=ActionForm(), weekdays=slots.WEEKDAYS), status


@bp.route("/centers/<int:center_id>/delivery", methods=["GET"])
@roles_required(Role.ADMIN)
def center_delivery(center_id: int):
    center = admin_services.get_center(center_id)
    return _delivery_page(center, ZoneForm(prefix="zone"), WindowForm(prefix="window"))


@bp.route("/centers/<int:center_id>/zones", methods=["POST"])
@roles_required(Role.ADMIN)
def add_zone(center_id: int):
    center = admin_services.get_center(center_id)
    form = ZoneForm(prefix="zone")

    def action():
        districts = admin_services.parse_districts(form.districts.data)
        return zones.add_zone(center, districts=districts, **form.data_for_service())

    if submit_form(form, action, lambda zone: _("Zone %(name)s added.", name=zone.name)):
        return redirect(url_for("fulfillment_admin.center_delivery", center_id=center_id))
    return _delivery_page(center, form, WindowForm(prefix="window"), 400)


@bp.route("/centers/<int:center_id>/zones/<int:zone_id>/delete", methods=["POST"])
@roles_required(Role.ADMIN)
def delete_zone(center_id: int, zone_id: int):
    zone = db.session.get(DeliveryZone, zone_id)
    if zone is None or zone.center_id != center_id:
        raise NotFound()
    if ActionForm().validate_on_submit():
        name = zone.name
        zones.remove_zone(zone)
        db.session.commit()
        flash(_("Zone %(name)s removed.", name=name), "success")
    return redirect(url_for("fulfillment_admin.center_delivery", center_id=center_id))


@bp.route("/centers/<int:center_id>/windows", methods=["POST"])
@roles_required(Role.ADMIN)
def add_window(center_id: int):
    center = admin_services.get_center(center_id)
    form = WindowForm(prefix="window")
    if submit_form(form, lambda: slots.add_window(
            center, kind=form.kind.data, weekday=form.weekday.data, starts=form.starts.data,
            ends=form.ends.data, capacity=form.capacity.data),
            lambda _w: _("Time window added; its slots are open for the days ahead.")):
        return redirect(url_for("fulfillment_admin.center_delivery", center_id=center_id))
    return _delivery_page(center, ZoneForm(prefix="zone"), form, 400)


@bp.route("/centers/<int:center_id>/windows/<int:window_id>/delete", methods=["POST"])
@roles_required(Role.ADMIN)
def delete_window(center_id: int, window_id: int):
    window = db.session.get(SlotWindow, window_id)
    if window is None or window.center_id != center_id:
        raise NotFound()
    if ActionForm().validate_on_submit():
        slots.remove_window(window, now=utcnow())
        db.session.commit()
        flash(_("Time window removed. Slots already booked stay."), "success")
    return redirect(url_for("fulfillment_admin.center_delivery", center_id=center_id))


# --- lots and recalls ----------------------------------------------------------------------


def _lot_form() -> LotForm:
    form = LotForm()
    form.center_id.choices = [SelectChoice(str(c.id), f"{c.code} · {c.name_zh}")
                              for c in admin_services.center_list() if c.active]
    return form


def _lots_page(form: LotForm, status: int = 200):
    batch = (request.args.get("batch") or "").strip()[:40] or None
    found = lots.lots_at(batch=batch)
    return render_template(
        "admin/lots.html", form=form, lots=found, batch=batch or "",
        products=lots.product_names(lot.product_id for lot in found),
        centers={c.id: c for c in admin_services.center_list()}), status


@bp.route("/lots", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def lot_list():
    form = _lot_form()

    def receive():
        product = lots.product_for_sku(form.sku.data)
        if product is None:
            raise ValidationFailed(errors={"sku": [_("Unknown product.")]})
        return lots.receive_lot(form.center_id.data, product[0], batch=form.batch.data,
                                produced_on=form.produced_on.data,
                                expires_on=form.expires_on.data, quantity=form.quantity.data,
                                actor=current_user)

    if submit_form(form, receive, lambda lot: _("Lot %(batch)s received: %(n)d units.",
                                                 batch=lot.batch, n=lot.received_quantity)):
        return redirect(url_for("fulfillment_admin.lot_list"))
    return _lots_page(form, form_status(form))


@bp.route("/lots/<int:lot_id>")
@roles_required(Role.ADMIN)
def lot_recall(lot_id: int):
    lot = db.session.get(Lot, lot_id)
    if lot is None:
        raise NotFound()
    return render_template(
        "admin/lot_recall.html", lot=lot, rows=lots.recall_lot(lot), status_word=status_word,
        mask_phone=mask_phone,  # the customer center calls them (core.privacy)
        product=lots.product_names([lot.product_id]).get(lot.product_id, ("", "")),
        center=db.session.get(Center, lot.center_id))
