"""Back office: centers and staff accounts (admins only)."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from core.auth import roles_required
from core.errors import NotFound, ValidationFailed
from core.extensions import db
from core.forms import form_status, submit_form
from core.models import Role, User

from . import admin_services
from .forms import ActionForm, CenterForm, StaffForm
from .models import Center

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
    form = CenterForm(data=admin_services.center_form_data(center))
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
                           action_form=ActionForm())


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
