"""The profile an agent keeps: prospects entered by hand, the fields, family, tags,
how complete it is, and the access log."""

import re
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.clock import shop_today
from core.database import paginate
from core.errors import NotFound, ValidationFailed
from core.extensions import db
from core.models import User
from storefront.loyalty.membership import change_birthday, latest_membership

from .models import Child, Customer, CustomerAccess, CustomerTag, Stage

GENDERS = ("female", "male", "other")
CHANNELS = ("phone", "sms", "email", "wechat")
TIMES = ("morning", "afternoon", "evening", "weekend")
SOURCES = ("web", "store", "event", "hotline", "referral", "import", "agent")
#: what an agent may write on a profile
PROFILE_FIELDS = ("name", "phone", "email", "gender", "birthday", "city", "district", "address",
                  "occupation", "interests", "source", "preferred_channel", "preferred_time",
                  "marketing_consent", "service_consent", "notes")
#: the fields a complete profile has (the customer center's "required profile")
REQUIRED_FIELDS = ("name", "phone", "email", "gender", "birthday", "city", "district",
                   "address", "occupation", "interests", "source", "preferred_channel",
                   "preferred_time", "family")
FIELD_LABELS = {
    "name": _l("Name"), "phone": _l("Phone"), "email": _l("E-mail"), "gender": _l("Gender"),
    "birthday": _l("Birthday"), "city": _l("City"), "district": _l("District"),
    "address": _l("Address"), "occupation": _l("Occupation"), "interests": _l("Interests"),
    "source": _l("How they found us"), "preferred_channel": _l("Preferred channel"),
    "preferred_time": _l("Preferred time"), "family": _l("Family"),
}
_PHONE = re.compile(r"^(?:\+?86)?(1[3-9][0-9]{9})$|^(0[0-9]{2,3}[0-9]{7,8})$")
#: a due date further ahead than this is a typing error
MAX_DUE_AHEAD = timedelta(days=300)


def normalize_phone(value: str | None) -> str | None:
    """``+86 138-1234-5678`` -> ``13812345678``; raises ValidationFailed when not a phone."""
    if value is None or not value.strip():
        return None
    digits = re.sub(r"[\s()-]", "", value.strip())
    match = _PHONE.match(digits)
    if not match:
        raise ValidationFailed(errors={"phone": [str(_l(
            "Enter a mobile number (11 digits) or a landline with its area code."))]})
    return match.group(1) or match.group(2)


def phone_key(value: str | None) -> str | None:
    """The phone as the customer center keeps it (``normalize_phone``), or, for a number that
    rule refuses, its text without spaces and dashes: for comparing, never raises."""
    try:
        return normalize_phone(value)
    except ValidationFailed:
        return re.sub(r"[\s()-]", "", value.strip())


def phone_forms(value: str | None) -> set[str]:
    """The ways one phone may be written on a profile: the kept form, with the country code,
    and as typed (profiles made from an account hold the account's text)."""
    key = phone_key(value)
    if key is None:
        return set()
    forms = {key, value.strip()}
    if len(key) == 11 and key.startswith("1"):
        forms |= {f"+86{key}", f"86{key}", f"+86 {key}", f"{key[:3]}-{key[3:7]}-{key[7:]}",
                  f"{key[:3]} {key[3:7]} {key[7:]}"}
    return forms


def _check_phone_free(phone: str | None, customer_id: int | None,
                      current: str | None = None) -> None:
    if phone is None or phone == phone_key(current):
        return  # a number the profile already has stays, even if another profile has it too
    other = db.session.execute(sa.select(Customer).where(
        Customer.phone.in_(phone_forms(phone)), Customer.id != (customer_id or 0))
    ).scalars().first()
    if other is not None:
        raise ValidationFailed(errors={"phone": [str(_l(
            "%(name)s (customer %(id)d) already has this number.", name=other.name,
            id=other.id))]})


def _apply(customer: Customer, data: dict) -> None:
    unknown = set(data) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not profile fields: {sorted(unknown)}")
    choices = {"gender": GENDERS, "preferred_channel": CHANNELS, "preferred_time": TIMES,
               "source": SOURCES}
    errors = {}
    for name, allowed in choices.items():
        if data.get(name) and data[name] not in allowed:
            errors[name] = [str(_l("Not a valid choice."))]
    if "name" in data and not (data["name"] or "").strip():
        errors["name"] = [str(_l("A name is needed, even just a surname."))]
    if data.get("birthday") and data["birthday"] > shop_today():
        errors["birthday"] = [str(_l("A birthday cannot lie in the future."))]
    if errors:
        raise ValidationFailed(errors=errors)
    if "phone" in data:
        data = dict(data, phone=normalize_phone(data["phone"]))
        _check_phone_free(data["phone"], customer.id, customer.phone)
    for name, value in data.items():
        if isinstance(value, str):
            value = value.strip() or None
        if name == "source" and value is None:
            continue
        setattr(customer, name, value)


def create_prospect(agent: User | None, data: dict) -> Customer:
    """A person met at an event, on the hotline or in a store, entered by an agent (or
    imported: ``agent`` None)."""
    customer = Customer(stage=Stage.PROSPECT, source="agent",
                        created_by_id=agent.id if agent is not None else None,
                        marketing_consent=False, service_consent=True)
    _apply(customer, data)
    db.session.add(customer)
    db.session.flush()
    return customer


def update_profile(customer: Customer, agent: User, data: dict) -> Customer:
    """Write the fields given in ``data`` (a subset of ``PROFILE_FIELDS``). A birthday the
    agent changes is the member's too: the customer center corrects it whenever needed
    (a member changes their own once a year)."""
    before = customer.birthday
    _apply(customer, data)
    if "birthday" in data and customer.birthday != before and customer.user_id is not None:
        member = latest_membership(customer.user_id)
        if member is not None and member.closed_at is None:
            change_birthday(member, customer.birthday, by_member=False)
    db.session.flush()
    return customer


def add_child(customer: Customer, *, name: str | None = None, gender: str | None = None,
              birth_date: date | None = None, due_date: date | None = None,
              today: date | None = None) -> Child:
    """A child, with a birth date, or a due date while expected (one of the two)."""
    today = today or shop_today()
    if (birth_date is None) == (due_date is None):
        raise ValidationFailed(errors={"birth_date": [str(_l(
            "Give the birth date, or the due date if the baby is on the way."))]})
    if birth_date is not None and birth_date > today:
        raise ValidationFailed(errors={"birth_date": [str(_l(
            "A birth date cannot lie in the future; give it as the due date."))]})
    if due_date is not None and due_date > today + MAX_DUE_AHEAD:
        raise ValidationFailed(errors={"due_date": [str(_l(
            "A due date is at most ten months ahead."))]})
    if gender and gender not in GENDERS:
        raise ValidationFailed(errors={"gender": [str(_l("Not a valid choice."))]})
    child = Child(customer_id=customer.id, name=(name or "").strip() or None,
                  gender=gender or None, birth_date=birth_date, due_date=due_date)
    customer.children.append(child)
    db.session.flush()
    return child


def remove_child(customer: Customer, child_id: int) -> None:
    child = next((c for c in customer.children if c.id == child_id), None)
    if child is None:
        raise NotFound()
    customer.children.remove(child)
    db.session.flush()


def child_age_months(child: Child, today: date) -> int | None:
    """Whole months since birth; None while expected."""
    if child.birth_date is None or child.birth_date > today:
        return None
    months = (today.year - child.birth_date.year) * 12 + today.month - child.birth_date.month
    return months - (1 if today.day < child.birth_date.day else 0)


def baby_age_months(customer: Customer, today: date | None = None) -> int | None:
    """The youngest born child's age in months, where known."""
    today = today or shop_today()
    ages = [a for a in (child_age_months(c, today) for c in customer.children) if a is not None]
    return min(ages) if ages else None


def normalize_tag(tag: str) -> str:
    tag = re.sub(r"\s+", " ", (tag or "").strip()).lower()
    if not tag or len(tag) > 40:
        raise ValidationFailed(errors={"tag": [str(_l("A tag is 1 to 40 characters."))]})
    return tag


def add_tag(customer: Customer, agent: User, tag: str) -> CustomerTag:
    """Tag a customer by hand; a tag already there is kept as it is."""
    tag = normalize_tag(tag)
    existing = next((t for t in customer.tags if t.tag == tag), None)
    if existing is not None:
        return existing
    row = CustomerTag(customer_id=customer.id, tag=tag, source="manual", created_by_id=agent.id)
    customer.tags.append(row)
    db.session.flush()
    return row


def remove_tag(customer: Customer, tag: str) -> None:
    """Take a hand-set tag off; a rule's tag goes when the rule no longer applies."""
    row = next((t for t in customer.tags if t.tag == tag), None)
    if row is None:
        raise NotFound()
    if row.source != "manual":
        raise ValidationFailed(errors={"tag": [str(_l(
            "This tag comes from a tag rule; change the rule instead."))]})
    customer.tags.remove(row)
    db.session.flush()


def completeness(customer: Customer) -> tuple[int, list[str]]:
    """Percent of the required fields filled in, and the names of those missing."""
    missing = [f for f in REQUIRED_FIELDS
               if not (customer.children if f == "family" else getattr(customer, f))]
    filled = len(REQUIRED_FIELDS) - len(missing)
    return round(100 * filled / len(REQUIRED_FIELDS)), missing


def access_log(*, customer_id: int | None = None, staff_id: int | None = None, page: int = 1,
               per_page: int = 50):
    """Who opened which 360, newest first: ``([(entry, staff, customer)], pages)``."""
    query = (sa.select(CustomerAccess, User, Customer)
             .join(User, User.id == CustomerAccess.staff_id)
             .join(Customer, Customer.id == CustomerAccess.customer_id))
    if customer_id is not None:
        query = query.where(CustomerAccess.customer_id == customer_id)
    if staff_id is not None:
        query = query.where(CustomerAccess.staff_id == staff_id)
    rows, _page, pages = paginate(
        query.order_by(CustomerAccess.at.desc(), CustomerAccess.id.desc()), page=page,
        per_page=per_page, rows=True)
    return rows, pages
