"""What the store desk's pages share: the ``fulfillment`` blueprint, who may open them, the
center a page works for, the words for a fulfillment's state, the queue as the desk shows
it, and one-click steps.

The pages hang on ``bp`` by topic in ``fulfillment/views/``: ``desk`` (today's queue,
refreshed in place), ``pickup`` (ready, hand-over, the code box), ``delivery`` (dispatch,
courier parcels, delivered, failed), ``stock`` (counts), ``transfers``, ``lots`` (lots and
slots). They import this module, never each other; ``core.app`` imports them and registers
``bp``. Staff see their own center only; an admin picks one with ``?center=<id>``. Order
numbers and amounts come from the orders table by name: fulfillment does not import
storefront.
"""


import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from wtforms.fields.choices import SelectChoice

from core.cache import CSRF_PLACEHOLDER, cached_fragment, watch_tables, with_csrf_token
from core.clock import day_start, shop_today, shop_zone, utcnow
from core.errors import IllegalTransition, NotFound, ValidationFailed
from core.extensions import db
from core.models import Role, User
from core.privacy import mask_phone, shown_phone
from core.sql import get

from . import divisions, lots, services, slots, transfers
from .access import check_center_access, whole_for_delivery
from .centers import active_centers
from .dues import to_collect
from .errors import PaymentMethodRequired, WrongAmount
from .forms import PAID_BY, ActionForm, CodeForm
from .labels import PAYMENT_LABELS, routing_word, status_label
from .labels import ROUTING_WORDS as ROUTING_REASONS
from .models import Center, Fulfillment, Method
from .queue import group_by_slot

bp = Blueprint("fulfillment", __name__)
bp.add_app_template_global(routing_word)
#: a division's name in the reader's language, from its code (addresses keep the Chinese)
bp.add_app_template_global(divisions.local_name, "division_name")
bp.add_app_template_global(divisions.city_name, "city_name")

DESK_ROLES = (Role.STAFF, Role.ADMIN)
#: the cache namespace of the desk's queue: any session write to what it shows moves it on
DESK_NAMESPACE = "desk"
watch_tables(DESK_NAMESPACE, "fulfillments", "fulfillment_lines", "orders", "slots")
watch_tables(DESK_NAMESPACE, "users", columns=("name", "role", "center_id", "active"))

def is_admin() -> bool:
    return current_user.role == Role.ADMIN


def desk_center() -> Center | None:
    """The center this desk works for: the staff member's own, or the admin's choice.

    A staff member asking for another center gets a 404 (it does not exist for them).
    """
    requested = request.args.get("center", type=int)
    if is_admin():
        center_id = requested or db.session.execute(
            sa.select(Center.id).where(Center.active.is_(True)).order_by(Center.code).limit(1)
        ).scalar()
        if center_id is None:
            return None
    else:
        center_id = requested or current_user.center_id
    check_center_access(current_user, center_id)
    center = get(Center, center_id)
    if center is None:
        raise NotFound()
    return center


def center_arg(center_id: int) -> dict:
    """``center=`` for URLs when an admin works a center; staff never need it."""
    return {"center": center_id} if is_admin() else {}


def desk_url(center_id: int, tab: str | None = None, anchor: str | None = None) -> str:
    return url_for("fulfillment.desk", tab=tab, _anchor=anchor, **center_arg(center_id))


def orders_by_id(order_ids) -> dict:
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


def product_choices() -> list[SelectChoice]:
    """The products on sale, for a form's select."""
    return [SelectChoice(p.id, f"{p.name_zh} · {p.sku}") for p in lots.active_products()]


def contact_phone(f: Fulfillment) -> str | None:
    """The customer's phone on the desk (``core.privacy``): whole on a delivery or courier
    shipment, for the courier calls; masked on a pickup."""
    return shown_phone(f.contact_phone, whole=whole_for_delivery(current_user, f))


def common_context(center: Center) -> dict:
    return {
        "center": center, "is_admin": is_admin(), "center_arg": center_arg(center.id),
        "centers": active_centers() if is_admin() else [], "mask_phone": mask_phone,
        "contact_phone": contact_phone,
        "status_label": status_label, "payment_labels": PAYMENT_LABELS, "paid_by": PAID_BY,
        "routing_reasons": ROUTING_REASONS,
    }


def render_desk(center: Center, *, code_form: CodeForm | None = None,
                 row_errors: dict | None = None, status: int = 200, partial: bool = False):
    requested = request.args.get("tab")
    if row_errors:
        queue = _queue_part(center, requested, row_errors)
    else:
        # The queue as this clerk sees it (the courier list preselects them), kept until a
        # fulfillment, its lines, an order, a slot or the staff change (DESK_NAMESPACE), and
        # for the minute it was made in (what is today's, which slots are still offered).
        minute = utcnow().replace(second=0, microsecond=0).isoformat()
        queue = cached_fragment(
            "desk-queue", (DESK_NAMESPACE,),
            (center.id, requested if requested in Method.ORDER else "", current_user.id,
             is_admin(), minute),
            lambda: _queue_part(center, requested, {}, placeholder=True))
    html = Markup(with_csrf_token(queue["html"]))
    if partial:
        return html, status
    context = common_context(center)
    context.update(queue=html, tab=queue["tab"], code_form=code_form or CodeForm(),
                   low_stock=cached_fragment(  # moves on with any stock movement or alert
                       "desk-low-stock", ("stock", "catalog"), (center.id,),
                       lambda: transfers.low_stock_named(center.id)))
    return render_template("fulfillment/desk.html", **context), status


def _queue_part(center: Center, requested: str | None, row_errors: dict, *,
                placeholder: bool = False) -> dict:
    """``{"html", "tab"}``: the desk's tabs and today's work (``_queue.html``); forms carry
    ``CSRF_PLACEHOLDER`` when the HTML is to be cached."""
    tabs = [m for m, on in ((Method.PICKUP, center.is_pickup),
                            (Method.DELIVERY, center.is_delivery),
                            (Method.COURIER, center.is_warehouse)) if on]
    queue = services.center_queue(center.id, day_start=day_start(shop_today()))
    # A center that stopped a kind may still have work of it: show that tab too.
    for f in queue:
        if f.method not in tabs:
            tabs.append(f.method)
    tabs = tabs or [Method.PICKUP]
    tab = requested if requested in tabs else tabs[0]
    counts = {m: sum(1 for f in queue if f.method == m and f.is_open) for m in tabs}
    mine = [f for f in queue if f.method == tab]
    context = common_context(center)
    context.update(
        tabs=tabs, tab=tab, counts=counts, total=len(mine),
        groups=group_by_slot(mine, today=shop_today(), zone=shop_zone()),
        done=[f for f in mine if not f.is_open],
        orders=orders_by_id({f.order_id for f in queue}), to_collect=to_collect,
        row_errors=row_errors,
        couriers=db.session.execute(
            sa.select(User).where(User.role == Role.STAFF, User.center_id == center.id,
                                  User.active.is_(True)).order_by(User.name)).scalars().all(),
        delivery_slots=slots.offered_slots(center.id, Method.DELIVERY, now=utcnow()),
    )
    if placeholder:
        context["csrf_token"] = lambda: CSRF_PLACEHOLDER
    return {"html": render_template("fulfillment/_queue.html", **context), "tab": tab}


def desk_fulfillment(fulfillment_id: int) -> Fulfillment:
    """The fulfillment, if this user may work it (others' work is a 404 for staff)."""
    f = db.session.get(Fulfillment, fulfillment_id)
    if f is None:
        raise NotFound()
    check_center_access(current_user, f.center_id)
    return f


def _number(f: Fulfillment) -> str:
    order = orders_by_id([f.order_id]).get(f.order_id)
    return order.number if order is not None and order.number else f"#{f.order_id}"


def one_click_step(fulfillment_id: int, action, done_message):
    """Run a one-click desk step (ready, dispatch, delivered) and go back to the desk."""
    f = desk_fulfillment(fulfillment_id)
    form = ActionForm()
    if not form.validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
        return redirect(desk_url(f.center_id, f.method))
    try:
        action(f, current_user)
    except (IllegalTransition, ValidationFailed, PaymentMethodRequired, WrongAmount) as err:
        db.session.rollback()
        flash("; ".join(str(m) for ms in err.errors.values() for m in ms)
              if isinstance(err, ValidationFailed) and err.errors else str(err.message), "error")
        return redirect(desk_url(f.center_id, f.method))
    number = _number(f)
    db.session.commit()
    flash(done_message % {"number": number}, "success")
    return redirect(desk_url(f.center_id, f.method))
