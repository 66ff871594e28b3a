"""The back office's rules for the catalog: products, categories, product images.

Plain ``verb_noun`` functions that take validated form data and the acting admin, check
the rules, flush and return; the view commits. They mark the "catalog" cache namespace
changed, so cached catalog pages refresh after the commit.
"""

import re

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from core.cache import mark_changed
from core.database import paginate
from core.errors import Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.models import Role, User
from core.storage import storage
from fulfillment.models import Center, Fulfillment, FulfillmentStatus

from .barcodes import clean_barcode, is_ean13
from .loyalty.tiers import set_member_prices
from .models import Category, Order, Product

IMAGE_EXTENSIONS = ("jpg", "jpeg", "png", "webp")
#: 10 million yuan: anything above is a typing slip
MAX_PRICE_AMOUNT = 10_000_000_00
SKU_RE = re.compile(r"^[A-Za-z0-9._-]{1,40}$")
SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def _require_admin(actor: User) -> None:
    if actor is None or actor.role != Role.ADMIN:
        raise Forbidden()


def _text(value) -> str:
    return str(value or "").strip()


def image_kind(head: bytes) -> str | None:
    """The image type from the file's first bytes (not its name): jpg, png, webp or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def check_image(upload) -> str:
    """Validate an uploaded image (a Werkzeug ``FileStorage``); returns its type.

    The name must end in .jpg/.jpeg/.png/.webp and the content must be one of those (the
    content decides the stored name's extension).
    """
    name = (upload.filename or "").lower()
    ext = name.rsplit(".", 1)[-1] if "." in name else ""
    head = upload.stream.read(16)
    upload.stream.seek(0)
    kind = image_kind(head)
    if ext not in IMAGE_EXTENSIONS or kind is None:
        raise ValidationFailed(errors={"image": [str(_l(
            "Upload a JPEG, PNG or WebP image."))]})
    return kind


def store_image(upload, kind: str) -> str:
    """Keep an already checked image in the shop's store (core/storage.py) under its
    content's hash; returns the name."""
    return storage().save(upload.stream.read(), kind)


def _check_product(data: dict, product: Product | None) -> dict:
    errors: dict[str, list[str]] = {}
    own_id = product.id if product is not None else -1
    clean = {
        "sku": _text(data.get("sku")).upper(),
        "slug": _text(data.get("slug")).lower(),
        "name_zh": _text(data.get("name_zh")),
        "name_en": _text(data.get("name_en")) or None,
        "description_zh": _text(data.get("description_zh")),
        "description_en": _text(data.get("description_en")) or None,
        "price_amount": data.get("price_amount"),
        "member_price_amount": data.get("member_price_amount"),
        "days_of_supply": data.get("days_of_supply"),
        "position": data.get("position") or 0,
        "active": bool(data.get("active")),
        "category_id": data.get("category_id"),
    }
    if not SKU_RE.match(clean["sku"]):
        errors["sku"] = [str(_l("Letters, digits, dots, dashes only."))]
    elif db.session.execute(sa.select(Product.id).where(
            Product.sku == clean["sku"], Product.id != own_id)).first():
        errors["sku"] = [str(_l("Another product has this SKU."))]
    if not SLUG_RE.match(clean["slug"]) or len(clean["slug"]) > 80:
        errors["slug"] = [str(_l("Lower-case letters, digits and dashes, "
                                 "e.g. sea-cucumber-premium."))]
    elif db.session.execute(sa.select(Product.id).where(
            Product.slug == clean["slug"], Product.id != own_id)).first():
        errors["slug"] = [str(_l("Another product has this web address."))]
    if not clean["name_zh"]:
        errors["name_zh"] = [str(_l("This field is required."))]
    price = clean["price_amount"]
    if not _is_amount(price):
        errors["price"] = [str(_l("Enter an amount in yuan, 0 or more, like 128.00."))]
    member = clean["member_price_amount"]
    if member is not None:
        if not _is_amount(member):
            errors["member_price"] = [str(_l("Enter an amount in yuan, 0 or more, like 128.00."))]
        elif _is_amount(price) and member > price:
            errors["member_price"] = [str(_l("The member price cannot be above the price."))]
    days = clean["days_of_supply"]
    if days is not None and (not isinstance(days, int) or isinstance(days, bool) or days < 1):
        errors["days_of_supply"] = [str(_l("A whole number of days, 1 or more."))]
    if clean["category_id"] is None or db.session.get(Category, clean["category_id"]) is None:
        errors["category_id"] = [str(_l("Choose a category."))]
    if "barcode" in data:
        _check_barcode(data.get("barcode"), own_id, clean, errors)
    if errors:
        raise ValidationFailed(errors=errors)
    return clean


def _check_barcode(value, own_id: int, clean: dict, errors: dict) -> None:
    """An optional EAN-13 (check digit verified), no other product's; empty clears it."""
    code = clean_barcode(value)
    clean["barcode"] = code or None
    if not code:
        return
    if not is_ean13(code):
        errors["barcode"] = [str(_l("An EAN-13 barcode has 13 digits, the last one a check "
                                    "digit; check the number on the box."))]
    elif db.session.execute(sa.select(Product.id).where(
            Product.barcode == code, Product.id != own_id)).first():
        errors["barcode"] = [str(_l("Another product has this barcode."))]


def _is_amount(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) \
        and 0 <= value <= MAX_PRICE_AMOUNT


def _save(product: Product, clean: dict, image) -> None:
    # The image is checked before anything is written, so a bad file changes nothing.
    kind = check_image(image) if image is not None else None
    for name, value in clean.items():
        setattr(product, name, value)
    if kind is not None:
        product.image = store_image(image, kind)
    db.session.add(product)
    db.session.flush()
    mark_changed(db.session, "catalog")


def create_product(data: dict, actor: User, *, image=None) -> Product:
    """A new product from the back office; prices in fen; ``image`` an optional upload."""
    _require_admin(actor)
    clean = _check_product(data, None)
    product = Product(currency=current_app.config["SHOP_CURRENCY"])
    _save(product, clean, image)
    if data.get("tier_prices") is not None:
        set_member_prices(product, data["tier_prices"])
    return product


def update_product(product: Product, data: dict, actor: User, *, image=None) -> Product:
    """Change a product; a new ``image`` replaces the old one (the old file stays, for pages
    still cached with it)."""
    _require_admin(actor)
    _save(product, _check_product(data, product), image)
    if data.get("tier_prices") is not None:
        set_member_prices(product, data["tier_prices"])
    return product


def get_product(product_id: int) -> Product:
    product = db.session.get(Product, product_id)
    if product is None:
        raise NotFound()
    return product


def _check_category(data: dict, category: Category | None) -> dict:
    errors: dict[str, list[str]] = {}
    clean = {"slug": _text(data.get("slug")).lower(), "name_zh": _text(data.get("name_zh")),
             "name_en": _text(data.get("name_en")) or None,
             "position": data.get("position") or 0}
    if not SLUG_RE.match(clean["slug"]) or len(clean["slug"]) > 60:
        errors["slug"] = [str(_l("Lower-case letters, digits and dashes, e.g. infant-formula."))]
    elif db.session.execute(sa.select(Category.id).where(
            Category.slug == clean["slug"],
            Category.id != (category.id if category else -1))).first():
        errors["slug"] = [str(_l("Another category has this web address."))]
    if not clean["name_zh"]:
        errors["name_zh"] = [str(_l("This field is required."))]
    if errors:
        raise ValidationFailed(errors=errors)
    return clean


def create_category(data: dict, actor: User) -> Category:
    _require_admin(actor)
    clean = _check_category(data, None)
    category = Category(**clean)
    db.session.add(category)
    db.session.flush()
    mark_changed(db.session, "catalog")
    return category


def update_category(category: Category, data: dict, actor: User) -> Category:
    _require_admin(actor)
    for name, value in _check_category(data, category).items():
        setattr(category, name, value)
    db.session.flush()
    mark_changed(db.session, "catalog")
    return category


def get_category(category_id: int) -> Category:
    category = db.session.get(Category, category_id)
    if category is None:
        raise NotFound()
    return category


def category_list() -> list[tuple[Category, int]]:
    """Categories with how many products each holds (one query)."""
    counts = (sa.select(Product.category_id, sa.func.count(Product.id).label("n"))
              .group_by(Product.category_id).subquery())
    rows = db.session.execute(
        sa.select(Category, sa.func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.category_id == Category.id)
        .order_by(Category.position, Category.id))
    return [(c, n) for c, n in rows]


def product_list(q: str | None = None, *, page: int = 1,
                 per_page: int = 50) -> tuple[list[Product], int, int]:
    """Every product, on sale or not, matching ``q``; returns (items, page, pages)."""
    query = sa.select(Product)
    if q:
        like = f"%{q.strip()}%"
        query = query.where(sa.or_(Product.name_zh.ilike(like), Product.name_en.ilike(like),
                                   Product.sku.ilike(like), Product.slug.ilike(like)))
    return paginate(query.order_by(Product.active.desc(), Product.position, Product.id),
                    page=page, per_page=per_page)


def back_office_counts() -> dict:
    """A few figures for the back office's front page, in one query."""

    def count(model, *where):
        return sa.select(sa.func.count()).select_from(model).where(*where).scalar_subquery()

    row = db.session.execute(sa.select(
        count(Product, Product.active.is_(True)).label("products"),
        count(Product).label("products_all"),
        count(Category).label("categories"),
        count(Center, Center.active.is_(True)).label("centers"),
        count(User, User.role.in_(Role.STAFF_MEMBERS),
              User.active.is_(True)).label("staff"),
        count(Order).label("orders"),
        count(Fulfillment, Fulfillment.status.in_(FulfillmentStatus.OPEN)).label("open_work"),
    )).one()
    return dict(row._mapping)
