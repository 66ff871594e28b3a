"""Member content: articles by the customer center, in Markdown rendered safely (nh3),
aimed at tiers, baby stages, interests and cities, within a publish window."""

import nh3
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from markdown_it import MarkdownIt

from core.clock import utcnow
from core.errors import NotFound, ValidationFailed
from core.extensions import db
from core.models import User
from storefront.admin_services import check_image, store_image
from storefront.loyalty.models import Membership

from .audience import Audience, apply_audience, audience_of, check_audience, fits
from .models import Article

_markdown = MarkdownIt("commonmark", {"html": True, "linkify": False}).enable("table")


def render_markdown(text: str) -> str:
    """Markdown to HTML, sanitized by nh3 (no scripts, no event handlers, safe links)."""
    return nh3.clean(_markdown.render(text or ""), link_rel="noopener noreferrer nofollow")


def _published(now):
    return sa.and_(Article.publish_from.is_not(None), Article.publish_from <= now,
                   sa.or_(Article.publish_until.is_(None), Article.publish_until > now))


def _search(stmt, q: str | None):
    if q:
        pattern = f"%{q.strip()[:100]}%"
        stmt = stmt.where(sa.or_(Article.title.ilike(pattern), Article.summary.ilike(pattern),
                                 Article.body_md.ilike(pattern)))
    return stmt


def articles_for(membership: Membership | None, *, q: str | None = None, now=None,
                 limit: int = 50, audience: Audience | None = None) -> list[Article]:
    """Published articles that fit this member, newest first; ``q`` searches the text."""
    now = now or utcnow()
    audience = audience or audience_of(membership)
    rows = db.session.execute(_search(
        sa.select(Article).where(_published(now)), q)
        .order_by(Article.publish_from.desc(), Article.id.desc())).scalars()
    return [a for a in rows if fits(a, audience)][:limit]


def public_titles(*, q: str | None = None, now=None, limit: int = 20) -> list[Article]:
    """What a non-member sees: the titles of published articles."""
    return list(db.session.execute(_search(
        sa.select(Article).where(_published(now or utcnow())), q)
        .order_by(Article.publish_from.desc(), Article.id.desc()).limit(limit)).scalars())


def get_article(public_id: str) -> Article:
    article = db.session.execute(
        sa.select(Article).where(Article.public_id == public_id)).scalar_one_or_none()
    if article is None:
        raise NotFound()
    return article


def get_live_article(public_id: str, now=None) -> Article:
    """A published article inside its window; a draft, one not yet out or one past its end
    is ``NotFound`` for readers, as if it did not exist (staff preview it on their page)."""
    article = get_article(public_id)
    if not is_live(article, now):
        raise NotFound()
    return article


def is_live(article: Article, now=None) -> bool:
    """Published and inside its window."""
    now = now or utcnow()
    return article.publish_from is not None and article.publish_from <= now and (
        article.publish_until is None or article.publish_until > now)


def readable_by(article: Article, membership: Membership | None, now=None) -> bool:
    return (is_live(article, now) and membership is not None
            and fits(article, audience_of(membership)))


def count_view(article: Article) -> None:
    """One more view (a conditional-free increment in SQL, safe under concurrency)."""
    db.session.execute(sa.update(Article.__table__).where(Article.__table__.c.id == article.id)
                       .values(views_count=Article.__table__.c.views_count + 1))


def save_article(article: Article | None, data: dict, actor: User, *,
                 cover=None) -> Article:
    """Write or schedule an article (``publish_from`` None keeps it a draft).

    ``cover`` is an uploaded image, checked and stored like a product's; the old cover stays
    unless a new one comes or ``remove_cover`` is set. A bad file changes nothing.
    """
    errors = {}
    kind = None
    if cover is not None:
        try:
            kind = check_image(cover)
        except ValidationFailed as err:
            errors["cover"] = err.errors["image"]
    title = (data.get("title") or "").strip()
    if not title:
        errors["title"] = [str(_l("Please fill this in."))]
    start, end = data.get("publish_from"), data.get("publish_until")
    if start is not None and end is not None and end <= start:
        errors["publish_until"] = [str(_l("The window ends before it starts."))]
    check_audience(data, errors)
    if errors:
        raise ValidationFailed(errors=errors)
    if article is None:
        article = Article(created_by_id=actor.id)
        db.session.add(article)
    article.title = title[:200]
    article.summary = (data.get("summary") or "").strip()[:500]
    if kind is not None:
        article.cover_image = store_image(cover, kind)
    elif data.get("remove_cover"):
        article.cover_image = None
    elif "cover_image" in data:
        article.cover_image = (data.get("cover_image") or "").strip() or None
    article.body_md = data.get("body_md") or ""
    article.publish_from, article.publish_until = start, end
    apply_audience(article, data)
    db.session.flush()
    return article


def all_articles() -> list[Article]:
    """Every article for the staff list, newest first."""
    return list(db.session.execute(
        sa.select(Article).order_by(Article.created_at.desc(), Article.id.desc())).scalars())
