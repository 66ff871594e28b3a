"""The address book's rules: at most ``MAX_ADDRESSES`` a shopper, exactly one default while
there are any (the first one added; the newest left when the default goes), and the same
checks as checkout's delivery address. Each function flushes; the caller commits.

Every change first locks the owner's row, so two requests of one shopper (two tabs, an app
and the web) take turns: the cap and the single default hold under concurrency too.
"""

import math
import re

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.errors import DomainError, NotFound, ValidationFailed
from core.extensions import db
from core.models import User
from fulfillment import divisions

from ..forms import PHONE_PATTERN
from .models import Address

#: how many addresses one shopper may keep
MAX_ADDRESSES = 20
#: the text fields and their longest length (the checkout form's)
LIMITS = {"name": 100, "phone": 32, "province": 40, "city": 40, "district": 40, "street": 200}
#: the fields that say where the address is: changing one forgets a position not given anew
PLACE = ("province", "city", "district", "street")
PHONE_MESSAGE = _l("Please enter a phone number of digits, e.g. 138 1234 5678.")


class AddressBookFull(DomainError):
    code = "address_book_full"
    status = 409
    message = _l("Your address book is full. Delete an address to add another.")


# --- reading ---------------------------------------------------------------------------------


def _ordered():
    return (Address.is_default.desc(), Address.created_at.desc(), Address.id.desc())


def addresses_of(user: User) -> list[Address]:
    """The user's addresses: the default first, then the newest first."""
    return list(db.session.execute(
        sa.select(Address).where(Address.user_id == user.id).order_by(*_ordered())).scalars())


def address_of(user: User, address_id) -> Address:
    """The user's address ``address_id``; ``NotFound`` for anyone else's, or none at all."""
    address = find_address(user, address_id)
    if address is None:
        raise NotFound()
    return address


def find_address(user: User, address_id) -> Address | None:
    """The user's address ``address_id``, or None (another user's, unknown, not an id)."""
    if isinstance(address_id, bool) or not isinstance(address_id, int) or address_id < 1:
        return None
    address = db.session.get(Address, address_id)
    return address if address is not None and address.user_id == user.id else None


def default_address(user: User) -> Address | None:
    return db.session.execute(sa.select(Address).where(
        Address.user_id == user.id, Address.is_default.is_(True))).scalar_one_or_none()


# --- checking --------------------------------------------------------------------------------


def clean_address(data: dict, *, partial: bool = False) -> dict:
    """``data``'s address fields, trimmed; ``ValidationFailed`` naming each wrong field.

    The text fields are required (unless ``partial``: only those given are checked) and
    as long as checkout allows, the phone as checkout's; ``lat``/``lng`` are a real
    position or None. Keys that are not address fields are left out.
    """
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    for name, limit in LIMITS.items():
        if name not in data:
            if not partial:
                errors[name] = [str(_l("Please fill this in."))]
            continue
        value = data[name].strip() if isinstance(data[name], str) else data[name]
        if not isinstance(value, str) or not value:
            errors[name] = [str(_l("Please fill this in."))]
        elif len(value) > limit:
            errors[name] = [str(_l("At most %(n)d characters.", n=limit))]
        elif name == "phone" and not re.fullmatch(PHONE_PATTERN, value):
            errors[name] = [str(PHONE_MESSAGE)]
        else:
            cleaned[name] = value
    for name, bound in (("lat", 90), ("lng", 180)):
        if name not in data:
            continue
        value = data[name]
        if value is None:
            cleaned[name] = None
        elif (isinstance(value, bool) or not isinstance(value, int | float)
              or not math.isfinite(value) or not -bound <= value <= bound):
            errors[name] = [str(_l("Not a valid position."))]
        else:
            cleaned[name] = float(value)
    if errors:
        raise ValidationFailed(errors=errors)
    return cleaned


def _check_position(lat, lng) -> None:
    if (lat is None) != (lng is None):
        missing = "lng" if lng is None else "lat"
        raise ValidationFailed(errors={missing: [str(_l("Give both lat and lng, or neither."))]})


# --- changing --------------------------------------------------------------------------------


def _lock_owner(user_id: int) -> None:
    """Hold the owner's row until the commit: their address changes take turns."""
    db.session.execute(sa.select(User.id).where(User.id == user_id).with_for_update())


def _count(user_id: int) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(Address).where(
        Address.user_id == user_id)).scalar_one()


def _clear_default(user_id: int) -> None:
    db.session.execute(sa.update(Address).where(
        Address.user_id == user_id, Address.is_default.is_(True)).values(is_default=False),
        execution_options={"synchronize_session": "fetch"})


def add_address(user: User, data: dict, *, make_default: bool = False) -> Address:
    """Save a new address for ``user`` (the default when it is their first, or asked).

    ``ValidationFailed`` for a wrong field, ``AddressBookFull`` past ``MAX_ADDRESSES``.
    """
    fields = clean_address(data)
    _check_position(fields.get("lat"), fields.get("lng"))
    address = Address(user_id=user.id, **fields)
    _lock_owner(user.id)
    count = _count(user.id)
    if count >= MAX_ADDRESSES:
        raise AddressBookFull(_l("Your address book is full (%(n)d addresses). Delete one to "
                                 "add another.", n=MAX_ADDRESSES))
    if make_default or count == 0:
        _clear_default(user.id)
        address.is_default = True
    db.session.add(address)
    db.session.flush()
    return address


def update_address(address: Address, data: dict) -> Address:
    """Change the fields ``data`` names (others stay). A position follows its place: when
    the province, city, district or street changes and no new position is given, the old
    one is forgotten. ``is_default`` True makes it the default; False is refused for the
    default (another address is made the default instead)."""
    fields = clean_address(data, partial=True)
    wants_default = data.get("is_default")
    if wants_default is not None and not isinstance(wants_default, bool):
        raise ValidationFailed(errors={"is_default": [str(_l("Not a valid choice."))]})
    if wants_default is False and address.is_default:
        raise ValidationFailed(errors={"is_default": [str(_l(
            "Make another address your default instead."))]})
    moved = any(name in fields and fields[name] != getattr(address, name) for name in PLACE)
    if moved and "lat" not in fields and "lng" not in fields:
        fields["lat"] = fields["lng"] = None
    _check_position(fields.get("lat", address.lat), fields.get("lng", address.lng))
    _lock_owner(address.user_id)
    for name, value in fields.items():
        setattr(address, name, value)
    if wants_default and not address.is_default:
        return set_default(address)
    db.session.flush()
    return address


def set_default(address: Address) -> Address:
    """Make ``address`` its owner's default (the one before stops being it)."""
    _lock_owner(address.user_id)
    if not address.is_default:
        _clear_default(address.user_id)
        address.is_default = True
    db.session.flush()
    return address


def delete_address(address: Address) -> None:
    """Delete ``address``; when it was the default, the newest one left becomes it."""
    user_id, was_default = address.user_id, address.is_default
    _lock_owner(user_id)
    db.session.delete(address)
    db.session.flush()
    if was_default:
        newest = db.session.execute(sa.select(Address).where(Address.user_id == user_id)
                                    .order_by(Address.created_at.desc(), Address.id.desc())
                                    .limit(1)).scalar_one_or_none()
        if newest is not None:
            newest.is_default = True
            db.session.flush()


def remember_address(user: User, address: dict) -> Address | None:
    """Save an address typed at checkout (without the page's position, which is where the
    shopper was, not the address): the saved twin if there is one, None when the book is
    full, else the new address."""
    fields = divisions.canonical(clean_address({k: v for k, v in address.items()
                                                if k in LIMITS}))
    fields = {k: v for k, v in fields.items() if k in LIMITS}  # as saved: "Xuhui" is 徐汇区
    for saved in addresses_of(user):
        if all(getattr(saved, name) == value for name, value in fields.items()):
            return saved
    try:
        return add_address(user, fields)
    except AddressBookFull:  # refused before writing anything
        return None


def forget_addresses(user: User) -> int:
    """Delete every address of ``user`` (closing an account); returns how many."""
    return db.session.execute(sa.delete(Address).where(Address.user_id == user.id)).rowcount


def saved_delivery_address(user: User, address_id: int) -> dict:
    """The user's saved address as an order takes it; an unknown one, or another user's,
    is a ``ValidationFailed`` on ``fulfillment.address_id`` (the order is not placed)."""
    address = find_address(user, address_id)
    if address is None:
        raise ValidationFailed(errors={"fulfillment": {"address_id": [str(_l(
            "Not one of your saved addresses."))]}})
    return address.as_delivery()
