"""Importing customers from a CSV file (the brand's old spreadsheet): a preview first, bad
rows reported by line number, nobody imported twice."""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.clock import shop_today
from core.errors import ValidationFailed
from core.extensions import db
from core.inputs import is_plain_line
from core.models import User

from .models import Child, Customer
from .profiles import GENDERS, create_prospect, normalize_phone

MAX_ROWS = 20_000
#: header (as written in the sheet, lower case) -> profile field
HEADERS = {
    "name": "name", "姓名": "name", "客户姓名": "name",
    "phone": "phone", "mobile": "phone", "手机": "phone", "手机号": "phone", "电话": "phone",
    "email": "email", "e-mail": "email", "邮箱": "email",
    "gender": "gender", "性别": "gender",
    "birthday": "birthday", "生日": "birthday", "出生日期": "birthday",
    "city": "city", "城市": "city", "district": "district", "区": "district", "区县": "district",
    "address": "address", "地址": "address", "occupation": "occupation", "职业": "occupation",
    "interests": "interests", "兴趣": "interests", "notes": "notes", "备注": "notes",
    "marketing_consent": "marketing_consent", "同意营销": "marketing_consent",
    "baby_birthday": "baby_birthday", "宝宝生日": "baby_birthday",
}
_GENDER_WORDS = {"女": "female", "男": "male", "f": "female", "m": "male"}
_YES = {"1", "yes", "y", "true", "是", "同意"}


@dataclass
class Preview:
    """What a file would import: good rows, rows already known, and bad rows, by line."""

    rows: list[tuple[int, dict]] = field(default_factory=list)
    known: list[tuple[int, str]] = field(default_factory=list)
    bad: list[tuple[int, list[str]]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)


def decode(data: bytes) -> str:
    """UTF-8 (with or without a BOM), else GB18030 (a sheet saved by Excel in Chinese)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            raise ValidationFailed(errors={"file": [str(_l(
                "The file is neither UTF-8 nor GB18030 text."))]}) from None


def _date(value: str) -> date:
    match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", value)
    if not match:
        raise ValueError
    return date(*map(int, match.groups()))


def _row(raw: dict) -> tuple[dict, list[str]]:
    data, errors = {}, []
    for field_name, value in raw.items():
        value = (value or "").strip()
        if not value:
            continue
        if not is_plain_line(value):  # a NUL or another control character: no one typed it
            errors.append(str(_l("%(field)s holds characters that are not text",
                                 field=field_name)))
            continue
        try:
            if field_name == "phone":
                data["phone"] = normalize_phone(value)
            elif field_name == "gender":
                gender = _GENDER_WORDS.get(value.lower(), value.lower())
                if gender not in GENDERS:
                    raise ValueError
                data["gender"] = gender
            elif field_name in ("birthday", "baby_birthday"):
                data[field_name] = _date(value)
            elif field_name == "marketing_consent":
                data["marketing_consent"] = value.lower() in _YES
            elif field_name == "email":
                if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
                    raise ValueError
                data["email"] = value.lower()
            else:
                data[field_name] = value[:300]
        except ValidationFailed:
            errors.append(str(_l("phone “%(value)s” is not a phone number", value=value)))
        except ValueError:
            errors.append(str(_l("%(field)s “%(value)s” is not valid", field=field_name,
                                 value=value)))
    if not data.get("name"):
        errors.append(str(_l("the name is missing")))
    if not data.get("phone") and not data.get("email"):
        errors.append(str(_l("a phone number or an e-mail is needed")))
    return data, errors


def preview(data: bytes) -> Preview:
    """Read the file and sort its rows; writes nothing."""
    reader = csv.DictReader(io.StringIO(decode(data)))
    columns = {name: HEADERS.get((name or "").strip().lower()) for name in reader.fieldnames or ()}
    if "name" not in columns.values():
        raise ValidationFailed(errors={"file": [str(_l(
            "The first line must name the columns; a “name” (姓名) column is needed."))]})
    result = Preview(columns=[c for c in columns.values() if c])
    seen: dict[str, int] = {}
    for raw in reader:
        line = reader.line_num
        if len(result.rows) + len(result.bad) + len(result.known) >= MAX_ROWS:
            raise ValidationFailed(errors={"file": [str(_l(
                "At most %(n)d rows per file; split it.", n=MAX_ROWS))]})
        row, errors = _row({f: raw.get(h) for h, f in columns.items() if f})
        if errors:
            result.bad.append((line, errors))
            continue
        key = row.get("phone") or row["email"]
        if key in seen:
            result.known.append((line, str(_l("same as line %(line)d", line=seen[key]))))
            continue
        seen[key] = line
        result.rows.append((line, row))
    _mark_known(result)
    return result


def _mark_known(result: Preview) -> None:
    """Move rows whose phone or e-mail a customer already has into ``known``."""
    phones = {r["phone"] for _, r in result.rows if r.get("phone")}
    emails = {r["email"] for _, r in result.rows if r.get("email")}
    known_phones, known_emails = set(), set()
    for chunk in _chunks(sorted(phones)):
        known_phones |= set(db.session.execute(
            sa.select(Customer.phone).where(Customer.phone.in_(chunk))).scalars())
    for chunk in _chunks(sorted(emails)):
        known_emails |= {e.lower() for e in db.session.execute(
            sa.select(Customer.email).where(sa.func.lower(Customer.email).in_(chunk))).scalars()}
    keep = []
    for line, row in result.rows:
        if row.get("phone") in known_phones or row.get("email") in known_emails:
            result.known.append((line, str(_l("already a customer"))))
        else:
            keep.append((line, row))
    result.rows = keep
    result.known.sort()


def _chunks(values: list, size: int = 500):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def import_customers(data: bytes, agent: User | None) -> Preview:
    """Create a prospect for every good row not known yet; returns what was done.

    The file is read again and checked against the database now, so importing the same
    file twice (or two agents at once: the phone check runs in this transaction) adds
    nobody twice.
    """
    result = preview(data)
    for _line, row in result.rows:
        baby = row.pop("baby_birthday", None)
        customer = create_prospect(agent, dict(row, source="import"))
        if baby is not None:
            born = baby <= shop_today()
            customer.children.append(Child(birth_date=baby if born else None,
                                           due_date=None if born else baby))
    db.session.flush()
    return result
