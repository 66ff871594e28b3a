"""Search that finds Chinese, on the demo catalog and on both databases: 海参 finds all five
sea-cucumber products (named 刺参, in the category 干海参) first; 一段, 1段 and "stage 1" find
the stage-one formulas; the catalog page and the API answer the same; each database has its
index (PostgreSQL's trigram GIN index, SQLite's FTS5 trigram table and its triggers)."""

import pytest
import sqlalchemy as sa

from core.extensions import db
from storefront import catalog, search
from storefront.models import Category, Product


@pytest.fixture()
def demo_catalog(session):
    """The demo shop's 19 products in their categories, as ``flask demo`` writes them."""
    from demo.shop import DemoShop

    shop = DemoShop(seed=7)
    shop.build_catalog()
    session.flush()
    return shop


def skus(items) -> list[str]:
    return [p.sku for p in items]


def sea_cucumbers(shop) -> set[str]:
    return {p.sku for p in shop.sea}


def stage(shop, n) -> set[str]:
    return {p.sku for (_line, s), p in shop.formula.items() if s == n}


def test_haishen_finds_all_five_sea_cucumbers_first(demo_catalog):
    items, _ = catalog.search_products(q="海参")
    found = skus(items)
    assert len(demo_catalog.sea) == 5
    assert set(found[:5]) == sea_cucumbers(demo_catalog)  # names and category first
    # gift boxes that only hold sea cucumber in their description come after
    assert all(sku.startswith("GB-") for sku in found[5:])


@pytest.mark.parametrize("q", ["一段", "1段", "1 段", "stage 1", "Stage1", "第一段"])
def test_stage_one_is_found_however_it_is_written(demo_catalog, q):
    items, _ = catalog.search_products(q=q)
    found = skus(items)
    assert set(found[:2]) == stage(demo_catalog, 1), (q, found)
    assert not set(found) & (stage(demo_catalog, 2) | stage(demo_catalog, 3)), (q, found)


@pytest.mark.parametrize("q", ["sea cucumber", "Sea Cucumbers", "刺参", "haishen"])
def test_sea_cucumber_in_other_words(demo_catalog, q):
    items, _ = catalog.search_products(q=q)
    assert sea_cucumbers(demo_catalog) <= set(skus(items)), q


def test_several_words_all_count(demo_catalog):
    items, _ = catalog.search_products(q="大连 海参")
    found = set(skus(items))
    assert {"HS-DL-3040", "HS-DL-6080"} <= found and "HS-WH-4050" not in found
    assert catalog.search_products(q="獐子岛 奶粉")[0] == []


@pytest.mark.parametrize("q", ["%", "_", "\\", '"', "'; drop table products; --", "海" * 300,
                               "a b c d e f g h i j"])
def test_odd_queries_answer_without_error(demo_catalog, q):
    items, pages = catalog.search_products(q=q)
    assert pages >= 1 and isinstance(items, list)


def test_the_catalog_page_and_the_api_use_it(client, demo_catalog):
    db.session.commit()
    html = client.get("/products?q=海参").get_data(as_text=True)
    for p in demo_catalog.sea:
        assert p.name_zh in html
    body = client.get("/api/v1/products", query_string={"q": "一段"}).get_json()
    assert set(skus_of(body["items"][:2])) == stage(demo_catalog, 1)


def skus_of(rows) -> list[str]:
    return [row["sku"] for row in rows]


def test_a_renamed_category_or_product_is_found_by_its_new_name(demo_catalog, session):
    category = session.execute(sa.select(Category).where(
        Category.slug == "gift-boxes")).scalar_one()
    category.name_zh = "节日好礼"
    product = session.execute(sa.select(Product).where(Product.sku == "HS-WH-4050")).scalar_one()
    product.name_zh = "威海金钩参 40-50头/500g"
    session.flush()
    assert {p.category.slug for p in catalog.search_products(q="节日好礼")[0]} == {"gift-boxes"}
    assert "HS-WH-4050" in skus(catalog.search_products(q="金钩参")[0])


def test_each_database_has_its_search_index(session):
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        index = connection.execute(sa.text(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_products_search_trgm'")
        ).scalar_one()
        assert "gin" in index and "gin_trgm_ops" in index
        connection.execute(sa.text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(connection.execute(sa.text(
            "EXPLAIN SELECT id FROM products WHERE search_name LIKE '%stage1%'")).scalars())
        assert "ix_products_search_trgm" in plan
    else:
        names = set(connection.execute(sa.text(
            "SELECT name FROM sqlite_master WHERE name LIKE 'products_fts%'")).scalars())
        assert {"products_fts", "products_fts_ai", "products_fts_ad",
                "products_fts_au"} <= names


def test_normalizing_reads_alike():
    assert search.normalize("Stage 1（0-6 月龄）") == "stage106月龄"
    assert search.query_words("  Stage 1   海参 ") == ["stage1", "海参"]
    assert search.query_words("%%%") == []
