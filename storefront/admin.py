"""Back office: the front page, products and categories (admins only)."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from core.auth import roles_required
from core.forms import form_status, submit_form
from core.models import Role
from core.storage import upload_url

from . import admin_services
from .admin_forms import CategoryForm, ProductForm, TierForm
from .catalog import categories as all_categories
from .loyalty.tiers import member_prices_of, rule_for, tier_rules, update_tier_rule
from .models import Product

bp = Blueprint("storefront_admin", __name__, url_prefix="/admin")


def image_url(product: Product) -> str | None:
    """Where a product's image is served: the upload folder, or a path under static/."""
    if not product.image:
        return None
    if product.image.startswith("static/"):
        return url_for("static", filename=product.image[len("static/"):])
    return upload_url(product.image)


@bp.route("/")
@roles_required(Role.ADMIN)
def index():
    return render_template("admin/index.html", counts=admin_services.back_office_counts())


@bp.route("/products")
@roles_required(Role.ADMIN)
def products():
    q = (request.args.get("q") or "").strip()[:100]
    items, page, pages = admin_services.product_list(
        q or None, page=request.args.get("page", 1, type=int))
    return render_template("admin/products.html", items=items, q=q, page=page, pages=pages,
                           image_url=image_url)


def _product_form(**kwargs) -> ProductForm:
    form = ProductForm(**kwargs)
    form.category_id.choices = [
        SelectChoice(str(c.id), c.name_zh + (f" / {c.name_en}" if c.name_en else ""))
        for c in all_categories()]
    return form


def _uploaded(form: ProductForm):
    """The uploaded file, or None when the admin chose none."""
    upload = form.image.data
    return upload if upload is not None and getattr(upload, "filename", "") else None


def _product_page(form, product, status):
    return render_template("admin/product_form.html", form=form, product=product,
                           image_url=image_url), status


@bp.route("/products/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_product():
    form = _product_form()
    if not form.category_id.choices and not form.is_submitted():
        flash(_("Add a category first: every product belongs to one."), "warning")
    if submit_form(form, lambda: admin_services.create_product(
            form.data_for_service(), current_user, image=_uploaded(form)),
            lambda product: _("Product %(sku)s created.", sku=product.sku)):
        return redirect(url_for("storefront_admin.products"))
    return _product_page(form, None, form_status(form))


@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_product(product_id: int):
    product = admin_services.get_product(product_id)
    form = _product_form(data={
        "sku": product.sku, "barcode": product.barcode, "slug": product.slug,
        "name_zh": product.name_zh,
        "name_en": product.name_en, "description_zh": product.description_zh,
        "description_en": product.description_en, "category_id": product.category_id,
        "price": product.price_amount, "member_price": product.member_price_amount,
        "days_of_supply": product.days_of_supply, "position": product.position,
        "active": product.active,
        **{f"price_{tier}": amount for tier, amount in member_prices_of(product).items()},
    })
    if submit_form(form, lambda: admin_services.update_product(
            product, form.data_for_service(), current_user, image=_uploaded(form)),
            lambda _result: _("Product %(sku)s saved.", sku=product.sku)):
        return redirect(url_for("storefront_admin.products"))
    return _product_page(form, product, form_status(form))


@bp.route("/categories")
@roles_required(Role.ADMIN)
def categories():
    return render_template("admin/categories.html", rows=admin_services.category_list())


@bp.route("/categories/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_category():
    form = CategoryForm()
    if submit_form(form, lambda: admin_services.create_category(
            form.data_for_service(), current_user),
            lambda category: _("Category %(name)s created.", name=category.name_zh)):
        return redirect(url_for("storefront_admin.categories"))
    return (render_template("admin/category_form.html", form=form, category=None),
            form_status(form))


@bp.route("/categories/<int:category_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_category(category_id: int):
    category = admin_services.get_category(category_id)
    form = CategoryForm(obj=category)
    if submit_form(form, lambda: admin_services.update_category(
            category, form.data_for_service(), current_user),
            lambda _result: _("Category %(name)s saved.", name=category.name_zh)):
        return redirect(url_for("storefront_admin.categories"))
    return (render_template("admin/category_form.html", form=form, category=category),
            form_status(form))


@bp.route("/tiers")
@roles_required(Role.ADMIN)
def tiers():
    return render_template("admin/tiers.html", rules=tier_rules())


@bp.route("/tiers/<code>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_tier(code: str):
    rule = rule_for(code)
    if rule is None:
        abort(404)
    form = TierForm(data={"name_zh": rule.name_zh, "name_en": rule.name_en,
                          "threshold": rule.threshold_amount,
                          "points_per_100_yuan": rule.points_per_100_yuan,
                          "price_rounding": rule.price_rounding})
    if submit_form(form, lambda: update_tier_rule(rule, form.data_for_service(), current_user),
                   lambda _result: _("Tier %(name)s saved.", name=rule.name_zh)):
        return redirect(url_for("storefront_admin.tiers"))
    return render_template("admin/tier_form.html", form=form, rule=rule), form_status(form)
