"""HTML pages of fulfillment: the store desk (today's pickups and deliveries) and its stock.

Staff see their own center only; an admin picks one with ``?center=<id>``. Order numbers
and amounts come from the orders table by name: fulfillment does not import storefront.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core.auth import roles_required
from core.errors import IllegalTransition, NotFound, TooManyAttempts, ValidationFailed
from core.extensions import db
from core.i18n import localized, money_filter, shop_zone
from core.models import Role, User, utcnow

from . import courier, delivery, lots, pickup, services, slots, transfers
from .errors import WrongCode
from .forms import ActionForm, CodeForm, HandOverForm, StockForm
from .models import Center, Fulfillment, FulfillmentStatus, Method, Stock
from .queue import group_by_slot

bp = Blueprint("fulfillment", __name__)

DESK_ROLES = (Role.STAFF, Role.ADMIN)

STATUS_LABELS = {
    FulfillmentStatus.RESERVED: _l("To prepare"),
    FulfillmentStatus.READY: _l("Ready for pickup"),
    FulfillmentStatus.PICKED_UP: _l("Picked up"),
    FulfillmentStatus.DISPATCHED: _l("On the way"),
    FulfillmentStatus.DELIVERED: _l("Delivered"),
    FulfillmentStatus.CANCELLED: _l("Cancelled"),
}
#: a delivery waiting at the center is not "to prepare" but "to dispatch"
DELIVERY_STATUS_LABELS = {FulfillmentStatus.RESERVED: _l("To dispatch")}
#: a courier parcel is packed and handed to the carrier
COURIER_STATUS_LABELS = {FulfillmentStatus.RESERVED: _l("To ship"),
                         FulfillmentStatus.DISPATCHED: _l("With the carrier")}
PAYMENT_LABELS = {
    "pay_at_pickup": _l("Pay at pickup"),
    "cash_on_delivery": _l("Cash on delivery"),
    "stripe": _l("Paid online"),
}
#: why the router chose this center, in words for the desk
ROUTING_REASONS = {
    "nearest": _l("nearest center holding everything"),
    "least_loaded": _l("as near as another, fewer open orders"),
    "best_cover": _l("as near and as busy as another, more stock"),
    "only_center": _l("the only center serving the address with everything in stock"),
    "shopper_chose": _l("the shopper chose this store"),
    "courier": _l("no delivery center could take it: shipped by courier from this warehouse"),
}
_CLOSED_ORDER = ("cancelled", "refunded")


def mask_phone(phone: str | None) -> str:
    """Only the last 4 digits show at the desk: ``13812345678`` -> ``*******5678``."""
    phone = (phone or "").strip()
    if len(phone) <= 4:
        return "*" * len(phone)
    return "*" * (len(phone) - 4) + phone[-4:]


def status_label(f: Fulfillment) -> str:
    """The desk's word for a fulfillment's state."""
    if f.method == Method.COURIER and f.status in COURIER_STATUS_LABELS:
        return COURIER_STATUS_LABELS[f.status]
    if f.method == Method.DELIVERY and f.status in DELIVERY_STATUS_LABELS:
        return DELIVERY_STATUS_LABELS[f.status]
    return STATUS_LABELS.get(f.status, f.status)


def today_start_utc() -> datetime:
    """Midnight today in the shop's zone, as a UTC time."""
    now = datetime.now(shop_zone())
    return now.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def _is_admin() -> bool:
    return current_user.role == Role.ADMIN


def desk_center() -> Center | None:
    """The center this desk works for: the staff member's own, or the admin's choice.

    A staff member asking for another center gets a 404 (it does not exist for them).
    """
    requested = request.args.get("center", type=int)
    if _is_admin():
        center_id = requested or db.session.execute(
            sa.select(Center.id).where(Center.active.is_(True)).order_by(Center.code).limit(1)
        ).scalar()
        if center_id is None:
            return None
    else:
        center_id = requested or current_user.center_id
    services.check_center_access(current_user, center_id)
    center = db.session.get(Center, center_id)
    if center is None:
        raise NotFound()
    return center


def center_arg(center_id: int) -> dict:
    """``center=`` for URLs when an admin works a center; staff never need it."""
    return {"center": center_id} if _is_admin() else {}


def _desk_url(center_id: int, tab: str | None = None, anchor: str | None = None) -> str:
    return url_for("fulfillment.desk", tab=tab, _anchor=anchor, **center_arg(center_id))


def _orders_by_id(order_ids) -> dict:
    """Number, payment and amounts of these orders, in one query (the table, by name)."""
    if not order_ids:
        return {}
    orders = db.metadata.tables["orders"]
    rows = db.session.execute(
        sa.select(orders.c.id, orders.c.number, orders.c.status, orders.c.payment_method,
                  orders.c.total_amount, orders.c.paid_amount, orders.c.currency,
                  orders.c.note)
        .where(orders.c.id.in_(list(order_ids))))
    return {row.id: row for row in rows}


def to_collect(order) -> int:
    """What the desk still collects for an order (offline payment), in minor units."""
    if order is None or order.status in _CLOSED_ORDER:
        return 0
    return max(order.total_amount - order.paid_amount, 0)


def _all_centers() -> list[Center]:
    return list(db.session.execute(
        sa.select(Center).where(Center.active.is_(True)).order_by(Center.code)).scalars())


def common_context(center: Center) -> dict:
    return {
        "center": center, "is_admin": _is_admin(), "center_arg": center_arg(center.id),
        "centers": _all_centers() if _is_admin() else [], "mask_phone": mask_phone,
        "status_label": status_label, "payment_labels": PAYMENT_LABELS,
        "routing_reasons": ROUTING_REASONS,
    }


def _render_desk(center: Center, *, code_form: CodeForm | None = None,
                 row_errors: dict | None = None, status: int = 200, partial: bool = False):
    tabs = [m for m, on in ((Method.PICKUP, center.is_pickup),
                            (Method.DELIVERY, center.is_delivery),
                            (Method.COURIER, center.is_warehouse)) if on]
    queue = services.center_queue(center.id, day_start=today_start_utc())
    # A center that stopped a kind may still have work of it: show that tab too.
    for f in queue:
        if f.method not in tabs:
            tabs.append(f.method)
    tabs = tabs or [Method.PICKUP]
    tab = request.args.get("tab")
    if tab not in tabs:
        tab = tabs[0]
    counts = {m: sum(1 for f in queue if f.method == m and f.is_open) for m in tabs}
    mine = [f for f in queue if f.method == tab]
    context = common_context(center)
    context.update(
        tabs=tabs, tab=tab, counts=counts, total=len(mine),
        groups=group_by_slot(mine, today=datetime.now(shop_zone()).date(), zone=shop_zone()),
        done=[f for f in mine if not f.is_open],
        orders=_orders_by_id({f.order_id for f in queue}), to_collect=to_collect,
        code_form=code_form or CodeForm(), row_errors=row_errors or {},
        low_stock=transfers.low_stock_named(center.id),
        couriers=db.session.execute(
            sa.select(User).where(User.role == Role.STAFF, User.center_id == center.id,
                                  User.active.is_(True)).order_by(User.name)).scalars().all(),
        delivery_slots=slots.offered_slots(center.id, Method.DELIVERY, now=utcnow()),
    )
    template = "fulfillment/_queue.html" if partial else "fulfillment/desk.html"
    return render_template(template, **context), status


@bp.route("/desk")
@roles_required(*DESK_ROLES)
def desk():
    center = desk_center()
    if center is None:
        return render_template("fulfillment/no_center.html")
    return _render_desk(center)


@bp.route("/desk/queue")
@roles_required(*DESK_ROLES)
def desk_queue():
    """The queue alone (tabs and today's work), for the desk to refresh in place."""
    center = desk_center()
    if center is None:
        raise NotFound()
    return _render_desk(center, partial=True)


def _fulfillment(fulfillment_id: int) -> Fulfillment:
    """The fulfillment, if this user may work it (others' work is a 404 for staff)."""
    f = db.session.get(Fulfillment, fulfillment_id)
    if f is None:
        raise NotFound()
    services.check_center_access(current_user, f.center_id)
    return f


def _number(f: Fulfillment) -> str:
    order = _orders_by_id([f.order_id]).get(f.order_id)
    return order.number if order is not None and order.number else f"#{f.order_id}"


def _step(fulfillment_id: int, action, done_message):
    """Run a one-click desk step (ready, dispatch, delivered) and go back to the desk."""
    f = _fulfillment(fulfillment_id)
    form = ActionForm()
    if not form.validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
        return redirect(_desk_url(f.center_id, f.method))
    try:
        action(f, current_user)
    except (IllegalTransition, ValidationFailed) as err:
        db.session.rollback()
        flash("; ".join(str(m) for ms in err.errors.values() for m in ms)
              if isinstance(err, ValidationFailed) and err.errors else str(err.message), "error")
        return redirect(_desk_url(f.center_id, f.method))
    number = _number(f)
    db.session.commit()
    flash(done_message % {"number": number}, "success")
    return redirect(_desk_url(f.center_id, f.method))


@bp.route("/desk/fulfillments/<int:fulfillment_id>/ready", methods=["POST"])
@roles_required(*DESK_ROLES)
def mark_ready(fulfillment_id: int):
    return _step(fulfillment_id, services.mark_ready,
                 _("Order %(number)s is ready for pickup."))


@bp.route("/desk/fulfillments/<int:fulfillment_id>/dispatch", methods=["POST"])
@roles_required(*DESK_ROLES)
def dispatch(fulfillment_id: int):
    def action(f, actor):
        raw = request.form.get("courier_id") or ""
        courier = db.session.get(User, int(raw)) if raw.isdigit() else None
        return services.dispatch(f, actor, courier)

    return _step(fulfillment_id, action, _("Order %(number)s is on its way."))


@bp.route("/desk/fulfillments/<int:fulfillment_id>/ship", methods=["POST"])
@roles_required(*DESK_ROLES)
def ship_courier(fulfillment_id: int):
    """A courier parcel leaves the warehouse with a carrier and its tracking number."""
    return _step(fulfillment_id, lambda f, actor: courier.ship(
        f, actor, carrier=request.form.get("carrier", ""),
        tracking_number=request.form.get("tracking_number", "")),
        _("Order %(number)s is with the carrier."))


@bp.route("/desk/fulfillments/<int:fulfillment_id>/delivered", methods=["POST"])
@roles_required(*DESK_ROLES)
def delivered(fulfillment_id: int):
    return _step(fulfillment_id, lambda f, actor: services.mark_delivered(
        f, actor, received_by=request.form.get("received_by")),
        _("Order %(number)s is delivered."))


@bp.route("/desk/fulfillments/<int:fulfillment_id>/failed", methods=["POST"])
@roles_required(*DESK_ROLES)
def delivery_failed(fulfillment_id: int):
    def action(f, actor):
        raw = request.form.get("slot_id") or ""
        return delivery.fail_delivery(f, actor, reason=request.form.get("reason", ""),
                                      new_slot_id=int(raw) if raw.isdigit() else None)

    return _step(fulfillment_id, action,
                 _("Order %(number)s is back in the queue for another delivery."))


@bp.route("/desk/fulfillments/<int:fulfillment_id>/handover", methods=["POST"])
@roles_required(*DESK_ROLES)
def hand_over(fulfillment_id: int):
    """Hand an order over against the code the customer shows (from its row or the code box)."""
    f = _fulfillment(fulfillment_id)
    center = f.center
    form = HandOverForm()
    if not form.validate_on_submit():
        message = "; ".join(map(str, form.code.errors)) or _("The form expired. Please try again.")
        return _render_desk(center, row_errors={f.id: message}, status=400)
    order = _orders_by_id([f.order_id]).get(f.order_id)
    collect = to_collect(order)
    lines = _taken_lines(f)
    paid = form.paid_method.data or None
    try:
        pickup.collect(f, form.code.data, current_user, lines=lines,
                       collector_name=form.collector_name.data,
                       collector_phone=form.collector_phone.data,
                       collected={"method": paid, "amount": collect} if paid and collect else None)
    except (WrongCode, TooManyAttempts, IllegalTransition, ValidationFailed) as err:
        db.session.rollback()
        message = str(err.message)
        if isinstance(err, ValidationFailed) and err.errors:
            message = "; ".join(str(m) for v in err.errors.values()
                                for m in (v.values() if isinstance(v, dict) else v))
        return _render_desk(center, row_errors={f.id: message}, status=err.status)
    done = f.status == FulfillmentStatus.PICKED_UP
    db.session.commit()
    number = order.number if order is not None else f"#{f.order_id}"
    if not done:
        flash(_("Order %(number)s: part handed over; the rest stays reserved.",
                number=number), "success")
    elif collect:
        flash(_("Order %(number)s handed over. Collected %(amount)s.", number=number,
                amount=money_filter(collect, order.currency)), "success")
    else:
        flash(_("Order %(number)s handed over.", number=number), "success")
    return redirect(_desk_url(f.center_id, Method.PICKUP))


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
        return _render_desk(center, code_form=form, status=400)
    try:
        f = services.find_by_code(center.id, form.code.data)
    except (WrongCode, TooManyAttempts) as err:
        db.session.rollback()
        form.code.errors = [str(err.message)]
        return _render_desk(center, code_form=form, status=err.status)
    order = _orders_by_id([f.order_id]).get(f.order_id)
    confirm = HandOverForm(formdata=None, code=services.normalize_code(form.code.data))
    context = common_context(center)
    context.update(f=f, order=order, collect=to_collect(order), form=confirm)
    return render_template("fulfillment/confirm_handover.html", **context)


# --- stock -----------------------------------------------------------------------------------


def _stock_rows(center_id: int) -> list:
    """Active products (and any product this center still holds) with its stock: one query."""
    products = db.metadata.tables["products"]
    return list(db.session.execute(
        sa.select(products.c.id, products.c.sku, products.c.name_zh, products.c.name_en,
                  products.c.active,
                  sa.func.coalesce(Stock.on_hand, 0).label("on_hand"),
                  sa.func.coalesce(Stock.reserved, 0).label("reserved"))
        .select_from(products.outerjoin(
            Stock, sa.and_(Stock.product_id == products.c.id, Stock.center_id == center_id)))
        .where(sa.or_(products.c.active.is_(True), Stock.id.is_not(None)))
        .order_by(products.c.position, products.c.id)))


def _render_stock(center: Center, *, errors: dict | None = None, values: dict | None = None,
                  status: int = 200):
    context = common_context(center)
    lots_by_product: dict[int, list] = {}
    for lot in lots.lots_at(center.id, limit=1000):
        lots_by_product.setdefault(lot.product_id, []).append(lot)
    context.update(rows=_stock_rows(center.id), errors=errors or {}, values=values or {},
                   lots_by_product=lots_by_product)
    return render_template("fulfillment/stock.html", **context), status


@bp.route("/desk/stock")
@roles_required(*DESK_ROLES)
def stock():
    center = desk_center()
    if center is None:
        return render_template("fulfillment/no_center.html")
    return _render_stock(center)


@bp.route("/desk/stock/<int:product_id>", methods=["POST"])
@roles_required(*DESK_ROLES)
def set_stock(product_id: int):
    center = desk_center()
    if center is None:
        raise NotFound()
    products = db.metadata.tables["products"]
    product = db.session.execute(
        sa.select(products.c.id, products.c.name_zh, products.c.name_en)
        .where(products.c.id == product_id)).first()
    if product is None:
        raise NotFound()
    form = StockForm()
    submitted = {product_id: request.form.get("on_hand", "")}
    if not form.validate_on_submit():
        message = ("; ".join(str(e) for f in form for e in f.errors)
                   or _("The form expired. Please try again."))
        return _render_stock(center, errors={product_id: message}, values=submitted, status=400)
    try:
        row = services.set_stock(center.id, product_id, form.on_hand.data, current_user,
                                 lot=form.lot())
    except ValidationFailed as err:
        db.session.rollback()
        message = "; ".join(map(str, err.errors.get("on_hand", []) + err.errors.get("lot", [])
                                )) or str(err.message)
        return _render_stock(center, errors={product_id: message}, values=submitted, status=400)
    on_hand = row.on_hand
    db.session.commit()
    flash(_("%(name)s: %(n)d on hand.", name=localized(product, "name"), n=on_hand), "success")
    return redirect(url_for("fulfillment.stock", _anchor=f"p{product_id}",
                            **center_arg(center.id)))


# Pages of their own topics, on this blueprint (they import the helpers above).
from . import views_lots, views_transfers  # noqa: E402,F401
