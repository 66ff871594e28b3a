"""The cart's pages: the cart, adding, changing and removing lines.

Guests keep their cart in the session, signed-in shoppers in the database; signing in
merges the first into the second (``account``).
"""

from flask import flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from core.cache import CSRF_PLACEHOLDER, cached_fragment, watch_tables, with_csrf_token
from core.errors import DomainError
from core.extensions import csrf, db
from core.urls import local_path

from .. import cart as carts
from .. import catalog
from ..forms import AddToCartForm, CartQuantityForm, CartRemoveForm
from ..pages import guest_cart
from ..web import bp, priced_lines, shopper

#: the cache namespace of a signed-in shopper's cart page: any session write to the cart
#: lines or the memberships (the tier prices a member pays) moves it on
CART_NAMESPACE = "cart"
watch_tables(CART_NAMESPACE, "cart_items", "memberships")


def _first_message(errors, default) -> str:
    """The first message in a (nested) dict or list of field errors, else ``default``."""
    while isinstance(errors, (list, dict)) and errors:
        errors = next(iter(errors.values())) if isinstance(errors, dict) else errors[0]
    return str(errors) if errors else str(default)


@bp.route("/cart")
def cart():
    user = shopper()
    if user is None:
        rows, total, is_member = priced_lines(None, carts.lines(None, guest_cart()))
        return render_template("storefront/cart.html", rows=rows, total=total,
                               is_member=is_member)
    # A signed-in shopper's cart, kept until their cart, their membership or the catalog
    # (products, prices, tier prices) changes; the forms carry their own CSRF token.
    body = cached_fragment("cart", (CART_NAMESPACE, "catalog"), (user.id,),
                           lambda: _cart_body(user))
    return render_template("storefront/cart.html", body=Markup(with_csrf_token(body)))


def _cart_body(user) -> str:
    rows, total, is_member = priced_lines(user, carts.lines(user, {}))
    return render_template("storefront/_cart_body.html", rows=rows, total=total,
                           is_member=is_member, csrf_token=lambda: CSRF_PLACEHOLDER)


def _change_cart(form, change, done_message: str, valid: bool | None = None):
    """Validate ``form``, apply ``change(user, guest_cart)``, commit or keep the session cart."""
    back = url_for(".cart")
    if not (form.validate() if valid is None else valid):
        flash(_first_message(form.errors, _("Please check the form.")), "error")
        return redirect(local_path(request.form.get("next")) or back)
    user = shopper()
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
