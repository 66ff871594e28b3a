"""Back office: orders, with their payment timeline, refunds and dispute flag.

Admins see every order; store staff the orders of their own center (others' do not exist
for them). Both may refund: in full, by lines or an amount in yuan, always with a reason.
"""

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import BooleanField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from core.auth import roles_required
from core.cache import cached_fragment, watch_tables
from core.errors import DomainError, NotFound
from core.extensions import db
from core.forms import apply_domain_errors
from core.i18n import money_filter
from core.models import Role
from fulfillment.models import Center
from fulfillment.schemas import plain_key

from . import orders
from .admin_forms import YuanField
from .models import Order, OrderStatus
from .payments import gateway, records, refund_requests, refunds
from .payments.models import RefundRequest

bp = Blueprint("order_admin", __name__, url_prefix="/admin/orders")

PAGE_SIZE = 50
#: the cache namespace of the order list: any session write to an order or a refund request
#: moves it on (``core.cache.watch_tables``)
ORDER_LIST_NAMESPACE = "order-list"
watch_tables(ORDER_LIST_NAMESPACE, Order.__tablename__, RefundRequest.__tablename__)


class RefundForm(FlaskForm):
    """Full refund, some units of some lines (``line-<id>`` quantities) or an amount in yuan,
    with a reason."""

    scope = RadioField(_l("What goes back"), default="full", choices=[
        SelectChoice("full", _l("Everything still paid")),
        SelectChoice("lines", _l("Some items (enter the quantities)")),
        SelectChoice("amount", _l("An amount (enter it in yuan)")),
    ], validators=[InputRequired()])
    amount = YuanField(_l("Amount (yuan)"), validators=[Optional()])
    reason = TextAreaField(_l("Reason"), validators=[
        InputRequired(message=_l("Say why the money goes back.")), Length(max=500)])
    restock = BooleanField(_l("Returned to stock: the items came back and go on the shelf"))

    def line_quantities(self, order: Order) -> tuple[dict[int, int], list[str]]:
        quantities, errors = {}, []
        for line in order.lines:
            raw = (request.form.get(f"line-{line.id}") or "").strip()
            if not raw:
                continue
            if not (raw.isascii() and raw.isdigit()) or len(raw) > 6:
                errors.append(str(_l("Quantities are whole numbers.")))
                continue
            if int(raw):
                quantities[line.id] = int(raw)
        return quantities, errors


def _visible(public_id: str) -> Order:
    if not plain_key(public_id):
        raise NotFound()
    order = orders.get_order(public_id)
    if current_user.role == Role.STAFF and current_user.center_id != order.center_id:
        raise NotFound()
    return order


@bp.route("/")
@roles_required(Role.ADMIN, Role.STAFF)
def index():
    status = request.args.get("status")
    status = status if status in OrderStatus.ALL or status == "disputed" else None
    requested = request.args.get("refund_requested") == "1"
    q = (request.args.get("q") or "").strip()[:40]
    page = max(1, request.args.get("page", 1, type=int))
    center_id = current_user.center_id if current_user.role == Role.STAFF else None
    # The same for everyone who may see these orders: kept until an order or a refund
    # request is written (ORDER_LIST_NAMESPACE).
    body = cached_fragment("admin-orders", (ORDER_LIST_NAMESPACE,),
                           (center_id, status, requested, q, page),
                           lambda: _list(center_id, status, requested, q, page))
    return render_template("admin/orders.html", body=Markup(body))


def _list(center_id: int | None, status: str | None, requested: bool, q: str,
          page: int) -> str:
    query = sa.select(Order).order_by(Order.created_at.desc(), Order.id.desc())
    if center_id is not None:
        query = query.where(Order.center_id == center_id)
    if status in OrderStatus.ALL:
        query = query.where(Order.status == status)
    elif status == "disputed":
        query = query.where(Order.disputed.is_(True))
    if requested:
        query = query.where(Order.id.in_(refund_requests.requested_order_ids()))
    if q:
        query = query.where(Order.number.contains(q.upper()))
    rows = db.session.execute(query.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)
                              ).scalars().all()
    return render_template("admin/_orders_body.html", rows=rows[:PAGE_SIZE],
                           more=len(rows) > PAGE_SIZE, page=page, status=status, q=q,
                           statuses=OrderStatus.ALL, online=gateway.enabled(),
                           requested=requested,
                           asked=_asked([o.id for o in rows[:PAGE_SIZE]]) if requested else {})


def _asked(order_ids: list[int]) -> dict[int, int]:
    """The sum of the open refund requests of each order (fen)."""
    return dict(db.session.execute(
        sa.select(RefundRequest.order_id, sa.func.sum(RefundRequest.amount))
        .where(RefundRequest.order_id.in_(order_ids), RefundRequest.closed_at.is_(None))
        .group_by(RefundRequest.order_id)).all())


def _page(order: Order, form: RefundForm, status: int = 200):
    return render_template(
        "admin/order.html", order=order, form=form, center=db.session.get(Center, order.center_id),
        events=records.timeline(order), payments=records.payments_of(order),
        refunds=records.refunds_of(order), refundable=refunds.left_to_refund(order),
        paid=records.paid_total(order), done=records.refunded_quantities(order),
        online=gateway.enabled(), requests=refund_requests.open_requests(order),
        describe_source=refund_requests.describe_source,
        may_refund=refunds.can_refund(order, current_user),
        routing=order.fulfillment.routing if order.fulfillment is not None else None,
        can_restock=refunds.can_restock(order, current_user),
    ), status


@bp.route("/<public_id>")
@roles_required(Role.ADMIN, Role.STAFF)
def detail(public_id: str):
    return _page(_visible(public_id), RefundForm())


@bp.route("/<public_id>/refund", methods=["POST"])
@roles_required(Role.ADMIN, Role.STAFF)
def refund(public_id: str):
    order = _visible(public_id)
    form = RefundForm()
    if not form.validate_on_submit():
        return _page(order, form, 400)
    lines = None
    if form.scope.data == "amount" and not form.amount.data:
        form.form_errors.append(_("Enter the amount to refund, above 0."))
        return _page(order, form, 400)
    if form.scope.data == "lines":
        lines, errors = form.line_quantities(order)
        if errors:
            form.form_errors.extend(errors)
            return _page(order, form, 400)
    if form.restock.data and form.scope.data == "amount":
        form.restock.errors = [str(refunds.RESTOCK_ONLY_BY_LINE)]
        return _page(order, form, 400)
    try:
        actor = current_user._get_current_object()
        if form.scope.data == "amount":
            made = refunds.refund_amount(order, actor, amount=form.amount.data,
                                         reason=form.reason.data)
        else:
            made = refunds.refund_order(order, actor, reason=form.reason.data, lines=lines,
                                        restock=form.restock.data)
        refund_id, amount, currency = made.id, made.amount, made.currency
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        apply_domain_errors(form, err)
        return _page(orders.get_order(public_id), form, err.status)
    return _refunded(public_id, refund_id, amount, currency)


def _refunded(public_id: str, refund_id: int, amount: int, currency: str):
    """After the commit: ask Stripe for the refund, say how it went, back to the order."""
    done = refunds.execute_refund(refund_id)
    if done.status == "succeeded":
        flash(_("Refunded %(amount)s.", amount=money_filter(amount, currency)), "success")
    elif done.status == "pending":
        flash(_("The refund of %(amount)s is recorded; the payment service did not answer yet. "
                "It is retried automatically.", amount=money_filter(amount, currency)), "warning")
    else:
        flash(_("The payment service refused the refund: %(why)s",
                why=done.failure_message or "?"), "error")
    return redirect(url_for(".detail", public_id=public_id))


@bp.route("/<public_id>/refund-requests/<int:request_id>", methods=["POST"])
@roles_required(Role.ADMIN, Role.STAFF)
def pay_request(public_id: str, request_id: int):
    """Refund the amount someone asked for (a complaint's remedy), in one click."""
    order = _visible(public_id)
    asked = db.session.get(RefundRequest, request_id)
    if asked is None or asked.order_id != order.id:
        raise NotFound()
    form = RefundForm(formdata=None)  # the CSRF token is checked for every POST
    try:
        made = refunds.pay_request(asked, current_user._get_current_object())
        refund_id, amount, currency = made.id, made.amount, made.currency
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        form.form_errors.append(str(err.message))
        return _page(orders.get_order(public_id), form, err.status)
    return _refunded(public_id, refund_id, amount, currency)
