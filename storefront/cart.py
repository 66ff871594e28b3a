"""The cart: in the session for guests, in the database for signed-in shoppers, merged at login.

Functions take the guest cart as a plain dict ``{product_id (str): quantity}`` so they
stay free of the request; views read and write ``session["cart"]``.
"""

from functools import lru_cache

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.errors import ValidationFailed
from core.extensions import db
from core.models import User
from core.sql import run

from .catalog import products_by_ids
from .loyalty.membership import is_open_membership_of
from .loyalty.models import Membership
from .models import CartItem, Product
from .orders import MAX_QUANTITY


def _check_quantity(quantity: int) -> None:
    is_int = isinstance(quantity, int) and not isinstance(quantity, bool)
    if not is_int or not 0 <= quantity <= MAX_QUANTITY:
        raise ValidationFailed(errors={"quantity": [str(_l(
            "Choose a quantity from 1 to %(n)d.", n=MAX_QUANTITY))]})


def _active_product(product_id: int) -> Product:
    product = db.session.get(Product, product_id)
    if product is None or not product.active:
        raise ValidationFailed(errors={"product_id": [str(_l("Unknown product."))]})
    return product


def add_item(user: User | None, guest_cart: dict, product_id: int, quantity: int) -> None:
    """Add ``quantity`` units (capped at the per-product maximum)."""
    _check_quantity(quantity)
    _active_product(product_id)
    if user is None:
        key = str(product_id)
        guest_cart[key] = min(guest_cart.get(key, 0) + quantity, MAX_QUANTITY)
        return
    item = db.session.execute(sa.select(CartItem).where(
        CartItem.user_id == user.id, CartItem.product_id == product_id)).scalar_one_or_none()
    if item is None:
        db.session.add(CartItem(user_id=user.id, product_id=product_id, quantity=quantity))
    else:
        item.quantity = min(item.quantity + quantity, MAX_QUANTITY)
    db.session.flush()


def set_quantity(user: User | None, guest_cart: dict, product_id: int, quantity: int) -> None:
    """Set a line's quantity; 0 removes it."""
    _check_quantity(quantity)
    if user is None:
        if quantity == 0:
            guest_cart.pop(str(product_id), None)
        else:
            _active_product(product_id)
            guest_cart[str(product_id)] = quantity
        return
    item = db.session.execute(sa.select(CartItem).where(
        CartItem.user_id == user.id, CartItem.product_id == product_id)).scalar_one_or_none()
    if quantity == 0:
        if item is not None:
            db.session.delete(item)
    elif item is None:
        _active_product(product_id)
        db.session.add(CartItem(user_id=user.id, product_id=product_id, quantity=quantity))
    else:
        item.quantity = quantity
    db.session.flush()


def lines(user: User | None, guest_cart: dict) -> list[tuple[Product, int]]:
    """The cart's products and quantities, in the order added (inactive products dropped)."""
    if user is None:
        products = products_by_ids(int(k) for k in guest_cart)
        pairs = [(products.get(int(k)), q) for k, q in guest_cart.items()]
    else:
        items = db.session.execute(
            sa.select(CartItem).where(CartItem.user_id == user.id)
            .options(sa.orm.joinedload(CartItem.product)).order_by(CartItem.id)).scalars()
        pairs = [(i.product, i.quantity) for i in items]
    return [(p, q) for p, q in pairs if p is not None and p.active]


def count(user: User | None, guest_cart: dict) -> int:
    if user is None:
        return sum(guest_cart.values())
    # the header's badge on every signed-in page: built once, run on the driver
    return run(_count_of_user(), {"user_id": user.id}).rows[0][0]


@lru_cache(maxsize=1)
def _count_of_user() -> sa.Select:
    return (sa.select(sa.func.coalesce(sa.func.sum(CartItem.quantity), 0))
            .where(CartItem.user_id == sa.bindparam("user_id")))


def count_and_tier(user: User) -> tuple[int, str | None]:
    """The cart count and the open membership's tier (None for non-members), in one query."""
    tier_q = sa.select(Membership.tier).where(is_open_membership_of(user.id)).scalar_subquery()
    count_, tier = db.session.execute(sa.select(_count_of_user().scalar_subquery(), tier_q),
                                      {"user_id": user.id}).one()
    return count_, tier


def merge_guest_cart(user: User, guest_cart: dict) -> tuple[bool, list[Product]]:
    """At sign-in, the guest's lines join the account's cart (quantities add up).

    Returns whether the account's cart held anything before, and the products whose
    quantities were added up, for the shopper to be told.
    """
    had = set(db.session.execute(sa.select(CartItem.product_id).where(
        CartItem.user_id == user.id)).scalars())
    added_to = []
    for key, quantity in list(guest_cart.items()):
        product = db.session.get(Product, int(key))
        if product is None or not product.active or quantity <= 0:
            continue
        add_item(user, {}, product.id, min(int(quantity), MAX_QUANTITY))
        if product.id in had:
            added_to.append(product)
    guest_cart.clear()
    return bool(had), added_to


def clear(user: User | None, guest_cart: dict) -> None:
    if user is None:
        guest_cart.clear()
        return
    db.session.execute(sa.delete(CartItem).where(CartItem.user_id == user.id))
