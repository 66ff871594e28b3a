"""Reading the catalog: categories, product lists with search, one product."""

import sqlalchemy as sa

from core.database import paginate
from core.errors import NotFound
from core.extensions import db

from . import search
from .models import Category, Product

PAGE_SIZE = 24


def categories() -> list[Category]:
    return list(db.session.execute(
        sa.select(Category).order_by(Category.position, Category.id)).scalars())


def search_products(*, q: str | None = None, category: str | None = None, page: int = 1,
                    per_page: int = PAGE_SIZE) -> tuple[list[Product], int]:
    """Active products matching ``q`` in ``category`` (slug); returns (items, pages).

    ``q`` is searched in the names, SKU, category, descriptions and their synonyms
    (``storefront.search``), hits in the names and category first. Two queries whatever
    the page size: the count and the page (category joined).
    """
    query = sa.select(Product).where(Product.active.is_(True))
    if category:
        query = query.join(Category).where(Category.slug == category)
    order = (Product.position, Product.id)
    found = search.match_and_rank(Product, q, db.session.get_bind().dialect.name)
    if found is not None:
        where, rank = found
        query, order = query.where(where), (rank, *order)
    items, _page, pages = paginate(query.order_by(*order), page=page, per_page=per_page)
    return items, pages


def product_by_slug(slug: str) -> Product:
    product = db.session.execute(
        sa.select(Product).where(Product.slug == slug, Product.active.is_(True))
    ).scalar_one_or_none()
    if product is None:
        raise NotFound()
    return product


def products_by_ids(ids) -> dict[int, Product]:
    if not ids:
        return {}
    return {p.id: p for p in db.session.execute(
        sa.select(Product).where(Product.id.in_(list(ids)))).scalars()}
