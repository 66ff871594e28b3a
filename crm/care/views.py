"""Care pages: the complaint log and each complaint's steps, a customer's own complaint form
and the status of what they filed; the coupons given and giving one from a customer's 360;
recalls: find a lot, open its recall, follow who has been reached."""

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from wtforms.fields.choices import SelectChoice

from core.auth import roles_required
from core.cache import (
    CSRF_PLACEHOLDER,
    cached_fragment,
    watch_tables,
    with_csrf_token,
    without_csrf_token,
)
from core.clock import utcnow
from core.errors import IllegalTransition, NotFound, ValidationFailed
from core.extensions import db
from core.forms import flash_errors, form_refusal, form_status, submit_form
from core.i18n import localized
from core.models import Role
from core.urls import local_path
from crm.customers.services import get_customer, mask_phone
from crm.web import CRM_ROLES, bp
from fulfillment.lots import product_names
from fulfillment.models import Lot
from storefront import coupons
from storefront.coupon_models import CouponSource, CouponState
from storefront.labels import COUPON_SOURCE_LABELS, COUPON_STATE_LABELS
from storefront.models import Order

from . import complaints, goodwill, recalls, remedies
from .forms import (
    ComplaintForm,
    ComplaintStepForm,
    CustomerComplaintForm,
    GiveCouponForm,
    RecallForm,
)
from .labels import PROGRESS_LABELS, STATUS_LABELS, STEP_LABELS, complaint_labels
from .lots import lot_groups, lots_of
from .models import ComplaintStatus
from .recalls import campaign_of

#: the cache namespace of the complaint log: any session write to the complaints, a
#: customer's name or phone, the lots and their allocations, or the recalls moves it on
COMPLAINTS_NAMESPACE = "complaint-list"
watch_tables(COMPLAINTS_NAMESPACE, "complaints", "lots", "lot_allocations", "recall_campaigns")
watch_tables(COMPLAINTS_NAMESPACE, "customers", columns=("name", "phone"))


@bp.route("/crm/complaints")
@roles_required(*CRM_ROLES)
def complaint_list():
    status = request.args.get("status", "unresolved")
    status = status if status in ComplaintStatus.ALL + ("unresolved", "all") else "unresolved"
    overdue = request.args.get("overdue") == "1"
    lot_id = request.args.get("lot", type=int) or 0
    # The same for every agent: kept until a complaint, the name or phone of a customer, a
    # lot, its allocations or a recall changes (COMPLAINTS_NAMESPACE) or a product is renamed,
    # and for the minute it was made in (what is overdue).
    minute = utcnow().replace(second=0, microsecond=0).isoformat()
    body = cached_fragment("complaint-list", (COMPLAINTS_NAMESPACE, "catalog"),
                           (status, overdue, lot_id, minute),
                           lambda: _complaint_list(status, overdue, lot_id))
    return render_template("crm/complaints.html", body=Markup(with_csrf_token(body)))


def _complaint_list(status: str, overdue: bool, lot_id: int) -> str:
    lot = db.session.get(Lot, lot_id)
    items = complaints.list_complaints(status=None if status == "all" else status,
                                       overdue=overdue,
                                       lot_id=lot.id if lot is not None else None)
    groups = lot_groups()
    return without_csrf_token(render_template(
        "crm/_complaints_body.html", items=items, status=status, overdue=overdue,
        statuses=("unresolved",) + ComplaintStatus.ALL + ("all",), CL=complaint_labels(),
        is_overdue=complaints.is_overdue, now=utcnow(), mask_phone=mask_phone, lot=lot,
        groups=groups, recalls={g["lot"].id: campaign_of(g["lot"].id) for g in groups},
        recall_form=RecallForm(formdata=None), csrf_token=lambda: CSRF_PLACEHOLDER))


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
    lots = lots_of(complaint)
    return (render_template("crm/complaint.html", complaint=complaint, form=form, order=order,
                            CL=complaint_labels(), overdue=complaints.is_overdue(complaint),
                            lots=lots,
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
                           items=complaints.complaints_of_user(current_user), CL=complaint_labels())


# --- coupons ---------------------------------------------------------------------------------


@bp.route("/crm/coupons")
@roles_required(*CRM_ROLES)
def coupon_list():
    """Every coupon, newest first: by code or the holder (name, phone, e-mail, card), by
    state and by source."""
    q = (request.args.get("q") or "").strip()[:60]
    state = request.args.get("state") or None
    source = request.args.get("source") or None
    found = goodwill.coupon_list(q=q, state=state, source=source,
                                 page=request.args.get("page", 1, type=int))
    return render_template(
        "crm/coupons.html", **found, q=q, state=state, source=source,
        state_of=coupons.state_of, states=COUPON_STATE_LABELS, sources=COUPON_SOURCE_LABELS,
        CouponState=CouponState, CouponSource=CouponSource)


@bp.route("/crm/customers/<int:customer_id>/coupons", methods=["POST"])
@roles_required(*CRM_ROLES)
def coupon_give(customer_id: int):
    """Give the customer a coupon; the message with the code goes through the outbox."""
    customer = get_customer(customer_id)
    form = GiveCouponForm()
    back = url_for("crm.customer", customer_id=customer_id) + "#coupons"
    try:
        if not form.validate_on_submit():
            raise form_refusal(form)
        coupon = goodwill.give_coupon(
            customer, amount=form.amount.data, minimum_amount=form.minimum_amount.data,
            valid_days=form.valid_days.data, note=form.note.data, actor=current_user)
    except ValidationFailed as err:
        flash_errors(err)
        return redirect(back)
    code = coupon.code
    db.session.commit()
    flash(_("Coupon %(code)s given to %(name)s; the message with the code is on its way.",
            code=code, name=customer.name), "success")
    return redirect(back)


@bp.route("/crm/coupons/<int:coupon_id>/void", methods=["POST"])
@roles_required(*CRM_ROLES)
def coupon_void(coupon_id: int):
    """Take back a coupon nobody has used; a used one stays as it is."""
    back = local_path(request.form.get("next")) or url_for("crm.coupon_list")
    try:
        coupon = coupons.void_coupon(coupon_id, current_user)
    except IllegalTransition as err:
        flash_errors(err)
        return redirect(back), 303
    code = coupon.code
    db.session.commit()
    flash(_("Coupon %(code)s withdrawn: it can no longer be used.", code=code), "success")
    return redirect(back)


# --- recalls ---------------------------------------------------------------------------------


def _recalls_page(form: RecallForm, status: int = 200):
    term = (request.args.get("lot") or "").strip()[:40]
    found = recalls.find_lots(term)
    return render_template(
        "crm/recalls.html", form=form, term=term, lots=found,
        opened={lot.id: recalls.campaign_of(lot.id) for lot in found},
        products=product_names({lot.product_id for lot in found}),
        campaigns=recalls.list_campaigns(), labels=PROGRESS_LABELS), status


@bp.app_context_processor
def recall_links():
    """Lets pages of the lower layers (the admin's lot page) link to a lot's recall here."""
    return {"lot_recall_url": lambda lot: url_for("crm.recall_list", lot=lot.batch)}


@bp.route("/crm/recalls", methods=["GET", "POST"])
@roles_required(*CRM_ROLES)
def recall_list():
    """Recalls opened so far; find a lot by id or batch and open its recall."""
    form = RecallForm()
    made = {}

    def action():
        made["c"], made["n"] = recalls.open_recall(recalls.get_lot(form.lot_id.data),
                                                   current_user, advice=form.advice.data)
        return made["n"]

    if submit_form(form, action, lambda n: _("Recall open: %(n)d new call(s) planned.", n=n)):
        return redirect(url_for("crm.recall_show", campaign_id=made["c"].id))
    return _recalls_page(form, form_status(form))


@bp.route("/crm/recalls/<int:campaign_id>")
@roles_required(*CRM_ROLES)
def recall_show(campaign_id: int):
    """A recall's calls: reached, not reached, pending, each with the units received."""
    campaign = recalls.get_campaign(campaign_id)
    return render_template(
        "crm/recall.html", campaign=campaign, view=recalls.campaign_view(campaign),
        product=recalls.product_label(campaign.product_id), labels=PROGRESS_LABELS,
        mask_phone=mask_phone, form=RecallForm(formdata=None, lot_id=campaign.lot_id),
        default_advice=recalls.DEFAULT_ADVICE)
