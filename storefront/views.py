"""HTML pages of storefront: catalog, cart, checkout, orders, sign-in, the VIP club.

Views parse input with the forms in ``forms.py``, call the services, commit once and
render. Catalog pages go through ``pages.serve_catalog_page`` (cached content).
"""

import io
import logging
import math

import segno
import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.routing import BuildError

from core.clock import utcnow
from core.errors import DomainError, NotFound, TooManyAttempts
from core.extensions import csrf, db, login_manager
from core.i18n import localized
from core.models import Role
from core.ratelimit import attempts
from core.urls import local_path
from fulfillment.courier import CourierUnavailable, courier_offer, warehouse_exists
from fulfillment.errors import InsufficientStock, NoCenterServesAddress
from fulfillment.models import Center, CenterDistrict, FulfillmentStatus, Method, Stock
from fulfillment.routing import pickup_options
from fulfillment.slots import slots_by_center
from fulfillment.zones import delivery_fee, quote_delivery

from . import cart as carts
from . import catalog
from .accounts import authenticate, register_user
from .coupons import STATE_LABELS, applicable, coupons_of, state_of, usable_coupons
from .errors import AlreadyMember, EmailTaken
from .forms import (
    AddToCartForm,
    CartQuantityForm,
    CartRemoveForm,
    CheckoutForm,
    LoginForm,
    RegisterForm,
    VipForm,
)
from .loyalty.membership import membership_of, sign_up_member
from .loyalty.points import discount_for, points_per_yuan, redeemable
from .loyalty.tiers import catalog_prices, tier_prices_for
from .orders import (
    MAX_QUANTITY,
    can_view,
    cancel_order,
    get_order,
    orders_of,
    place_order,
    unit_price,
)
from .pages import (
    CSRF_PLACEHOLDER,
    TEMPLATE_GLOBALS,
    guest_cart,
    guest_cart_count,
    render_fragment,
    serve_catalog_page,
)
from .payments import billing

log = logging.getLogger(__name__)

bp = Blueprint("storefront", __name__)

FEATURED_COUNT = 4
#: failed sign-ins allowed per e-mail address before the form asks to wait
LOGIN_LIMIT = "10 per 15 minutes"
#: where staff land after signing in without a ``next``
LANDING = {Role.STAFF: "fulfillment.desk", Role.CRM: "crm.index",
           Role.ADMIN: "storefront_admin.index"}


@bp.record_once
def _register_template_globals(state):
    state.app.jinja_env.globals.update(TEMPLATE_GLOBALS)


@bp.app_context_processor
def cart_badge():
    """``cart_count`` for the header: the session for guests, one query for signed-in users."""
    if not current_user.is_authenticated:
        return {"cart_count": guest_cart_count()}
    if "cart_count" in g:
        return {"cart_count": g.cart_count}
    try:
        return {"cart_count": carts.count(current_user, {})}
    except SQLAlchemyError:  # the header must not take an error page down with it
        log.exception("cart count failed")
        db.session.rollback()
        return {"cart_count": 0}


@bp.after_request
def _personal_pages_stay_private(response):
    response.headers.setdefault("Cache-Control", "private, no-store")
    return response


def _user():
    return current_user._get_current_object() if current_user.is_authenticated else None


def _viewer_tier() -> str:
    """The signed-in member's tier ("" for everyone else): catalog content varies by it.

    One query, which also counts the cart for the header (kept in ``g``).
    """
    if not current_user.is_authenticated:
        return ""
    g.cart_count, tier = carts.count_and_tier(current_user._get_current_object())
    return tier or ""


def _first_message(errors, default) -> str:
    """The first message in a (nested) dict or list of field errors, else ``default``."""
    while isinstance(errors, (list, dict)) and errors:
        errors = next(iter(errors.values())) if isinstance(errors, dict) else errors[0]
    return str(errors) if errors else str(default)


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    args = request.args
    try:
        value = int(args[name]) if name in args else default
    except ValueError:
        return default
    return min(max(value, low), high)


def _text_arg(name: str, limit: int) -> str | None:
    # ``in`` first: a missing key makes MultiDict.get build an exception, on the hot path.
    args = request.args
    return (args[name].strip()[:limit] or None) if name in args else None


# --- catalog ----------------------------------------------------------------------------------


@bp.route("/")
def home():
    def build():
        categories = catalog.categories()
        featured = _featured(categories)
        content = render_fragment("storefront/home.html", categories=categories,
                                  featured=featured, club=catalog_prices(featured, tier))
        return {"title": _("Premium sea cucumber and infant nutrition"), "content": content,
                "description": _("Dried sea cucumber, infant formula and gift boxes, "
                                 "delivered or ready for pickup at our own stores.")}

    tier = _viewer_tier()
    return serve_catalog_page("home", (tier,), build)


def _featured(categories) -> list:
    """The first products by position, taking turns across the categories (one query)."""
    items, _pages = catalog.search_products(per_page=catalog.PAGE_SIZE)
    by_category = {c.id: [] for c in categories}
    for item in items:
        by_category.setdefault(item.category_id, []).append(item)
    featured = []
    while len(featured) < FEATURED_COUNT and any(by_category.values()):
        for queue in by_category.values():
            if queue and len(featured) < FEATURED_COUNT:
                featured.append(queue.pop(0))
    return featured


@bp.route("/products")
def products():
    category = _text_arg("category", 60)
    q = _text_arg("q", 100)
    page = _int_arg("page", 1, 1, 10_000)
    per_page = current_app.config.get("CATALOG_PER_PAGE", catalog.PAGE_SIZE)

    def build():
        categories = catalog.categories()
        items, pages = catalog.search_products(q=q, category=category, page=page,
                                               per_page=per_page)
        current = next((c for c in categories if c.slug == category), None)
        if q:
            title = _("Search: %(q)s", q=q)
        elif current is not None:
            title = localized(current, "name")
        else:
            title = _("Shop")
        content = render_fragment(
            "storefront/products.html", categories=categories, current=current,
            category=category, q=q, items=items, page=min(page, pages), pages=pages,
            title=title, club=catalog_prices(items, tier))
        return {"title": title, "content": content}

    tier = _viewer_tier()
    return serve_catalog_page("products", (category or "", q or "", page, per_page, tier), build)


def stock_summary(product_id: int) -> tuple[int, int]:
    """(pickup stores, delivery centers) holding at least one unit, in one query."""
    available = Stock.on_hand - Stock.reserved > 0
    row = db.session.execute(
        sa.select(sa.func.count(sa.case((Center.is_pickup.is_(True), 1))),
                  sa.func.count(sa.case((Center.is_delivery.is_(True), 1))))
        .select_from(Stock).join(Center, Center.id == Stock.center_id)
        .where(Stock.product_id == product_id, Center.active.is_(True), available)
    ).one()
    return row[0], row[1]


@bp.route("/products/<slug>")
def product(slug: str):
    if len(slug) > 80:
        raise NotFound()

    def build():
        item = catalog.product_by_slug(slug)
        in_stores, in_delivery = stock_summary(item.id)
        name = localized(item, "name")
        content = render_fragment(
            "storefront/product.html", product=item, name=name, in_stores=in_stores,
            in_delivery=in_delivery, csrf_placeholder=CSRF_PLACEHOLDER,
            club=catalog_prices([item], tier))
        description = (localized(item, "description") or "").strip().replace("\n", " ")
        return {"title": name, "content": content, "description": description[:160] or None}

    tier = _viewer_tier()
    return serve_catalog_page("product", (slug, tier), build, has_form=True)


# --- cart -------------------------------------------------------------------------------------


def _priced_lines(user, pairs):
    """[(product, quantity, unit price, member price?)] and the total, for this shopper."""
    membership = membership_of(user) if user is not None else None
    is_member = membership is not None
    own = tier_prices_for([p for p, _q in pairs], membership.tier if is_member else None)
    rows = [(p, q, *unit_price(p, is_member, own.get(p.id))) for p, q in pairs]
    return rows, sum(price * q for _p, q, price, _m in rows), is_member


@bp.route("/cart")
def cart():
    user = _user()
    rows, total, is_member = _priced_lines(user, carts.lines(user, guest_cart()))
    return render_template("storefront/cart.html", rows=rows, total=total, is_member=is_member)


def _change_cart(form, change, done_message: str, valid: bool | None = None):
    """Validate ``form``, apply ``change(user, guest_cart)``, commit or keep the session cart."""
    back = url_for(".cart")
    if not (form.validate() if valid is None else valid):
        flash(_first_message(form.errors, _("Please check the form.")), "error")
        return redirect(local_path(request.form.get("next")) or back)
    user = _user()
    guest = dict(guest_cart())
    try:
        change(user, guest)
    except DomainError as err:
        db.session.rollback()
        flash(_first_message(err.errors, err.message), "error")
        return redirect(local_path(request.form.get("next")) or back)
    if user is None:
        session["cart"] = guest
    else:
        db.session.commit()
    flash(done_message, "success")
    return redirect(back)


@bp.route("/cart/add", methods=["POST"])
@csrf.exempt  # checked by the form itself: a missing token asks to confirm instead of failing
def cart_add():
    """Add to the cart. The product page is cached, and a first-time visitor has no token yet
    (see ``pages``): without a valid token nothing changes and the shopper confirms once."""
    form = AddToCartForm()
    valid = form.validate()
    if not valid and "csrf_token" in form.errors:
        return _confirm_add(form)
    return _change_cart(form, lambda user, guest: carts.add_item(
        user, guest, form.product_id.data, form.quantity.data), _("Added to your cart."),
        valid=valid)


def _confirm_add(form):
    product = None
    if isinstance(form.product_id.data, int):
        product = catalog.products_by_ids([form.product_id.data]).get(form.product_id.data)
    if product is None or not product.active:
        flash(_("Please choose a product first."), "error")
        return redirect(url_for(".products"))
    quantity = form.quantity.data if isinstance(form.quantity.data, int) else 1
    return render_template("storefront/cart_confirm.html", product=product,
                           quantity=min(max(quantity, 1), 99))


@bp.route("/cart/token")
def cart_token():
    """A CSRF token for a cached page's form (read by shop.js; same-origin only)."""
    response = jsonify({"csrf_token": generate_csrf()})
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/cart/update", methods=["POST"])
def cart_update():
    form = CartQuantityForm()
    return _change_cart(form, lambda user, guest: carts.set_quantity(
        user, guest, form.product_id.data, form.quantity.data), _("Your cart is updated."))


@bp.route("/cart/remove", methods=["POST"])
def cart_remove():
    form = CartRemoveForm()
    return _change_cart(form, lambda user, guest: carts.set_quantity(
        user, guest, form.product_id.data, 0), _("Removed from your cart."))


def _merge_guest_cart(user) -> None:
    guest = dict(guest_cart())
    if guest:
        carts.merge_guest_cart(user, guest)
    session.pop("cart", None)


# --- checkout ---------------------------------------------------------------------------------


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


def _delivery_areas() -> list[tuple[str, str, str]]:
    """The districts our delivery centers serve (suggestions for the address form)."""
    return list(db.session.execute(
        sa.select(CenterDistrict.province, CenterDistrict.city, CenterDistrict.district)
        .join(Center, Center.id == CenterDistrict.center_id)
        .where(Center.active.is_(True), Center.is_delivery.is_(True))
        .distinct().order_by(CenterDistrict.province, CenterDistrict.city,
                             CenterDistrict.district)
    ).all())


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


def _checkout_form(user, in_cart) -> CheckoutForm:
    """The posted form, or a new one with the cart's lines and the shopper's contact."""
    courier = warehouse_exists()
    if request.method == "POST":
        form = CheckoutForm(courier=courier)
        if courier and request.form.get("ship_by_courier"):
            form.method.data = Method.COURIER  # the problem box offered it
        return form
    method = request.args.get("method")
    lat, lng = _location()
    return CheckoutForm(courier=courier, data={
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
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        if err.code in ("insufficient_points",) or "points" in (err.errors or {}):
            form.points.errors = (err.errors or {}).get("points") or [str(err.message)]
            return None, None, err.status
        if err.code.startswith("coupon_"):
            form.coupon.errors = [str(err.message)]
            return None, None, err.status
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
    form = _checkout_form(user, in_cart)
    # What the stores are asked to hold: the lines as (re)submitted, where they make sense.
    requested = [(by_id[e.form.product_id.data], e.form.quantity.data)
                 for e in form.lines.entries
                 if e.form.product_id.data in by_id and isinstance(e.form.quantity.data, int)
                 and 0 < e.form.quantity.data <= MAX_QUANTITY]
    lat, lng = _location()
    if lat is None and form.position() is not None:  # the hidden fields the page filled in
        lat, lng = form.position()
    options = pickup_options([(p.id, q) for p, q in requested] or None, lat, lng)
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
        form.center_id.data = next((o for o in options if o.has_stock), options[0]).center.id
    rows, total, is_member = _priced_lines(user, requested)
    usable_points = redeemable(membership_of(user), total) if is_member else 0
    coupon_off = _coupon_preview(user, form, total, usable_points)
    action = url_for(".checkout", **({"lat": lat, "lng": lng} if lat is not None else {}))
    return render_template(
        "storefront/checkout.html", empty=False, form=form, options=options, by_id=by_id,
        rows=rows, total=total, is_member=is_member, problem=problem, located=lat is not None,
        coupons=usable_coupons(user), coupon_off=coupon_off,
        areas=_delivery_areas(), action=action, usable_points=usable_points,
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


# --- orders -----------------------------------------------------------------------------------


def _centers_by_id(ids) -> dict[int, Center]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {c.id: c for c in db.session.execute(
        sa.select(Center).where(Center.id.in_(ids))).scalars()}


@bp.route("/orders")
@login_required
def orders():
    user = current_user._get_current_object()
    rows = orders_of(user)
    centers = _centers_by_id(o.center_id for o in rows)
    return render_template("storefront/orders.html", orders=rows, centers=centers,
                           coupons=coupons_of(user), coupon_state=state_of,
                           coupon_labels=STATE_LABELS)


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
    return render_template(
        "storefront/order.html", order=order, f=f, center=db.session.get(Center, order.center_id),
        is_owner=is_owner, show_code=is_owner and ready,
        can_cancel=is_owner and order.is_open and (
            f is None or f.status == FulfillmentStatus.RESERVED))


@bp.route("/orders/<public_id>/qr.svg")
@login_required
def order_qr(public_id: str):
    """The pickup code as a QR image, for the owner, once the order is ready."""
    order = _visible_order(public_id, owner_only=True)
    f = order.fulfillment
    if f is None or f.status != FulfillmentStatus.READY or not f.pickup_code:
        raise NotFound()
    out = io.BytesIO()
    # A full QR code (not a Micro QR, which segno picks for short texts): every scanner
    # reads it, the desk's jsQR fallback included.
    segno.make_qr(f.pickup_code, error="m").save(out, kind="svg", border=2, omitsize=True,
                                                  xmldecl=False, dark="#0f3d3e")
    return Response(out.getvalue(), mimetype="image/svg+xml",
                    headers={"Cache-Control": "private, no-store"})


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


# --- accounts ---------------------------------------------------------------------------------


def _landing(user) -> str:
    endpoint = LANDING.get(user.role)
    if endpoint:
        try:
            return url_for(endpoint)
        except BuildError:
            pass
    return url_for(".account")


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = local_path(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for(".account"))
    form = LoginForm()
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate():
            limit_key = f"login:{form.email.data.lower()}"
            if attempts.blocked(limit_key, LOGIN_LIMIT):
                form.password.errors.append(str(TooManyAttempts.message))
            else:
                user = authenticate(form.email.data, form.password.data)
                if user is None:
                    attempts.fail(limit_key, LOGIN_LIMIT)
                    form.password.errors.append(_("Wrong e-mail or password."))
                else:
                    login_user(user, remember=form.remember.data)
                    _merge_guest_cart(user)
                    db.session.commit()
                    flash(_("Welcome back, %(name)s.", name=user.name), "success")
                    return redirect(next_url or _landing(user))
    return render_template("storefront/login.html", form=form, next_url=next_url), status


@bp.route("/register", methods=["GET", "POST"])
def register():
    next_url = local_path(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for(".account"))
    form = RegisterForm()
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate():
            try:
                user = register_user(email=form.email.data, password=form.password.data,
                                     name=form.name.data, phone=form.phone.data or None)
            except EmailTaken:
                db.session.rollback()
                form.email.errors.append(str(EmailTaken.message))
            else:
                login_user(user)
                _merge_guest_cart(user)
                db.session.commit()
                flash(_("Welcome, %(name)s! Your account is ready.", name=user.name), "success")
                return redirect(next_url or url_for(".account"))
    return render_template("storefront/register.html", form=form, next_url=next_url), status


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    session.pop("cart", None)
    flash(_("You are signed out. See you soon."), "success")
    return redirect(url_for(".home"))


@bp.route("/account")
@login_required
def account():
    return render_template("storefront/account.html",
                           membership=membership_of(current_user._get_current_object()))


# --- the VIP club -----------------------------------------------------------------------------


@bp.route("/vip", methods=["GET", "POST"])
def vip():
    if not current_user.is_authenticated:
        if request.method == "POST":
            return login_manager.unauthorized()
        return render_template("storefront/vip.html", membership=None, form=None)
    user = current_user._get_current_object()
    membership = membership_of(user)
    if membership is not None:
        return render_template("storefront/vip.html", membership=membership, form=None)
    if request.method == "POST":
        form = VipForm()
    else:
        form = VipForm(data={"name": user.name, "phone": user.phone or ""})
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate():
            try:
                membership = sign_up_member(
                    user, name=form.name.data, phone=form.phone.data,
                    birthday=form.birthday.data, baby_birthday=form.baby_birthday.data,
                    city=form.city.data, interests=form.interests.data,
                    marketing_consent=form.marketing_consent.data)
                db.session.commit()
            except AlreadyMember:
                db.session.rollback()
            else:
                flash(_("Welcome to the club! Your card number is %(number)s.",
                        number=membership.card_number), "success")
            return redirect(url_for(".vip"))
    return render_template("storefront/vip.html", membership=None, form=form), status

