"""Coupons in the customer center: every coupon given, with its state; give one from a
customer's 360; take back one that nobody has used."""


from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from core.auth import roles_required
from core.errors import IllegalTransition, ValidationFailed
from core.extensions import db
from core.forms import IntegerField, flash_errors, form_refusal
from core.urls import local_path
from storefront import coupons
from storefront.admin_forms import YuanField
from storefront.coupon_models import CouponSource, CouponState

from . import goodwill
from .customers import get_customer
from .models import Customer
from .views import CRM_ROLES, bp


class GiveCouponForm(FlaskForm):
    amount = YuanField(_l("Takes off (yuan)"), validators=[
        InputRequired(message=_l("Enter the amount the coupon takes off, more than 0."))])
    minimum_amount = YuanField(_l("For orders from (yuan)"), validators=[Optional()],
                               description=_l("Leave empty for any order."))
    valid_days = IntegerField(_l("Valid for (days)"), default=90, validators=[
        InputRequired(), NumberRange(min=1, max=goodwill.MAX_VALID_DAYS)])
    note = StringField(_l("Why"), validators=[
        InputRequired(message=_l("Say why the customer gets this coupon.")), Length(max=200)])


def coupon_context(customer: Customer) -> dict:
    """What the 360 shows of a customer's coupons, and the form to give one."""
    return {"coupons": goodwill.held_coupons(customer),
            "coupon_form": GiveCouponForm(formdata=None), "coupon_state": coupons.state_of,
            "coupon_labels": coupons.STATE_LABELS}


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
        state_of=coupons.state_of, states=coupons.STATE_LABELS, sources=coupons.SOURCE_LABELS,
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
