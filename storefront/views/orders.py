"""The shopper's orders: the list (with their coupons), one order, its pickup code as a
QR image once it is ready, and cancelling it."""

from datetime import timedelta
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from core.cache import cached_fragment, watch_tables
from core.clock import utcnow
from core.errors import DomainError, NotFound
from core.extensions import db
from core.i18n import localized
from core.privacy import shown_address
from core.qr import qr_svg_response
from fulfillment.access import whole_for_delivery
from fulfillment.centers import centers_by_id
from fulfillment.models import Center, Fulfillment, FulfillmentStatus

from ..coupon_models import Coupon
from ..coupons import coupons_of, state_of
from ..labels import COUPON_STATE_LABELS
from ..models import Order, OrderLine
from ..orders import can_view, cancel_order, get_order
from ..payments import billing
from ..web import bp

#: the cache namespace of a shopper's order list: any session write to the orders, their
#: fulfillments and lines, or the coupons moves it on (``core.cache.watch_tables``)
MY_ORDERS_NAMESPACE = "my-orders"
watch_tables(MY_ORDERS_NAMESPACE, Order.__tablename__, OrderLine.__tablename__,
             Fulfillment.__tablename__, Coupon.__tablename__)


@bp.route("/orders")
@login_required
def orders():
    user = current_user._get_current_object()
    # This shopper's own list, kept until an order, its fulfillment or lines, or a coupon is
    # written (MY_ORDERS_NAMESPACE) or a center renamed, and for the minute it was made in
    # (coupons expire).
    minute = utcnow().replace(second=0, microsecond=0).isoformat()
    body = cached_fragment("my-orders", (MY_ORDERS_NAMESPACE, "catalog"), (user.id, minute),
                           lambda: _orders_body(user))
    return render_template("storefront/orders.html", body=Markup(body))


def _orders_body(user) -> str:
    rows, items = _order_list(user)
    centers = centers_by_id(o.center_id for o in rows)
    return render_template("storefront/_orders_body.html", orders=rows, items=items,
                           centers=centers, coupons=coupons_of(user), coupon_state=state_of,
                           coupon_labels=COUPON_STATE_LABELS)


def _order_list(user) -> tuple[list[Order], dict[int, int]]:
    """The shopper's orders, newest first, with their fulfillment, and the units of each
    (two statements): the list shows no line, so none is loaded."""
    orders = list(db.session.execute(
        sa.select(Order).where(Order.user_id == user.id)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .options(sa.orm.selectinload(Order.fulfillment))).scalars())
    items = dict(db.session.execute(
        sa.select(OrderLine.order_id, sa.func.sum(OrderLine.quantity))
        .join(Order, Order.id == OrderLine.order_id).where(Order.user_id == user.id)
        .group_by(OrderLine.order_id)).all())
    return orders, items


def _visible_order(public_id: str, *, owner_only: bool = False):
    """The order, if this user may see it; a 404 otherwise (its existence stays private)."""
    if len(public_id) > 64:
        raise NotFound()
    order = get_order(public_id)
    user = current_user._get_current_object()
    allowed = order.user_id == user.id if owner_only else can_view(order, user)
    if not allowed:
        raise NotFound()
    return order


@bp.route("/orders/<public_id>")
@login_required
def order(public_id: str):
    order = _visible_order(public_id)
    f = order.fulfillment
    is_owner = order.user_id == current_user.id
    ready = f is not None and f.status == FulfillmentStatus.READY and bool(f.pickup_code)
    # the phones' rule (core.privacy): whole for the owner and the desk that delivers
    whole = is_owner or whole_for_delivery(current_user._get_current_object(), f)
    address = shown_address(f.address, whole=whole) if f is not None else None
    center = db.session.get(Center, order.center_id)
    return render_template(
        "storefront/order.html", order=order, f=f, center=center,
        address=address, is_owner=is_owner, show_code=is_owner and ready,
        pickup_deadline=pickup_deadline(f) if ready else None, map_link=map_link(center),
        can_cancel=is_owner and order.is_open and (
            f is None or f.status == FulfillmentStatus.RESERVED))


def pickup_deadline(f):
    """When a ready pickup is released if nobody collects it (``PICKUP_NO_SHOW_DAYS``)."""
    if f is None or f.ready_at is None:
        return None
    return f.ready_at + timedelta(days=current_app.config.get("PICKUP_NO_SHOW_DAYS", 7))


def map_link(center) -> str | None:
    """A plain link that opens the center in the maps app (Amap's URI, WGS-84 position)."""
    if center is None or center.lat is None or center.lng is None:
        return None
    return "https://uri.amap.com/marker?" + urlencode({
        "position": f"{center.lng:.6f},{center.lat:.6f}", "name": localized(center, "name"),
        "coordinate": "wgs84", "callnative": "1"})


@bp.route("/orders/<public_id>/qr.svg")
@login_required
def order_qr(public_id: str):
    """The pickup code as a QR image, for the owner, once the order is ready."""
    order = _visible_order(public_id, owner_only=True)
    f = order.fulfillment
    if f is None or f.status != FulfillmentStatus.READY or not f.pickup_code:
        raise NotFound()
    return qr_svg_response(f.pickup_code, omitsize=True, xmldecl=False, dark="#0f3d3e")


@bp.route("/orders/<public_id>/cancel", methods=["POST"])
@login_required
def order_cancel(public_id: str):
    order = _visible_order(public_id, owner_only=True)
    try:
        cancel_order(order, current_user._get_current_object())
        order_id, paid = order.id, bool(billing.refunds_of(order))
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        flash(str(err.message), "error")
    else:
        if paid:  # the online payment goes back, through Stripe, after the commit
            billing.execute_pending_refunds(order_id)
            flash(_("Your order is cancelled. What you paid is refunded in full."), "success")
        else:
            flash(_("Your order is cancelled. Nothing is charged."), "success")
    return redirect(url_for(".order", public_id=public_id))
