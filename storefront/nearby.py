"""The nearest store first without a position: the shopper's city (chosen in the header, or
from their last order or default address) and the store they used last."""

from dataclasses import dataclass

import sqlalchemy as sa
from flask import request

from core.extensions import db
from fulfillment.models import Center

from .addresses.models import Address
from .models import Order

#: the cookie the header's city picker sets
CITY_COOKIE = "city"


@dataclass(frozen=True)
class PlaceHint:
    #: the city the shopper is in, as the centers write it ("上海市"), or None
    city: str | None
    #: the store of the shopper's last pickup order, or None
    last_center_id: int | None


def pickup_cities() -> list[str]:
    """The cities with an active pickup store, in the order of their stores' codes."""
    rows = db.session.execute(sa.select(Center.city).where(
        Center.active.is_(True), Center.is_pickup.is_(True)).order_by(Center.code)).scalars()
    return list(dict.fromkeys(rows))


def chosen_city() -> str | None:
    """The city the visitor chose in the header (its cookie), or None."""
    return request.cookies.get(CITY_COOKIE) or None


def place_hint(user) -> PlaceHint:
    """Where this shopper probably is: the city chosen in the header, else the city of the
    store of their last order, else their default address's city; and their last pickup
    store. Two small queries at most."""
    last = db.session.execute(
        sa.select(Order.fulfillment_method, Order.center_id, Center.city)
        .join(Center, Center.id == Order.center_id)
        .where(Order.user_id == user.id).order_by(Order.created_at.desc(), Order.id.desc())
        .limit(1)).first() if user is not None else None
    city = chosen_city()
    if city is None and last is not None:
        city = last.city
    if city is None and user is not None:
        city = db.session.execute(sa.select(Address.city).where(
            Address.user_id == user.id).order_by(Address.is_default.desc(), Address.id.desc())
            .limit(1)).scalar()
    last_pickup = db.session.execute(
        sa.select(Order.center_id).where(Order.user_id == user.id,
                                         Order.fulfillment_method == "pickup")
        .order_by(Order.created_at.desc(), Order.id.desc()).limit(1)).scalar() \
        if user is not None else None
    return PlaceHint(city, last_pickup)


def order_for_shopper(options: list, hint: PlaceHint) -> list:
    """Stores without a position: the last one used first, then those in the shopper's
    city, then the rest (each group in its own order)."""
    def rank(option) -> int:
        if option.center.id == hint.last_center_id:
            return 0
        return 1 if hint.city and option.center.city == hint.city else 2
    return sorted(options, key=rank)


def default_store(options: list, hint: PlaceHint):
    """The store chosen at first: the last one used when it holds everything, else the
    first that holds everything, else the first."""
    for option in options:
        if option.center.id == hint.last_center_id and option.has_stock is not False:
            return option
    return next((o for o in options if o.has_stock), options[0] if options else None)
