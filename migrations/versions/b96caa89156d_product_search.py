"""Products: normalized search columns (names, SKU, category and synonyms; descriptions),
filled for the products there are, and their index: a trigram GIN index on PostgreSQL
(pg_trgm), an FTS5 table with the trigram tokenizer kept by triggers on SQLite.

A later migration that rebuilds ``products`` on SQLite (a batch "move and copy") drops the
triggers with the old table: it must create them again (``_SQLITE_TRIGGERS`` here);
tests/storefront/test_search.py checks they are there.

Revision ID: b96caa89156d
Revises: b15920a53e04
Create Date: 2026-12-05 11:40:00

"""
from types import SimpleNamespace

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b96caa89156d'
down_revision = 'b15920a53e04'
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = (
    "CREATE TRIGGER products_fts_ai AFTER INSERT ON products BEGIN "
    "INSERT INTO products_fts(rowid, search_name, search_text) "
    "VALUES (new.id, new.search_name, new.search_text); END",
    "CREATE TRIGGER products_fts_ad AFTER DELETE ON products BEGIN "
    "INSERT INTO products_fts(products_fts, rowid, search_name, search_text) "
    "VALUES ('delete', old.id, old.search_name, old.search_text); END",
    "CREATE TRIGGER products_fts_au AFTER UPDATE OF search_name, search_text ON products BEGIN "
    "INSERT INTO products_fts(products_fts, rowid, search_name, search_text) "
    "VALUES ('delete', old.id, old.search_name, old.search_text); "
    "INSERT INTO products_fts(rowid, search_name, search_text) "
    "VALUES (new.id, new.search_name, new.search_text); END",
)


def _fill() -> None:
    from storefront.search import search_columns

    products = sa.table('products', sa.column('id', sa.Integer), sa.column('sku', sa.String),
                        sa.column('name_zh', sa.String), sa.column('name_en', sa.String),
                        sa.column('description_zh', sa.Text),
                        sa.column('description_en', sa.Text),
                        sa.column('category_id', sa.Integer),
                        sa.column('search_name', sa.Text), sa.column('search_text', sa.Text))
    categories = sa.table('categories', sa.column('id', sa.Integer),
                          sa.column('name_zh', sa.String), sa.column('name_en', sa.String))
    bind = op.get_bind()
    names = {row.id: (row.name_zh, row.name_en) for row in bind.execute(sa.select(categories))}
    for row in bind.execute(sa.select(products)).all():
        columns = search_columns(SimpleNamespace(**row._mapping),
                                 names.get(row.category_id, (None, None)))
        bind.execute(products.update().where(products.c.id == row.id).values(**columns))


def upgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_name', sa.Text(), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('search_text', sa.Text(), server_default='',
                                      nullable=False))
    _fill()
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        op.execute('CREATE INDEX ix_products_search_trgm ON products USING gin '
                   '(search_name gin_trgm_ops, search_text gin_trgm_ops)')
    else:
        op.execute("CREATE VIRTUAL TABLE products_fts USING fts5(search_name, search_text, "
                   "content='products', content_rowid='id', tokenize='trigram')")
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)
        op.execute("INSERT INTO products_fts(products_fts) VALUES ('rebuild')")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP INDEX IF EXISTS ix_products_search_trgm')
    else:
        for name in ('products_fts_ai', 'products_fts_ad', 'products_fts_au'):
            op.execute(f'DROP TRIGGER IF EXISTS {name}')
        op.execute('DROP TABLE IF EXISTS products_fts')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('search_text')
        batch_op.drop_column('search_name')
