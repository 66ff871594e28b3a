"""The back office's rules for centers and staff accounts.

Plain ``verb_noun`` functions: they take validated form data and the acting admin, check
the rules, flush and return; the view commits. A broken rule raises ``ValidationFailed``
with per-field errors, before anything is written.
"""

import re

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.cache import mark_changed
from core.clock import utcnow
from core.errors import Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.models import Role, User

from . import divisions
from .hours import format_holidays, format_week, parse_holidays, parse_week, write_week
from .models import Center, CenterDistrict

TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
CODE_RE = re.compile(r"^[A-Z0-9-]{1,20}$")
#: the roles the back office hands out (shoppers register themselves)
STAFF_ROLES = Role.STAFF_MEMBERS
MIN_PASSWORD = 8
_DISTRICT_SPLIT = re.compile(r"[\s,，、/]+")

District = tuple[str, str, str]


def _require_admin(actor: User) -> None:
    if actor is None or actor.role != Role.ADMIN:
        raise Forbidden()


def _text(value) -> str:
    return str(value or "").strip()


def _split_district(line: str) -> list[str]:
    """A line's province, city and district: split at "/", "," or "、" when it has one (the
    English names have spaces: "Shanghai / Shanghai / Xuhui District"), else at spaces."""
    if re.search(r"[/,，、]", line):
        return [p.strip() for p in re.split(r"[/,，、]+", line) if p.strip()]
    return [p for p in _DISTRICT_SPLIT.split(line) if p]


def parse_districts(text: str | None) -> list[District]:
    """Lines naming districts of the national divisions -> unique (province, city,
    district) triples as the divisions name them in Chinese, in the order given.

    A line is a district's code, optionally followed by its names (what the picker
    writes: "310104 上海市 上海市 徐汇区"; the code decides), or the province, city and
    district in Chinese or English, read as addresses are ("上海 上海 徐汇", "Shanghai /
    Shanghai / Xuhui District"). Raises ``ValidationFailed`` naming each line that names no
    district.
    """
    result: list[District] = []
    problems = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        code = re.match(r"^(\d{6})(?:\s|$)", line)
        if code:
            place = divisions.place_of(code.group(1))
        else:
            parts = _split_district(line)
            place = divisions.resolve(*parts) if len(parts) == 3 else None
        if place is None:
            problems.append(str(_l(
                "Line %(number)d (%(line)s) is not a district of the national divisions: "
                "choose it from the lists, or write province, city and district, e.g. "
                "上海市 上海市 徐汇区.", number=number, line=line[:60])))
            continue
        triple = (place.province.name, place.city.name, place.district.name)
        if triple not in result:
            result.append(triple)
    if problems:
        raise ValidationFailed(errors={"districts": problems})
    return result


def district_line(row, english: bool = False) -> str:
    """A district as the textarea and the picker write it: its code, then its names."""
    place = divisions.place_of(row.district_code)
    if place is None:
        return f"{row.province} {row.city} {row.district}"
    if english:
        return f"{place.district.code} " + " / ".join(
            (place.province.name_en, place.city.name_en, place.district.name_en))
    return f"{place.district.code} {place.province.name} {place.city.name} {place.district.name}"


def format_districts(center: Center, english: bool = False) -> str:
    """The center's districts outside any zone, as the textarea shows them."""
    return "\n".join(district_line(d, english) for d in center.districts if d.zone_id is None)


def center_form_data(center: Center, english: bool = False) -> dict:
    """A center's fields as the edit form shows them (districts as lines)."""
    names = ("code", "name_zh", "name_en", "is_pickup", "is_delivery", "is_warehouse",
             "province", "city", "district", "address_zh", "address_en", "lat", "lng", "phone",
             "contact_person", "opens_at", "closes_at", "radius_km", "active")
    data = {name: getattr(center, name) for name in names}
    data["districts"] = format_districts(center, english)
    data["weekly_hours"] = format_week(center)
    data["holidays"] = format_holidays(center)
    return data


def _check_center(data: dict, center: Center | None) -> dict:
    """Validate and normalize a center's fields; returns what to write."""
    errors: dict[str, list[str]] = {}
    clean = {
        "code": _text(data.get("code")).upper(),
        "name_zh": _text(data.get("name_zh")),
        "name_en": _text(data.get("name_en")) or None,
        "is_pickup": bool(data.get("is_pickup")),
        "is_delivery": bool(data.get("is_delivery")),
        "is_warehouse": bool(data.get("is_warehouse")),
        "province": _text(data.get("province")),
        "city": _text(data.get("city")),
        "district": _text(data.get("district")),
        "address_zh": _text(data.get("address_zh")),
        "address_en": _text(data.get("address_en")) or None,
        "phone": _text(data.get("phone")) or None,
        "contact_person": _text(data.get("contact_person"))[:100] or None,
        "opens_at": _text(data.get("opens_at")),
        "closes_at": _text(data.get("closes_at")),
        "active": bool(data.get("active")),
    }
    for name in ("name_zh", "province", "city", "district", "address_zh"):
        if not clean[name]:
            errors.setdefault(name, []).append(str(_l("This field is required.")))
    if not CODE_RE.match(clean["code"]):
        errors.setdefault("code", []).append(str(_l("Letters, digits and dashes only.")))
    else:
        taken = db.session.execute(sa.select(Center.id).where(
            Center.code == clean["code"],
            Center.id != (center.id if center is not None else -1))).first()
        if taken:
            errors.setdefault("code", []).append(str(_l("Another center has this code.")))
    if not (clean["is_pickup"] or clean["is_delivery"] or clean["is_warehouse"]):
        errors.setdefault("is_pickup", []).append(str(_l(
            "A center is a pickup store, a delivery center, a warehouse, or several of these.")))
    times_ok = True
    for name in ("opens_at", "closes_at"):
        if not TIME_RE.match(clean[name]):
            errors.setdefault(name, []).append(str(_l("Use HH:MM, e.g. 09:30.")))
            times_ok = False
    if times_ok and clean["opens_at"] >= clean["closes_at"]:
        errors.setdefault("closes_at", []).append(str(_l("Closing time must be after opening.")))
    for name, low, high in (("lat", -90, 90), ("lng", -180, 180)):
        value = data.get(name)
        if not isinstance(value, int | float) or isinstance(value, bool) \
                or not low <= value <= high:
            errors.setdefault(name, []).append(str(_l(
                "Enter a number from %(low)s to %(high)s.", low=low, high=high)))
        else:
            clean[name] = float(value)
    radius = data.get("radius_km")
    if radius is not None and (not isinstance(radius, int | float) or radius < 0):
        errors.setdefault("radius_km", []).append(str(_l("Enter a distance of 0 or more.")))
    clean["radius_km"] = float(radius) if isinstance(radius, int | float) else None
    try:
        text = data.get("districts")
        clean["districts"] = parse_districts(text if isinstance(text, str) else "")
    except ValidationFailed as err:
        errors.update(err.errors)
        clean["districts"] = []
    for name, parse in (("weekly_hours", parse_week), ("holidays", parse_holidays)):
        try:
            text = data.get(name)
            clean[name] = parse(text if isinstance(text, str) else "")
        except ValidationFailed as err:
            errors.update(err.errors)
    has_zones = center is not None and bool(center.zones)
    if clean["is_delivery"] and not clean["districts"] and not clean["radius_km"] \
            and not has_zones and "districts" not in errors:
        errors.setdefault("districts", []).append(str(_l(
            "A delivery center needs the districts it serves, or a delivery radius.")))
    if errors:
        raise ValidationFailed(errors=errors)
    return clean


def _write_center(center: Center, clean: dict) -> None:
    wanted = clean.pop("districts")
    write_week(center, clean.pop("weekly_hours"), clean.pop("holidays"))
    for name, value in clean.items():
        setattr(center, name, value)
    # Keep rows that stay, drop the others, add the new ones: re-adding a row in the same
    # flush would collide with its own unique key. A zone's districts are the zone's to edit.
    # Rows are matched by their district's code (a row typed "上海 上海 徐汇" is 徐汇区).
    existing = {divisions.key_of(d.province, d.city, d.district): d for d in center.districts}
    keys = {divisions.key_of(*key): key for key in wanted}
    for key, row in existing.items():
        if key not in keys and row.zone_id is None:
            center.districts.remove(row)
    for key, names in keys.items():
        if key not in existing:
            center.districts.append(CenterDistrict(province=names[0], city=names[1],
                                                   district=names[2]))


def create_center(data: dict, actor: User) -> Center:
    """Open a new center from the back office's form data."""
    _require_admin(actor)
    clean = _check_center(data, None)
    center = Center()
    db.session.add(center)
    _write_center(center, clean)
    db.session.flush()
    # Pickup lists and availability shown to shoppers depend on the centers.
    mark_changed(db.session, "catalog", "stock")
    return center


def update_center(center: Center, data: dict, actor: User) -> Center:
    """Change a center's details, kinds, hours and delivery districts."""
    _require_admin(actor)
    clean = _check_center(data, center)
    _write_center(center, clean)
    db.session.flush()
    mark_changed(db.session, "catalog", "stock")
    return center


def get_center(center_id: int) -> Center:
    center = db.session.get(Center, center_id)
    if center is None:
        raise NotFound()
    return center


def create_staff(data: dict, actor: User) -> User:
    """An account for someone who works for the brand; store staff are bound to a center."""
    _require_admin(actor)
    errors: dict[str, list[str]] = {}
    email = _text(data.get("email")).lower()
    name = _text(data.get("name"))
    phone = _text(data.get("phone")) or None
    password = data.get("password") or ""
    role = data.get("role")
    center_id = data.get("center_id")
    if not email or "@" not in email:
        errors["email"] = [str(_l("Enter a valid e-mail address."))]
    elif db.session.execute(sa.select(User.id).where(sa.func.lower(User.email) == email)).first():
        errors["email"] = [str(_l("An account with this e-mail already exists."))]
    if not name:
        errors["name"] = [str(_l("This field is required."))]
    if len(password) < MIN_PASSWORD:
        errors["password"] = [str(_l("At least 8 characters."))]
    if role not in STAFF_ROLES:
        errors["role"] = [str(_l("Choose a role."))]
    if role == Role.STAFF:
        center = db.session.get(Center, center_id) if center_id else None
        if center is None:
            errors["center_id"] = [str(_l("Store staff work at one center: choose it."))]
        elif not center.active:
            errors["center_id"] = [str(_l("This center is closed."))]
    else:
        center_id = None  # only store staff are bound to a center
    if errors:
        raise ValidationFailed(errors=errors)
    # the admin vouches for the address: it signs in with its password at once
    user = User(email=email, name=name, phone=phone, role=role, center_id=center_id, active=True,
                email_verified_at=utcnow())
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def set_staff_active(user: User, active: bool, actor: User) -> User:
    """Deactivate (or reactivate) a staff account: a deactivated one can no longer sign in,
    and its API tokens stop working."""
    _require_admin(actor)
    if user.role not in STAFF_ROLES:
        raise NotFound()
    if user.id == actor.id and not active:
        raise ValidationFailed(_l("You cannot deactivate your own account."))
    user.active = bool(active)
    db.session.flush()
    return user


def staff_accounts() -> list[tuple[User, Center | None]]:
    """Everyone who works for the brand, with their center (one query)."""
    rows = db.session.execute(
        sa.select(User, Center).outerjoin(Center, Center.id == User.center_id)
        .where(User.role.in_(STAFF_ROLES))
        .order_by(User.active.desc(), User.role, User.name, User.id))
    return [(u, c) for u, c in rows]


def center_list() -> list[Center]:
    """Every center with its districts (two queries)."""
    return list(db.session.execute(
        sa.select(Center).order_by(Center.active.desc(), Center.code)
        .options(sa.orm.selectinload(Center.districts))).scalars())
