"""The desk's stock page: what the center holds of each product, set after a count (units
counted missing leave the lots expiring first; extra units of a product kept in lots go
into the lot the clerk names)."""

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from core.auth import roles_required
from core.cache import CSRF_PLACEHOLDER, cached_fragment, with_csrf_token
from core.errors import NotFound, ValidationFailed
from core.extensions import db
from core.i18n import localized

from .. import lots, services, transfers
from ..forms import AlertForm, StockForm
from ..models import Center, Stock
from ..web import DESK_ROLES, bp, center_arg, common_context, desk_center, is_admin


def _stock_rows(center_id: int) -> list:
    """Active products (and any product this center still holds) with its stock: one query."""
    products = db.metadata.tables["products"]
    return list(db.session.execute(
        sa.select(products.c.id, products.c.sku, products.c.name_zh, products.c.name_en,
                  products.c.active,
                  sa.func.coalesce(Stock.on_hand, 0).label("on_hand"),
                  sa.func.coalesce(Stock.reserved, 0).label("reserved"),
                  Stock.id.label("stock_id"), Stock.alert_below)
        .select_from(products.outerjoin(
            Stock, sa.and_(Stock.product_id == products.c.id, Stock.center_id == center_id)))
        .where(sa.or_(products.c.active.is_(True), Stock.id.is_not(None)))
        .order_by(products.c.position, products.c.id)))


def _table_context(center: Center) -> dict:
    lots_by_product: dict[int, list] = {}
    for lot in lots.lots_at(center.id, limit=1000):
        lots_by_product.setdefault(lot.product_id, []).append(lot)
    return {"rows": _stock_rows(center.id), "lots_by_product": lots_by_product}


def _render_stock(center: Center, *, errors: dict | None = None, values: dict | None = None,
                  status: int = 200, alert_errors: dict | None = None,
                  alert_values: dict | None = None):
    context = common_context(center)
    context.update(errors=errors or {}, values=values or {}, alert_errors=alert_errors or {},
                   alert_values=alert_values or {})
    if errors or values or alert_errors or alert_values:
        context.update(_table_context(center))
    else:
        context["table"] = Markup(with_csrf_token(_cached_table(center, context)))
    return render_template("fulfillment/stock.html", **context), status


def _cached_table(center: Center, context: dict) -> str:
    """The stock table as every clerk of the center sees it, kept until the center's stock
    (any movement, a lot, an alert level: the "stock" namespace) or a product (the "catalog"
    namespace) changes. The admin's copy differs in its links (``?center=``)."""
    def build():
        return render_template("fulfillment/_stock_table.html", **context,
                               **_table_context(center), csrf_token=lambda: CSRF_PLACEHOLDER)

    return cached_fragment("desk-stock", ("stock", "catalog"), (center.id, is_admin()), build)


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


@bp.route("/desk/stock/<int:product_id>/alert", methods=["POST"])
@roles_required(*DESK_ROLES)
def set_alert(product_id: int):
    """The product's low-stock level at the center (an empty box: no warning)."""
    center = desk_center()
    if center is None:
        raise NotFound()
    form = AlertForm()
    submitted = {product_id: request.form.get("alert_below", "")}
    if not form.validate_on_submit():
        message = ("; ".join(str(e) for e in form.alert_below.errors)
                   or _("The form expired. Please try again."))
        return _render_stock(center, alert_errors={product_id: message},
                             alert_values=submitted, status=400)
    try:
        row = transfers.set_alert(center.id, product_id, form.alert_below.data, current_user)
    except ValidationFailed as err:
        db.session.rollback()
        message = "; ".join(map(str, err.errors.get("alert_below", []))) or str(err.message)
        return _render_stock(center, alert_errors={product_id: message},
                             alert_values=submitted, status=400)
    level = row.alert_below
    db.session.commit()
    if level is None:
        flash(_("No low-stock warning for this product."), "success")
    else:
        flash(_("The desk warns when fewer than %(n)d are available.", n=level), "success")
    return redirect(url_for("fulfillment.stock", _anchor=f"p{product_id}",
                            **center_arg(center.id)))
