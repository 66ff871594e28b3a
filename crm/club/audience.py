"""Who a member is, for targeting: tier, children's ages, pregnancy, interests, city; whether
an article or event (``AudienceMixin``) is for them; and checking and setting what an item
aims at."""

from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l

from core.clock import shop_today
from storefront.loyalty.models import Membership, Tier


def months_between(born: date, today: date) -> int:
    """Whole months from ``born`` to ``today``."""
    months = (today.year - born.year) * 12 + today.month - born.month
    return months - (1 if today.day < born.day else 0)


@dataclass
class Audience:
    """What targeting knows of a member: tier, children's ages, pregnancy, interests, city."""

    tier: str | None = None
    ages_months: list[int] = field(default_factory=list)
    expecting: bool = False
    interests: set[str] = field(default_factory=set)
    city: str | None = None


def child_dates(membership: Membership) -> list[date]:
    """Birth (or due) dates the member gave: the children list, else the signup date."""
    dates = []
    for child in membership.children or []:
        try:
            dates.append(date.fromisoformat(child.get("birth_date", "")))
        except (TypeError, ValueError, AttributeError):
            continue
    if not dates and membership.baby_birthday is not None:
        dates.append(membership.baby_birthday)
    return dates


def audience_of(membership: Membership | None, today: date | None = None) -> Audience:
    if membership is None:
        return Audience()
    today = today or shop_today()
    dates = child_dates(membership)
    return Audience(
        tier=membership.tier,
        ages_months=[months_between(d, today) for d in dates if d <= today],
        expecting=any(d > today for d in dates),
        interests=set(membership.interests or []), city=membership.city)


def normalize_city(city: str | None) -> str:
    """A city as targeting compares it: "上海市" and "上海" are one city."""
    city = (city or "").strip()
    return city[:-1] if len(city) > 1 and city.endswith("市") else city


def fits(item, audience: Audience) -> bool:
    """Whether an article or event (``AudienceMixin``) is for this member."""
    if item.tiers and audience.tier not in item.tiers:
        return False
    if item.interests and not audience.interests & set(item.interests):
        return False
    if item.cities and normalize_city(audience.city) not in {normalize_city(c)
                                                             for c in item.cities}:
        return False
    staged = item.age_min_months is not None or item.age_max_months is not None
    if not staged and not item.for_pregnancy:
        return True
    if item.for_pregnancy and audience.expecting:
        return True
    if staged:
        low = item.age_min_months if item.age_min_months is not None else 0
        high = item.age_max_months if item.age_max_months is not None else 10_000
        return any(low <= age <= high for age in audience.ages_months)
    return False


def check_audience(data: dict, errors: dict) -> None:
    """What is wrong with an article's or event's aiming (tiers, the baby's age range), added
    to ``errors`` by field."""
    if any(t not in Tier.ALL for t in data.get("tiers") or []):
        errors["tiers"] = [str(_l("Unknown tier."))]
    low, high = data.get("age_min_months"), data.get("age_max_months")
    for name, value in (("age_min_months", low), ("age_max_months", high)):
        if value is not None and not (isinstance(value, int) and 0 <= value <= 216):
            errors[name] = [str(_l("Enter months from 0 to 216."))]
    if isinstance(low, int) and isinstance(high, int) and low > high:
        errors["age_max_months"] = [str(_l("The range ends before it starts."))]


def apply_audience(item, data: dict) -> None:
    """Aim an article or event (``AudienceMixin``) as ``data`` says."""
    item.tiers = list(data.get("tiers") or [])
    item.age_min_months = data.get("age_min_months")
    item.age_max_months = data.get("age_max_months")
    item.for_pregnancy = bool(data.get("for_pregnancy"))
    item.interests = list(data.get("interests") or [])
    item.cities = [c.strip() for c in data.get("cities") or [] if c and c.strip()]
