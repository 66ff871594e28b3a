"""Pickup desk steps: mark ready, hand over against the code (all or part, someone else
collecting, the payment taken), and the code box that finds the order for a last look."""

from flask import flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from core.auth import roles_required
from core.errors import IllegalTransition, NotFound, TooManyAttempts, ValidationFailed
from core.extensions import db
from core.i18n import money_filter
from core.signals import desk_code_received

from .. import dues, pickup, services
from ..errors import PaymentMethodRequired, WrongCode
from ..forms import PAID_BY, CodeForm, HandOverForm
from ..models import Fulfillment, FulfillmentStatus, Method
from ..web import (
    DESK_ROLES,
    bp,
    common_context,
    desk_center,
    desk_fulfillment,
    desk_url,
    one_click_step,
    orders_by_id,
    render_desk,
)


@bp.route("/desk/fulfillments/<int:fulfillment_id>/ready", methods=["POST"])
@roles_required(*DESK_ROLES)
def mark_ready(fulfillment_id: int):
    return one_click_step(fulfillment_id, services.mark_ready,
                          _("Order %(number)s is ready for pickup."))


@bp.route("/desk/fulfillments/<int:fulfillment_id>/handover", methods=["POST"])
@roles_required(*DESK_ROLES)
def hand_over(fulfillment_id: int):
    """Hand an order over against the code the customer shows (from its row or the code box).

    When money is due the clerk says how the customer paid (nothing is assumed): a code
    typed in the order's row opens the last look to choose it, and the last look sent
    without a choice is shown again with the question. For cash, the cash received gives
    the change.
    """
    f = desk_fulfillment(fulfillment_id)
    center = f.center
    form = HandOverForm()
    if not form.validate_on_submit():
        if form.code.errors or "csrf_token" in form.errors or not request.form.get("confirming"):
            message = ("; ".join(map(str, form.code.errors))
                       or _("The form expired. Please try again."))
            return render_desk(center, row_errors={f.id: message}, status=400)
        return confirm_page(f, form, status=400)
    order = orders_by_id([f.order_id]).get(f.order_id)
    lines = _taken_lines(f)
    collect = dues.amount_due(f, lines)  # all that is left, or what the units taken cost
    paid = form.paid_method.data or None
    if collect and not paid:
        if not request.form.get("confirming"):  # the row's code: check it, then the last look
            try:
                services.check_code(f, form.code.data)
            except (WrongCode, TooManyAttempts) as err:
                db.session.rollback()
                return render_desk(center, row_errors={f.id: str(err.message)},
                                   status=err.status)
            return confirm_page(f, HandOverForm(formdata=None,
                                                code=services.normalize_code(form.code.data)))
        form.paid_method.errors = [_("Choose how the customer paid.")]
        return confirm_page(f, form, status=400)
    change = cash_change(form, collect) if paid == "cash" else None
    if change is not None and change < 0:
        form.tendered.errors = [_("The cash received is less than the %(amount)s due.",
                                  amount=money_filter(collect, order.currency))]
        return confirm_page(f, form, status=400)
    try:
        pickup.collect(f, form.code.data, current_user, lines=lines,
                       collector_name=form.collector_name.data,
                       collector_phone=form.collector_phone.data,
                       collected={"method": paid, "amount": collect} if paid and collect else None)
    except (WrongCode, TooManyAttempts, IllegalTransition, ValidationFailed,
            PaymentMethodRequired) as err:
        db.session.rollback()
        message = str(err.message)
        if isinstance(err, ValidationFailed) and err.errors:
            message = "; ".join(str(m) for v in err.errors.values()
                                for m in (v.values() if isinstance(v, dict) else v))
        return render_desk(center, row_errors={f.id: message}, status=err.status)
    done = f.status == FulfillmentStatus.PICKED_UP
    db.session.commit()
    number = order.number if order is not None else f"#{f.order_id}"
    if collect and paid:
        how = str(PAID_BY.get(paid, paid))
        amount = money_filter(collect, order.currency)
        if not done:
            flash(_("Order %(number)s: part handed over, %(amount)s collected for it "
                    "(%(how)s); the rest stays reserved.", number=number, amount=amount,
                    how=how), "success")
        elif change:
            flash(_("Order %(number)s handed over. Collected %(amount)s (%(how)s); give "
                    "%(change)s change.", number=number, amount=amount, how=how,
                    change=money_filter(change, order.currency)), "success")
        else:
            flash(_("Order %(number)s handed over. Collected %(amount)s (%(how)s).",
                    number=number, amount=amount, how=how), "success")
    elif not done:
        flash(_("Order %(number)s: part handed over; the rest stays reserved.",
                number=number), "success")
    else:
        flash(_("Order %(number)s handed over.", number=number), "success")
    return redirect(desk_url(f.center_id, Method.PICKUP))


def cash_change(form: HandOverForm, due: int) -> int | None:
    """The change for the cash received (fen; negative when short), None when not given."""
    if form.tendered.data is None:
        return None
    return int((form.tendered.data * 100).to_integral_value()) - due


def confirm_page(f: Fulfillment, form: HandOverForm, status: int = 200):
    """The last look before hand-over: the goods, the amount due, how it was paid."""
    order = orders_by_id([f.order_id]).get(f.order_id)
    context = common_context(f.center)
    context.update(f=f, order=order, collect=dues.to_collect(order), form=form,
                   paid_by=PAID_BY)
    return render_template("fulfillment/confirm_handover.html", **context), status


def _taken_lines(f: Fulfillment) -> dict[int, int] | None:
    """``{line id: units}`` from the quantity boxes, or None (everything) when there are none."""
    taken = {}
    for line in f.lines:
        raw = request.form.get(f"take-{line.id}")
        if raw is None:
            continue
        try:
            taken[line.id] = int(raw)
        except ValueError:
            taken[line.id] = -1  # refused by the service with a clear message
    return taken or None


@bp.route("/desk/code", methods=["POST"])
@roles_required(*DESK_ROLES)
def find_code():
    """The code box: find the ready order with this code at this center, then confirm."""
    center = desk_center()
    if center is None:
        raise NotFound()
    form = CodeForm()
    if not form.validate_on_submit():
        return render_desk(center, code_form=form, status=400)
    elsewhere = other_code_page(center, form.code.data)
    if elsewhere:
        return redirect(elsewhere)
    try:
        f = services.find_by_code(center.id, form.code.data)
    except (WrongCode, TooManyAttempts) as err:
        db.session.rollback()
        form.code.errors = [str(err.message)]
        return render_desk(center, code_form=form, status=err.status)
    return confirm_page(f, HandOverForm(formdata=None,
                                        code=services.normalize_code(form.code.data)))


def other_code_page(center, code: str) -> str | None:
    """The page of another kind of code (a member's card, ...) that a module upward knows,
    asked through ``desk_code_received``; None when the code is for this desk."""
    for _receiver, address in desk_code_received.send(center, code=code):
        if address:
            return address
    return None
