"""What fulfillment's JSON routes share: the ``fulfillment_api`` blueprint, who may call the
desk's routes, the errors they declare, the center a staff member acts for, and products
read from the storefront's table by name (fulfillment does not import the storefront).

The routes hang on ``bp`` by topic in this package (``desk``, ``quote``, ``slots``,
``transfers``); they import this module, never each other. ``core.app`` imports them and
registers ``bp``.
"""

import sqlalchemy as sa
from flask import g
from flask_babel import lazy_gettext as _l

from core.api import api_blueprint
from core.errors import ValidationFailed
from core.extensions import db
from core.models import Role

from ..access import check_center_access
from ..schemas import plain_key

bp = api_blueprint("fulfillment_api", __name__)

DESK_ROLES = (Role.STAFF, Role.ADMIN)

#: what a route for one center answers besides success
CENTER_ERRORS = ("400:validation_error", "404:not_found")
#: what a step on a fulfillment or a transfer answers besides success
STEP_ERRORS = ("404:not_found", "409:illegal_transition")

PRODUCTS = sa.table("products", sa.column("id"), sa.column("sku"), sa.column("active"))


def own_center(center_id: int | None) -> int:
    """The center the caller acts for: staff their own (or the one they name, if it is
    theirs), admins the one they name; a validation error when there is none."""
    actor = g.api_user
    if actor.role == Role.STAFF:
        center_id = center_id or actor.center_id
    if center_id is None:
        raise ValidationFailed(errors={"center_id": [str(_l("Name the center."))]})
    check_center_access(actor, center_id)
    return center_id


def find_product_id(sku: str) -> int | None:
    """The id of the product with this SKU, or None."""
    if not plain_key(sku):
        return None
    return db.session.execute(
        sa.select(PRODUCTS.c.id).where(PRODUCTS.c.sku == sku)).scalar_one_or_none()


def skus_of(product_ids) -> dict[int, str]:
    """``{product id: sku}`` in one query."""
    ids = list(set(product_ids))
    if not ids:
        return {}
    return dict(db.session.execute(
        sa.select(PRODUCTS.c.id, PRODUCTS.c.sku).where(PRODUCTS.c.id.in_(ids))).all())
