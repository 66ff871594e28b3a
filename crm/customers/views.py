"""Customer pages: the search, the 360 (with the profiles that may be the same person),
merging two profiles, a new prospect, editing a profile, family and tags, the access log."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from core.auth import roles_required
from core.cache import cached_fragment, watch_tables
from core.errors import NotFound, ValidationFailed
from core.extensions import db
from core.forms import flash_errors, form_status, submit_form
from core.inputs import id_or_none
from core.models import Role, User
from crm.web import CRM_ROLES, bp, context_360

from . import merging, profiles
from .figures import Segment
from .forms import ChildForm, CustomerSearchForm, ProfileForm, TagForm
from .models import Customer, Stage
from .services import customer_360, get_customer, mask_phone, search_customers

#: the cache namespace of the customer list: any session write to a customer moves it on
CUSTOMER_LIST_NAMESPACE = "customer-list"
watch_tables(CUSTOMER_LIST_NAMESPACE, Customer.__tablename__)


@bp.route("/crm/customers")
@roles_required(*CRM_ROLES)
def customers():
    page = request.args.get("page", 1, type=int)
    narrow = _list_filters()
    # The same for every agent: kept until a customer is written (CUSTOMER_LIST_NAMESPACE).
    body = cached_fragment(
        "customer-list", (CUSTOMER_LIST_NAMESPACE,),
        ((request.args.get("q") or "")[:101], page, *sorted(narrow.items())),
        lambda: _customer_list(page, narrow))
    return render_template("crm/customers.html", body=Markup(body))


def _customer_list(page: int, narrow: dict) -> str:
    form = CustomerSearchForm(request.args)
    q = (form.q.data or "").strip()[:100] if form.validate() else ""
    items, pages = search_customers(q or None, page=page, **narrow)
    page = min(max(page, 1), pages)
    return render_template("crm/_customers_body.html", form=form, q=q, items=items,
                           page=page, pages=pages, mask_phone=mask_phone, narrow=narrow)


def _list_filters() -> dict:
    """``?r=&f=`` (a cell of the RFM grid), ``?segment=``, ``?stage=``; unknown values ignored."""
    narrow = {}
    for arg, key in (("r", "r_score"), ("f", "f_score")):
        value = request.args.get(arg, type=int)
        if value in range(1, 6):
            narrow[key] = value
    if request.args.get("segment") in Segment.ALL:
        narrow["segment"] = request.args["segment"]
    if request.args.get("stage") in Stage.ALL:
        narrow["stage"] = request.args["stage"]
    return narrow


@bp.route("/crm/customers/<int:customer_id>")
@roles_required(*CRM_ROLES)
def customer(customer_id: int):
    """The customer 360. Opening it is logged (who looked at whom, when)."""
    view = customer_360(get_customer(customer_id), current_user)
    context = context_360(view)
    context.update(duplicates=merging.possible_duplicates(view["customer"]),
                   merges=merging.merge_history(view["customer"]), merge_labels=_MERGE_LABELS,
                   mask_phone=mask_phone)
    db.session.commit()
    return render_template("crm/customer.html", **context)


_MERGE_LABELS = {"reason": merging.REASON_LABELS, "table": merging.TABLE_LABELS,
                 "match": merging.MATCH_LABELS}


@bp.route("/crm/customers/<int:customer_id>/merge", methods=["GET", "POST"])
@roles_required(*CRM_ROLES)
def merge_customer(customer_id: int):
    """Merge another profile (``from`` / ``from_id``) into this one: GET shows what would
    move, for the agent to confirm; POST merges."""
    keep = get_customer(customer_id)
    source = request.form.get("from_id") if request.method == "POST" else request.args.get("from")
    absorb_id = id_or_none(source)
    if absorb_id is None:
        abort(404)
    absorb = get_customer(absorb_id)
    if request.method == "GET":
        return render_template("crm/customer_merge.html", keep=keep, absorb=absorb,
                               preview=merging.merge_preview(keep, absorb),
                               mask_phone=mask_phone)
    name = absorb.name
    try:
        merging.merge_customers(keep, absorb, actor=current_user)
    except merging.CannotMerge as err:
        db.session.rollback()
        flash(str(err.message), "error")
        return redirect(url_for("crm.customer", customer_id=customer_id)), 303
    db.session.commit()
    flash(_("%(name)s (profile %(id)d) merged into this profile; both histories are here.",
            name=name, id=absorb_id), "success")
    return redirect(url_for("crm.customer", customer_id=customer_id)), 303


@bp.route("/crm/customers/new", methods=["GET", "POST"])
@roles_required(*CRM_ROLES)
def new_customer():
    """A prospect met at an event, in a store or on the hotline."""
    form = ProfileForm()
    made = {}

    def action():
        made["customer"] = profiles.create_prospect(current_user, form.data_for_service())
        return made["customer"]

    if submit_form(form, action, lambda c: _("%(name)s added as a prospect.", name=c.name)):
        return redirect(url_for("crm.customer", customer_id=made["customer"].id))
    return render_template("crm/profile_form.html", form=form, customer=None), form_status(form)


@bp.route("/crm/customers/<int:customer_id>/edit", methods=["GET", "POST"])
@roles_required(*CRM_ROLES)
def edit_customer(customer_id: int):
    customer = get_customer(customer_id)
    form = ProfileForm(obj=customer)
    if submit_form(form, lambda: profiles.update_profile(customer, current_user,
                                                         form.data_for_service()),
                   lambda c: _("Profile of %(name)s saved.", name=c.name)):
        return redirect(url_for("crm.customer", customer_id=customer_id))
    return (render_template("crm/profile_form.html", form=form, customer=customer),
            form_status(form))


def _back_to(customer_id: int):
    return redirect(url_for("crm.customer", customer_id=customer_id) + "#family")


@bp.route("/crm/customers/<int:customer_id>/children", methods=["POST"])
@roles_required(*CRM_ROLES)
def add_child(customer_id: int):
    customer = get_customer(customer_id)
    form = ChildForm()
    if not form.validate_on_submit():
        flash(_("Check the child's dates."), "error")
        return _back_to(customer_id)
    try:
        profiles.add_child(customer, name=form.name.data, gender=form.gender.data or None,
                           birth_date=form.birth_date.data, due_date=form.due_date.data)
    except ValidationFailed as err:
        flash_errors(err)
        return _back_to(customer_id)
    db.session.commit()
    flash(_("Child added."), "success")
    return _back_to(customer_id)


@bp.route("/crm/customers/<int:customer_id>/children/<int:child_id>/delete", methods=["POST"])
@roles_required(*CRM_ROLES)
def remove_child(customer_id: int, child_id: int):
    profiles.remove_child(get_customer(customer_id), child_id)
    db.session.commit()
    return _back_to(customer_id)


@bp.route("/crm/customers/<int:customer_id>/tags", methods=["POST"])
@roles_required(*CRM_ROLES)
def add_tag(customer_id: int):
    customer = get_customer(customer_id)
    form = TagForm()
    try:
        if not form.validate_on_submit():
            raise ValidationFailed(errors={"tag": form.tag.errors or [_("A tag is needed.")]})
        profiles.add_tag(customer, current_user, form.tag.data)
    except ValidationFailed as err:
        flash_errors(err)
        return _back_to(customer_id)
    db.session.commit()
    return _back_to(customer_id)


@bp.route("/crm/customers/<int:customer_id>/tags/delete", methods=["POST"])
@roles_required(*CRM_ROLES)
def remove_tag(customer_id: int):
    customer = get_customer(customer_id)
    try:
        profiles.remove_tag(customer, request.form.get("tag", ""))
    except ValidationFailed as err:
        flash_errors(err)
        return _back_to(customer_id)
    except NotFound:
        abort(404)
    db.session.commit()
    return _back_to(customer_id)


@bp.route("/crm/access-log")
@roles_required(Role.ADMIN)
def access_log():
    """Who opened which customer's 360, and when (admins only)."""
    customer_id = request.args.get("customer", type=int)
    staff_id = request.args.get("staff", type=int)
    rows, pages = profiles.access_log(customer_id=customer_id, staff_id=staff_id,
                                      page=request.args.get("page", 1, type=int))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    staff = db.session.get(User, staff_id) if staff_id else None
    customer = db.session.get(Customer, customer_id) if customer_id else None
    return render_template("crm/access_log.html", rows=rows, page=page, pages=pages,
                           staff=staff, customer=customer, customer_id=customer_id,
                           staff_id=staff_id, mask_phone=mask_phone)
