"""Saved segments: a named filter over figures, tags, stage, city, center and consent, with
a live count; exported to CSV for campaigns."""

import io
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core import spreadsheet
from core.clock import utcnow
from core.database import paginate
from core.errors import NotFound, ValidationFailed
from core.extensions import db
from core.inputs import MAX_ID
from core.models import User

from .figures import Segment
from .models import Customer, CustomerTag, SavedSegment, Stage

#: the filters a segment may hold, and their kinds
FILTERS = {
    "stages": "choices", "segments": "choices", "tags": "tags", "city": "text",
    "center_id": "int", "marketing_consent": "bool", "min_monetary": "int",
    "min_frequency": "int", "max_recency_days": "int", "min_recency_days": "int",
    "min_lifetime": "int",
}
_CHOICES = {"stages": Stage.ALL, "segments": Segment.ALL}
#: the largest number an "int" filter takes: days go back a century at most, the rest (ids,
#: amounts in fen, counts) are compared with integer columns
_MAXIMA = {"max_recency_days": 36_500, "min_recency_days": 36_500}
EXPORT_COLUMNS = ("id", "name", "phone", "email", "city", "stage", "rfm_segment", "frequency",
                  "monetary_amount", "lifetime_amount", "last_order_at", "marketing_consent",
                  "tags")


def clean_filters(raw: dict) -> dict:
    """Only known filters with values of the right kind; empty ones dropped."""
    clean, errors = {}, {}
    for name, value in (raw or {}).items():
        kind = FILTERS.get(name)
        if kind is None:
            errors[name] = [str(_l("Unknown filter."))]
            continue
        if value in (None, "", [], ()):
            continue
        if kind == "choices":
            values = list(value) if isinstance(value, list | tuple) else [value]
            if any(v not in _CHOICES[name] for v in values):
                errors[name] = [str(_l("Not a valid choice."))]
            clean[name] = values
        elif kind == "tags":
            values = value if isinstance(value, list | tuple) else str(value).split(",")
            clean[name] = sorted({t.strip().lower() for t in values if t and t.strip()})
        elif kind == "text":
            clean[name] = str(value).strip()[:40]
        elif kind == "bool":
            clean[name] = value in (True, "1", "true", "yes", "y")
        else:
            try:
                clean[name] = int(value)
            except (TypeError, ValueError):
                errors[name] = [str(_l("Enter a whole number."))]
                continue
            maximum = _MAXIMA.get(name, MAX_ID)
            if not 0 <= clean[name] <= maximum:
                errors[name] = [str(_l("Enter a whole number from %(min)s to %(max)s.", min=0,
                                       max=maximum))]
    if errors:
        raise ValidationFailed(errors=errors)
    return {k: v for k, v in clean.items() if v not in ("", [])}


def segment_query(filters: dict, now=None) -> sa.Select:
    """``SELECT customers`` matching ``filters`` (already clean)."""
    now = now or utcnow()
    f = filters
    query = sa.select(Customer)
    if f.get("stages"):
        query = query.where(Customer.stage.in_(f["stages"]))
    if f.get("segments"):
        query = query.where(Customer.rfm_segment.in_(f["segments"]))
    for tag in f.get("tags", ()):
        query = query.where(sa.exists().where(CustomerTag.customer_id == Customer.id,
                                              CustomerTag.tag == tag))
    if f.get("city"):
        query = query.where(Customer.city == f["city"])
    if f.get("center_id") is not None:
        query = query.where(Customer.favourite_center_id == f["center_id"])
    if f.get("marketing_consent") is not None:
        query = query.where(Customer.marketing_consent.is_(f["marketing_consent"]))
    if f.get("min_monetary") is not None:
        query = query.where(Customer.monetary_amount >= f["min_monetary"])
    if f.get("min_lifetime") is not None:
        query = query.where(Customer.lifetime_amount >= f["min_lifetime"])
    if f.get("min_frequency") is not None:
        query = query.where(Customer.frequency >= f["min_frequency"])
    if f.get("max_recency_days") is not None:
        query = query.where(Customer.last_order_at >= now - timedelta(days=f["max_recency_days"]))
    if f.get("min_recency_days") is not None:
        query = query.where(Customer.last_order_at < now - timedelta(days=f["min_recency_days"]))
    return query


def count(filters: dict) -> int:
    query = segment_query(filters).with_only_columns(sa.func.count(Customer.id))
    return db.session.execute(query).scalar_one()


def save_segment(segment: SavedSegment | None, agent: User, *, name: str,
                 filters: dict) -> SavedSegment:
    """Create (``segment`` None) or change a saved segment."""
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise ValidationFailed(errors={"name": [str(_l("A name of 1 to 80 characters."))]})
    clash = db.session.execute(sa.select(SavedSegment.id).where(
        SavedSegment.name == name, SavedSegment.id != (segment.id if segment else 0))).first()
    if clash:
        raise ValidationFailed(errors={"name": [str(_l("A segment of that name exists."))]})
    clean = clean_filters(filters)
    if segment is None:
        segment = SavedSegment(created_by_id=agent.id)
        db.session.add(segment)
    segment.name, segment.filters = name, clean
    db.session.flush()
    return segment


def get_segment(segment_id: int) -> SavedSegment:
    segment = db.session.get(SavedSegment, segment_id)
    if segment is None:
        raise NotFound()
    return segment


def members(segment: SavedSegment, *, page: int = 1, per_page: int = 30):
    """A page of the segment's customers (best customers first) and the page count."""
    query = segment_query(segment.filters)
    total = count(segment.filters)
    items, _page, pages = paginate(query.order_by(Customer.lifetime_amount.desc(), Customer.id),
                                   page=page, per_page=per_page, total=total)
    return items, pages, total


def export_csv(segment: SavedSegment):
    """The segment's customers as CSV text, yielded in chunks (whole phone numbers: the
    export is for the campaign, and only staff reach it)."""
    buffer = io.StringIO()
    writer = spreadsheet.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    yield "\ufeff" + buffer.getvalue()  # a BOM, so spreadsheet programs read UTF-8
    query = segment_query(segment.filters).order_by(Customer.id)
    last_id = 0
    while True:
        batch = db.session.execute(query.where(Customer.id > last_id).limit(1000)
                                   .options(sa.orm.selectinload(Customer.tags))).scalars().all()
        if not batch:
            return
        buffer.seek(0)
        buffer.truncate()
        for c in batch:
            writer.writerow([c.id, c.name, c.phone, c.email, c.city, c.stage, c.rfm_segment,
                             c.frequency, c.monetary_amount, c.lifetime_amount,
                             c.last_order_at.isoformat() if c.last_order_at else "",
                             int(c.marketing_consent), ";".join(t.tag for t in c.tags)])
        last_id = batch[-1].id
        yield buffer.getvalue()
