"""Catalog search that finds Chinese: substrings (n-grams) of a normalized text per product.

Each product keeps two search columns, written whenever it or its category changes:

- ``search_name``: its names, SKU and category names, plus the synonyms they imply;
- ``search_text``: its descriptions, plus the synonyms they imply.

Both are normalized (``normalize``: NFKC, lower case, no spaces or punctuation inside a
field, fields apart by one space), so "1 段", "1段" and "Stage 1" read alike, and a query
is normalized the same way. Synonyms are written into the product's columns (one group's
words all there when any one is: "一段" = "1段" = "stage 1"; "海参" = "刺参" = "sea cucumber"),
so a query needs no expansion.

A query matches when its words (after joining known phrases such as "stage 1") all occur
in either column; hits in ``search_name`` rank before hits in descriptions only.
PostgreSQL answers the substring tests from a trigram index (pg_trgm, GIN); SQLite from an
FTS5 table with the trigram tokenizer (``products_fts``, kept by triggers) for words of three
characters or more, and by scanning for shorter ones. Both are made by the migrations.
"""

import re
import unicodedata

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from .models import Category, Product

#: words that mean the same to a shopper, each group written in normalized form
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("1段", "一段", "stage1", "第一段"),
    ("2段", "二段", "stage2", "第二段"),
    ("3段", "三段", "stage3", "第三段"),
    ("海参", "刺参", "seacucumber", "haishen"),
    ("奶粉", "配方奶", "formula", "milkpowder", "naifen"),
    ("礼盒", "礼品", "giftbox", "lihe"),
)
#: phrases a shopper types with a space that are one word here ("stage 1", "sea cucumber")
_PHRASES = re.compile(r"(stage)\s+(\d)|(sea)\s+(cucumbers?)|(gift)\s+(box(?:es)?)|"
                      r"(milk)\s+(powder)|(\d|[一二三])\s+(段)")
_NOT_WORD = re.compile(r"[^\w]+|_")
#: at most this many words of a query are used (the rest is ignored)
MAX_WORDS = 6


def normalize(text: str | None) -> str:
    """One field as the search columns keep it: NFKC, lower case, only letters and digits."""
    if not text:
        return ""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).lower())


def _with_synonyms(fields: list[str]) -> str:
    text = " ".join(f for f in fields if f)
    extra = [word for group in SYNONYMS if any(w in text for w in group) for word in group
             if word not in text]
    return " ".join([text, *extra]).strip()


def search_columns(product, category_names: tuple[str | None, str | None]) -> dict:
    """``{"search_name", "search_text"}`` for a product and its category's names."""
    name = _with_synonyms([normalize(product.name_zh), normalize(product.name_en),
                           normalize(product.sku), *map(normalize, category_names)])
    text = _with_synonyms([normalize(line) for field in (product.description_zh,
                                                         product.description_en)
                           for line in re.split(r"[\s。，,.;；！!？?]+", field or "")])
    return {"search_name": name[:4000], "search_text": text[:20000]}


def query_words(q: str | None) -> list[str]:
    """The normalized words of a query, known phrases joined ("stage 1" -> "stage1")."""
    if not q:
        return []
    text = unicodedata.normalize("NFKC", q).lower()
    text = _PHRASES.sub(lambda m: "".join(g for g in m.groups() if g), text)
    words = [normalize(w) for w in text.split()]
    words = [w.removesuffix("s") if w.endswith("cucumbers") else w for w in words]
    return list(dict.fromkeys(w for w in words if w))[:MAX_WORDS]


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def match_and_rank(model, q: str | None, dialect: str):
    """``(where clause, rank expression)`` for products matching ``q``; None when ``q`` has
    no words. Rank 0: every word in the names, category or their synonyms; 1: otherwise."""
    words = query_words(q)
    if not words:
        return None
    name, text = model.__table__.c.search_name, model.__table__.c.search_text
    found, in_name = [], []
    for word in words:
        pattern = _like(word)
        name_hit = name.like(pattern, escape="\\")
        if dialect == "sqlite" and len(word) >= 3:
            # the FTS5 trigram table answers from its index (a phrase of the word's trigrams)
            phrase = '"' + word.replace('"', '""') + '"'
            hit = model.__table__.c.id.in_(
                sa.select(sa.column("rowid")).select_from(sa.table("products_fts"))
                .where(sa.text("products_fts MATCH :phrase").bindparams(
                    sa.bindparam("phrase", phrase, unique=True))))
        else:
            hit = sa.or_(name_hit, text.like(pattern, escape="\\"))
        found.append(hit)
        in_name.append(name_hit)
    return sa.and_(*found), sa.case((sa.and_(*in_name), 0), else_=1)


def _category_names(session: Session, product) -> tuple[str | None, str | None]:
    category = product.category
    if category is None and product.category_id is not None:
        category = session.get(Category, product.category_id)
    return (category.name_zh, category.name_en) if category is not None else (None, None)


def _reindex(session: Session, _context, _instances) -> None:
    """Before a flush: new or changed products, and the products of changed categories, get
    their search columns written again."""
    products = {id(o): o for o in (*session.new, *session.dirty) if isinstance(o, Product)}
    categories = [o for o in session.dirty if isinstance(o, Category)
                  and session.is_modified(o, include_collections=False)]
    with session.no_autoflush:
        for category in categories:
            if category.id is not None:
                for product in session.execute(sa.select(Product).where(
                        Product.category_id == category.id)).scalars():
                    products[id(product)] = product
        for product in products.values():
            columns = search_columns(product, _category_names(session, product))
            for key, value in columns.items():
                if getattr(product, key) != value:
                    setattr(product, key, value)


def install() -> None:
    """Keep the search columns written (once per process)."""
    if not event.contains(Session, "before_flush", _reindex):
        event.listen(Session, "before_flush", _reindex)
