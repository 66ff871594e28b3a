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


def parse_districts(text: str | None) -> list[District]:
    """Lines of "province city district" -> unique triples, in the order given.

    Raises ``ValidationFailed`` naming each line that does not have exactly three parts.
    """
    result: list[District] = []
    problems = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        parts = [p for p in _DISTRICT_SPLIT.split(line) if p]
        if len(parts) != 3 or any(len(p) > 40 for p in parts):
            problems.append(str(_l(
                "Line %(number)d (%(line)s): write province, city and district, "
                "separated by spaces.", number=number, line=line[:60])))
            continue
        triple = (parts[0], parts[1], parts[2])
        if triple not in result:
            result.append(triple)
    if problems:
        raise ValidationFailed(errors={"districts": problems})
    return result


def format_districts(center: Center) -> str:
    """The center's districts outside any zone, as the textarea shows them."""
    return "\n".join(f"{d.province} {d.city} {d.district}" for d in center.districts
                     if d.zone_id is None)


def center_form_data(center: Center) -> dict:
    """A center's fields as the edit form shows them (districts as lines)."""
    names = ("code", "name_zh", "name_en", "is_pickup", "is_delivery", "is_warehouse",
             "province", "city", "district", "address_zh", "address_en", "lat", "lng", "phone",
             "contact_person", "opens_at", "closes_at", "radius_km", "active")
    data = {name: getattr(center, name) for name in names}
    data["districts"] = format_districts(center)
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
    existing = {(d.province, d.city, d.district): d for d in center.districts}
    for key, row in existing.items():
        if key not in wanted and row.zone_id is None:
            center.districts.remove(row)
    for key in wanted:
        if key not in existing:
            center.districts.append(CenterDistrict(province=key[0], city=key[1], district=key[2]))


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
