"""The checkout: the cart's lines, pickup at a store or delivery (or a courier parcel from a
warehouse), slots, points and a coupon, and placing the order.

One commit places the order and takes its lines out of the cart; any refusal rolls back.
Refusals are told apart by their class: points and coupons on their own fields, anything
else (no center, no stock, no courier) as a problem the page explains with what can be
offered instead.
"""

import math

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.clock import utcnow
from core.errors import DomainError
from core.extensions import db
from core.i18n import localized
from fulfillment.courier import CourierUnavailable, warehouse_exists
from fulfillment.errors import InsufficientStock, NoCenterServesAddress
from fulfillment.models import Method
from fulfillment.routing import courier_offer, pickup_options
from fulfillment.slots import slots_by_center
from fulfillment.zones import delivery_areas, delivery_fee, quote_delivery

from .. import cart as carts
from ..addresses.services import MAX_ADDRESSES, addresses_of, remember_address
from ..coupons import CouponRefused, applicable, usable_coupons
from ..forms import CheckoutForm
from ..loyalty.membership import membership_of
from ..loyalty.points import POINTS_REFUSALS, discount_for, points_per_yuan, redeemable
from ..nearby import default_store, order_for_shopper, place_hint
from ..orders import MAX_QUANTITY, place_order
from ..web import bp, priced_lines


def _location() -> tuple[float | None, float | None]:
    """The browser's position from ``?lat=&lng=``, when it is a real one."""
    try:
        lat, lng = float(request.args["lat"]), float(request.args["lng"])
    except (KeyError, ValueError):
        return None, None
    if not (math.isfinite(lat) and math.isfinite(lng) and -90 <= lat <= 90
            and -180 <= lng <= 180):
        return None, None
    return lat, lng


def _checkout_problem(err: DomainError, products_by_sku: dict, options) -> dict:
    """What went wrong placing the order, in words the shopper can act on."""
    problem = _checkout_problem_of(err, products_by_sku, options)
    problem["courier"] = err.extra.get("courier_from")
    return problem


def _checkout_problem_of(err: DomainError, products_by_sku: dict, options) -> dict:
    if isinstance(err, NoCenterServesAddress):
        return {"kind": "no_center", "message": _(
            "We don't deliver to this address yet. Please choose pickup at one of our stores.")}
    if isinstance(err, CourierUnavailable):
        return {"kind": "no_courier", "message": str(err.message)}
    if isinstance(err, InsufficientStock):
        short = []
        for line in err.extra.get("lines", []):
            item = products_by_sku.get(line.get("sku"))
            short.append({"name": localized(item, "name") if item else line.get("sku"),
                          "requested": line.get("requested"),
                          "available": line.get("available", 0)})
        centers = {o.center.id: o.center for o in options}
        alternatives = []
        for alt in err.extra.get("alternatives", []):
            center = centers.get(alt.get("center_id"))
            alternatives.append({"id": alt.get("center_id"),
                                 "distance_km": alt.get("distance_km"),
                                 "name": localized(center, "name") if center else alt.get("name"),
                                 "address": localized(center, "address") if center else ""})
        return {"kind": "stock", "message": _(
            "Sorry, not everything is in stock there in the quantity you asked for."),
            "short": short, "alternatives": alternatives}
    details = []
    pending = [err.errors]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif item:
            details.append(str(item))
    return {"kind": "other", "message": str(err.message), "details": details}


def _checkout_form(user, in_cart, book) -> CheckoutForm:
    """The posted form, or a new one with the cart's lines and the shopper's contact, their
    default address chosen (the address book's ``book``)."""
    courier = warehouse_exists()
    if request.method == "POST":
        form = CheckoutForm(courier=courier)
        if courier and request.form.get("ship_by_courier"):
            form.method.data = Method.COURIER  # the problem box offered it
    else:
        form = _new_checkout_form(user, in_cart, book, courier)
    form.saved_addresses = {a.id: a.as_delivery() for a in book}
    return form


def _new_checkout_form(user, in_cart, book, courier: bool) -> CheckoutForm:
    method = request.args.get("method")
    lat, lng = _location()
    return CheckoutForm(courier=courier, data={
        "address_id": next((a.id for a in book if a.is_default), None),
        "save_address": not book,
        "lat": lat, "lng": lng,
        "method": method if method in Method.ORDER else Method.PICKUP,
        "payment_method": ("cash_on_delivery" if method in Method.SHIPPED
                           else "pay_at_pickup"),
        "name": user.name, "phone": user.phone or "",
        "lines": [{"product_id": p.id, "quantity": q} for p, q in in_cart],
    })


def _submit_checkout(user, form: CheckoutForm, by_id: dict, options):
    """Validate and place the order; returns (order, problem, status), order None on failure.

    One commit: the order and the ordered lines leaving the cart. Any refusal rolls back,
    so nothing is written.
    """
    valid = form.validate()
    for entry in form.lines.entries:
        if entry.form.product_id.data not in by_id:
            entry.form.product_id.errors = [_("This product is no longer in your cart.")]
            valid = False
    if not valid:
        return None, None, 400
    ordered = [(by_id[e.form.product_id.data], e.form.quantity.data) for e in form.lines.entries]
    if form.method.data == Method.PICKUP:
        fulfillment = {"method": Method.PICKUP, "center_id": form.center_id.data}
        if form.position() is not None:
            fulfillment["lat"], fulfillment["lng"] = form.position()
    else:
        fulfillment = {"method": form.method.data, "address": form.address()}
    products_by_sku = {p.sku: p for p, _q in ordered}
    try:
        order = place_order(user, lines=[{"sku": p.sku, "quantity": q} for p, q in ordered],
                            fulfillment=fulfillment, payment_method=form.payment_method.data,
                            note=form.note.data or None, slot_id=form.slot_id.data,
                            points=form.points.data or 0, coupon=form.coupon.data or None)
        for item, _q in ordered:
            carts.set_quantity(user, {}, item.id, 0)
        if (form.method.data in Method.SHIPPED and form.save_address.data
                and not form.uses_saved_address()
                and remember_address(user, fulfillment["address"]) is None):
            flash(_("Your address book is full, so this address was not saved."), "info")
        db.session.commit()
    except POINTS_REFUSALS as err:
        db.session.rollback()
        form.points.errors = err.errors.get("points") or [str(err.message)]
        return None, None, err.status
    except CouponRefused as err:
        db.session.rollback()
        form.coupon.errors = [str(err.message)]
        return None, None, err.status
    except DomainError as err:
        db.session.rollback()
        return None, _checkout_problem(err, products_by_sku, options), err.status
    return order, None, 200


@bp.route("/checkout", methods=["GET", "POST"])
@login_required
def checkout():
    user = current_user._get_current_object()
    in_cart = carts.lines(user, {})
    if not in_cart:
        status = 400 if request.method == "POST" else 200
        return render_template("storefront/checkout.html", empty=True), status
    by_id = {p.id: p for p, _q in in_cart}
    book = addresses_of(user)
    form = _checkout_form(user, in_cart, book)
    # What the stores are asked to hold: the lines as (re)submitted, where they make sense.
    requested = [(by_id[e.form.product_id.data], e.form.quantity.data)
                 for e in form.lines.entries
                 if e.form.product_id.data in by_id and isinstance(e.form.quantity.data, int)
                 and 0 < e.form.quantity.data <= MAX_QUANTITY]
    lat, lng = _location()
    if lat is None and form.position() is not None:  # the hidden fields the page filled in
        lat, lng = form.position()
    options = pickup_options([(p.id, q) for p, q in requested] or None, lat, lng)
    hint = place_hint(user)
    if lat is None:  # no position: the last store used, then the shopper's city
        options = order_for_shopper(options, hint)
    form.center_ids = tuple(o.center.id for o in options)
    problem, status = None, 200
    if request.method == "POST" and not request.form.get("apply_coupon"):
        order, problem, status = _submit_checkout(user, form, by_id, options)
        if order is not None:
            flash(_("Thank you! Your order %(number)s is placed.", number=order.number),
                  "success")
            if order.payment_method == "stripe":
                return redirect(url_for("payments.pay", public_id=order.public_id))
            return redirect(url_for(".order", public_id=order.public_id))
    elif options:
        form.center_id.data = default_store(options, hint).center.id
    rows, total, is_member = priced_lines(user, requested)
    usable_points = redeemable(membership_of(user), total) if is_member else 0
    coupon_off = _coupon_preview(user, form, total, usable_points)
    action = url_for(".checkout", **({"lat": lat, "lng": lng} if lat is not None else {}))
    return render_template(
        "storefront/checkout.html", empty=False, form=form, options=options, by_id=by_id,
        rows=rows, total=total, is_member=is_member, problem=problem, located=lat is not None,
        hint=hint,
        coupons=usable_coupons(user), coupon_off=coupon_off,
        areas=delivery_areas(), action=action, usable_points=usable_points,
        addresses=book, book_full=len(book) >= MAX_ADDRESSES,
        points_per_yuan=points_per_yuan(),
        pickup_slots=slots_by_center([o.center.id for o in options], Method.PICKUP,
                                     now=utcnow()),
        quote=_delivery_quote(form, requested, total),
        courier=_courier_offer(form, requested)), status


def _coupon_preview(user, form: CheckoutForm, subtotal: int, usable_points: int) -> int:
    """What the coupon typed so far takes off (0 without one; its error on the form)."""
    if not form.coupon.data or form.coupon.errors:
        return 0
    points = form.points.data if isinstance(form.points.data, int) else 0
    try:
        _coupon, off = applicable(user, form.coupon.data, subtotal=subtotal,
                                  goods_left=subtotal - discount_for(min(points, usable_points)))
    except DomainError as err:
        form.coupon.errors = [str(err.message)]
        return 0
    return off


def _courier_offer(form: CheckoutForm, requested) -> dict | None:
    """The warehouse that would ship the cart by courier, and the fee (None: none can)."""
    if not any(c.value == Method.COURIER for c in form.method.choices) or not requested:
        return None
    return courier_offer([(p.id, q) for p, q in requested])


def _delivery_quote(form: CheckoutForm, requested, subtotal: int) -> dict | None:
    """The center, fee and slots for the address typed so far (None until it is served)."""
    address = form.address()
    if not (requested and address["province"] and address["city"] and address["district"]):
        return None
    try:
        quote = quote_delivery(address, [(p.id, q) for p, q in requested], now=utcnow())
    except DomainError:
        return None
    return {"center": quote.center, "zone": quote.zone, "slots": quote.slots,
            "fee": delivery_fee(quote.zone, subtotal)}
