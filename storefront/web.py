"""What the shop's pages share: the ``storefront`` blueprint, the template globals, the cart
count in the header, and the helpers more than one page uses (the shopper, priced lines).

The pages hang on ``bp`` by topic in ``storefront/views/`` (catalog, cart, checkout, orders,
account, vip); they import this module, never each other. ``core.app`` imports them and
registers ``bp``. Views parse input with the forms in ``forms.py``, call the services,
commit once and render. Catalog pages go through ``pages.serve_catalog_page`` (cached
content).
"""

import logging

from flask import Blueprint, g
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from core.extensions import db

from . import cart as carts
from .loyalty.membership import membership_of
from .loyalty.tiers import tier_prices_for
from .orders import unit_price
from .pages import TEMPLATE_GLOBALS, guest_cart_count

log = logging.getLogger(__name__)

bp = Blueprint("storefront", __name__)


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


def shopper():
    """The signed-in user, or None for a guest."""
    return current_user._get_current_object() if current_user.is_authenticated else None


def priced_lines(user, pairs):
    """[(product, quantity, unit price, member price?)] and the total, for this shopper."""
    membership = membership_of(user) if user is not None else None
    is_member = membership is not None
    own = tier_prices_for([p for p, _q in pairs], membership.tier if is_member else None)
    rows = [(p, q, *unit_price(p, is_member, own.get(p.id))) for p, q in pairs]
    return rows, sum(price * q for _p, q, price, _m in rows), is_member
