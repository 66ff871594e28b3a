"""The member's own side of the club: their profile and consents, their data as JSON, and
closing the membership."""

import re
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.clock import utcnow
from core.errors import IllegalTransition, ValidationFailed
from core.extensions import db
from core.models import User
from core.signals import member_closed
from crm.customers.erasure import ANONYMIZED_NAME
from crm.customers.export import export_person_data
from storefront.forms import PHONE_PATTERN
from storefront.loyalty.membership import change_birthday
from storefront.loyalty.models import Membership

from .audience import child_dates
from .events import cancel_registration
from .models import EventRegistration

#: how the member may want to hear from us
CHANNELS = ("sms", "email", "phone", "wechat")
MAX_CHILDREN = 4


def update_profile(membership: Membership, data: dict) -> Membership:
    """The member edits their profile, children, interests, channels and consent; the
    birthday changes at most once a year (``change_birthday``)."""
    errors = {}
    name, phone = (data.get("name") or "").strip(), (data.get("phone") or "").strip()
    if not name:
        errors["name"] = [str(_l("Please fill this in."))]
    if not phone:
        errors["phone"] = [str(_l("Please fill this in."))]
    elif len(phone) > 32 or not re.match(PHONE_PATTERN, phone):
        errors["phone"] = [str(_l("Please enter a phone number of digits, e.g. 138 1234 5678."))]
    channels = list(data.get("channels") or [])
    if any(c not in CHANNELS for c in channels):
        errors["channels"] = [str(_l("Unknown channel."))]
    children = [c for c in (data.get("children") or []) if c.get("birth_date")]
    if len(children) > MAX_CHILDREN:
        errors["children"] = [str(_l("At most %(n)d children.", n=MAX_CHILDREN))]
    if errors:
        raise ValidationFailed(errors=errors)
    change_birthday(membership, data.get("birthday"))  # once a year (refused first)
    membership.name, membership.phone = name[:100], phone[:32]
    membership.city = (data.get("city") or "").strip()[:40] or None
    membership.interests = list(data.get("interests") or [])
    membership.channels = channels
    membership.marketing_consent = bool(data.get("marketing_consent"))
    membership.children = [
        {"name": (c.get("name") or "").strip()[:40],
         "birth_date": c["birth_date"].isoformat() if isinstance(c["birth_date"], date)
         else str(c["birth_date"])}
        for c in children]
    dates = child_dates(membership)
    membership.baby_birthday = min(dates) if dates else None
    db.session.flush()
    return membership


def export_member_data(membership: Membership) -> dict:
    """Everything the shop holds about the member, as plain JSON (the same download every
    shopper has: ``crm.customers.export``)."""
    return export_person_data(db.session.get(User, membership.user_id))


def close_membership(membership: Membership) -> Membership:
    """The member leaves the club: the profile is anonymized, orders and the ledger's
    figures stay for the books; open event registrations are cancelled. ``member_closed``
    tells the customer center, which scrubs the person everywhere else."""
    if membership.closed_at is not None:
        raise IllegalTransition(_l("This membership is already closed."))
    for reg in db.session.execute(sa.select(EventRegistration).where(
            EventRegistration.membership_id == membership.id,
            EventRegistration.status != "cancelled")).scalars().all():
        cancel_registration(reg)
    membership.name, membership.phone = ANONYMIZED_NAME, ""
    membership.birthday = membership.baby_birthday = None
    membership.children, membership.interests, membership.channels = [], [], []
    membership.city, membership.marketing_consent = None, False
    membership.closed_at = utcnow()
    db.session.flush()
    member_closed.send(membership)
    return membership
