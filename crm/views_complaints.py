"""Complaint pages: the agents' log and each complaint's steps; a customer's own form and
the status of what they filed."""

import sqlalchemy as sa
from flask import redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from core.auth import roles_required
from core.clock import utcnow
from core.errors import NotFound
from core.extensions import db
from core.forms import form_status, submit_form
from core.i18n import localized
from core.models import Role
from fulfillment.lots import product_names
from fulfillment.models import Lot
from storefront.models import Order

from . import complaint_lots, complaints, remedies
from .complaints import CATEGORY_LABELS, SEVERITY_LABELS, STATUS_LABELS
from .customers import get_customer, mask_phone
from .forms import (
    _CHANNEL_LABELS,
    _REMEDY_LABELS,
    ComplaintForm,
    ComplaintStepForm,
    CustomerComplaintForm,
)
from .models import ComplaintStatus
from .recalls import campaign_of
from .views import CRM_ROLES, bp
from .views_recalls import RecallForm

STEP_LABELS = {
    ComplaintStatus.ACKNOWLEDGED: _l("Acknowledge"), ComplaintStatus.INVESTIGATING:
    _l("Investigate (or reopen)"), ComplaintStatus.RESOLVED: _l("Resolve"),
    ComplaintStatus.CLOSED: _l("Close"),
}


def labels() -> dict:
    return {"status": STATUS_LABELS, "category": CATEGORY_LABELS,
            "severity": SEVERITY_LABELS, "channel": _CHANNEL_LABELS, "remedy": _REMEDY_LABELS}


@bp.route("/crm/complaints")
@roles_required(*CRM_ROLES)
def complaint_list():
    status = request.args.get("status", "unresolved")
    status = status if status in ComplaintStatus.ALL + ("unresolved", "all") else "unresolved"
    overdue = request.args.get("overdue") == "1"
    lot = db.session.get(Lot, request.args.get("lot", type=int) or 0)
    items = complaints.list_complaints(status=None if status == "all" else status,
                                       overdue=overdue,
                                       lot_id=lot.id if lot is not None else None)
    groups = complaint_lots.lot_groups()
    return render_template("crm/complaints.html", items=items, status=status, overdue=overdue,
                           statuses=("unresolved",) + ComplaintStatus.ALL + ("all",),
                           CL=labels(),
                           is_overdue=complaints.is_overdue, now=utcnow(),
                           mask_phone=mask_phone, lot=lot, groups=groups,
                           recalls={g["lot"].id: campaign_of(g["lot"].id) for g in groups},
                           recall_form=RecallForm(formdata=None))


@bp.route("/crm/customers/<int:customer_id>/complaints/new", methods=["GET", "POST"])
@roles_required(*CRM_ROLES)
def complaint_new(customer_id: int):
    """Log a complaint at once (from the 360 or from a follow-up call)."""
    customer = get_customer(customer_id)
    order = None
    if request.values.get("order"):
        order = db.session.execute(sa.select(Order).where(
            Order.id == request.values.get("order", type=int),
            Order.user_id == customer.user_id)).scalar_one_or_none()
    form = ComplaintForm(data={"channel": "followup" if request.args.get("followup")
                               else "hotline"})
    form.product_id.choices = [SelectChoice("", _("— not one product —"))] + (
        [SelectChoice(str(ln.product_id), localized(ln, "name")) for ln in order.lines]
        if order is not None else [])
    made = {}

    def action():
        made["c"] = complaints.open_complaint(
            actor=current_user, customer=customer, order=order, category=form.category.data,
            description=form.description.data, severity=form.severity.data,
            channel=form.channel.data, owner=current_user,
            product_id=int(form.product_id.data) if form.product_id.data else None)
        return made["c"]

    if submit_form(form, action, lambda c: _("Complaint logged; answer it by %(time)s.",
                                             time=format_datetime(c.first_response_due_at,
                                                                  "short"))):
        return redirect(url_for("crm.complaint_show", complaint_id=made["c"].id))
    return (render_template("crm/complaint_form.html", form=form, customer=customer,
                            order=order), form_status(form))


def _step_form(complaint) -> ComplaintStepForm:
    form = ComplaintStepForm()
    form.to.choices = [SelectChoice(s, STEP_LABELS[s])
                       for s in complaints.TRANSITIONS.get(complaint.status, ())]
    return form


@bp.route("/crm/complaints/<int:complaint_id>", methods=["GET", "POST"])
@roles_required(*CRM_ROLES)
def complaint_show(complaint_id: int):
    complaint = complaints.get_complaint(complaint_id)
    form = _step_form(complaint)
    amount = form.remedy_amount.data
    if submit_form(form, lambda: complaints.transition(
            complaint, current_user, to=form.to.data, note=form.note.data,
            remedy=form.remedy.data or None,
            remedy_amount=amount * 100 if amount else None, root_cause=form.root_cause.data,
            prevention=form.prevention.data,
            replacement_quantity=form.replacement_quantity.data),
            lambda c: _("Complaint is now: %(status)s.", status=STATUS_LABELS[c.status])):
        remedies.pay_out(complaint.order_id)  # a Stripe refund is asked for after the commit
        return redirect(url_for("crm.complaint_show", complaint_id=complaint_id))
    order = db.session.get(Order, complaint.order_id) if complaint.order_id else None
    lots = complaint_lots.lots_of(complaint)
    return (render_template("crm/complaint.html", complaint=complaint, form=form, order=order,
                            CL=labels(), overdue=complaints.is_overdue(complaint), lots=lots,
                            recalls={lot.id: campaign_of(lot.id) for lot in lots},
                            recall_form=RecallForm(formdata=None),
                            product=product_names([complaint.product_id]).get(
                                complaint.product_id, ("", ""))[1]),
            form_status(form))


# --- the customer's side -----------------------------------------------------------------------


@bp.route("/orders/<public_id>/complaint", methods=["GET", "POST"])
@login_required
def customer_complaint(public_id: str):
    """A customer tells us what went wrong with their own order."""
    order = db.session.execute(sa.select(Order).where(
        Order.public_id == public_id)).scalar_one_or_none()
    if order is None or order.user_id != current_user.id:
        raise NotFound()
    form = CustomerComplaintForm()
    if submit_form(form, lambda: complaints.open_complaint(
            actor=current_user, order=order, category=form.category.data,
            description=form.description.data, severity="medium", channel="online"),
            lambda c: _("Thank you. We have your complaint and will contact you soon.")):
        return redirect(url_for("crm.my_complaints"))
    return (render_template("crm/customer_complaint.html", form=form, order=order),
            form_status(form))


@bp.route("/complaints")
@login_required
def my_complaints():
    if current_user.role != Role.CUSTOMER:
        return redirect(url_for("crm.complaint_list"))
    return render_template("crm/my_complaints.html",
                           items=complaints.complaints_of_user(current_user), CL=labels())
