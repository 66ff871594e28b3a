"""Where a delivery center delivers and at what price: zones, fees, minimum orders, quotes.

A center covers an address by one of its districts (with or without a zone) or by a
radius (its own, or a zone's). The district's zone, else the cheapest zone whose radius
covers the address, sets the fee; coverage without a zone is delivered free.
"""

from dataclasses import dataclass, field
from typing import NamedTuple

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.cache import mark_changed
from core.errors import ValidationFailed
from core.extensions import db

from . import divisions
from .errors import BelowMinimumOrder
from .models import Center, CenterDistrict, DeliveryZone, Slot
from .routing import Lines, haversine_km, route_delivery
from .slots import offered_slots


def _distance(center: Center, address: dict) -> float | None:
    lat, lng = address.get("lat"), address.get("lng")
    if lat is None or lng is None:
        return None
    return haversine_km(lat, lng, center.lat, center.lng)


class Area(NamedTuple):
    """A district a delivery center serves, as the center wrote it, and its code."""

    province: str
    city: str
    district: str
    district_code: str | None

    @property
    def names(self) -> tuple[str, str, str]:
        """(province, city, district) in the reader's language (as written when the code
        is unknown)."""
        place = divisions.place_of(self.district_code)
        if place is None:
            return self.province, self.city, self.district
        return place.province.local(), place.city.local(), place.district.local()


def delivery_areas() -> list[Area]:
    """The districts our active delivery centers serve, in order, each once."""
    rows = db.session.execute(
        sa.select(CenterDistrict.province, CenterDistrict.city, CenterDistrict.district,
                  CenterDistrict.district_code)
        .join(Center, Center.id == CenterDistrict.center_id)
        .where(Center.active.is_(True), Center.is_delivery.is_(True))
        .distinct().order_by(CenterDistrict.province, CenterDistrict.city,
                             CenterDistrict.district)
    ).all()
    areas: dict = {}
    for row in rows:
        areas.setdefault(row.district_code or (row.province, row.city, row.district),
                         Area(*row))
    return list(areas.values())


def zone_for(center: Center, address: dict) -> tuple[bool, DeliveryZone | None]:
    """Whether ``center`` delivers to ``address``, and the zone that prices it (or None)."""
    place = (address.get("province"), address.get("city"), address.get("district"))
    code = address.get("district_code")
    for d in center.districts:
        if (d.province, d.city, d.district) == place or (code and d.district_code == code):
            return True, d.zone
    distance = _distance(center, address)
    if distance is None:
        return False, None
    by_radius = [z for z in center.zones if z.radius_km is not None and distance <= z.radius_km]
    if by_radius:
        return True, min(by_radius, key=lambda z: (z.fee_amount, z.id))
    if center.radius_km is not None and distance <= center.radius_km:
        return True, None
    return False, None


def delivery_fee(zone: DeliveryZone | None, subtotal: int) -> int:
    """What delivery costs for an order of ``subtotal`` (fen) in ``zone``."""
    if zone is None:
        return 0
    if zone.free_over_amount is not None and subtotal >= zone.free_over_amount:
        return 0
    return zone.fee_amount


def delivery_terms(center: Center, address: dict, subtotal: int) -> int:
    """The fee the order pays; raises ``BelowMinimumOrder`` under the zone's minimum."""
    _covered, zone = zone_for(center, address)
    if zone is not None and subtotal < zone.min_order_amount:
        raise BelowMinimumOrder(extra={"min_order": {"amount": zone.min_order_amount,
                                                     "currency": zone.currency}})
    return delivery_fee(zone, subtotal)


@dataclass
class Quote:
    center: Center
    zone: DeliveryZone | None
    slots: list[Slot] = field(default_factory=list)

    @property
    def fee_amount(self) -> int:
        return self.zone.fee_amount if self.zone is not None else 0


def quote_delivery(address: dict, lines: Lines, *, now) -> Quote:
    """Which center would deliver these lines, its zone's terms, and the slots it offers.

    Raises what routing raises: ``NoCenterServesAddress`` or ``InsufficientStock``.
    """
    address = divisions.canonical(address)  # "上海 / 上海 / 徐汇" is 上海市 / 上海市 / 徐汇区
    center = route_delivery(address, lines)
    _covered, zone = zone_for(center, address)
    return Quote(center, zone, offered_slots(center.id, "delivery", now=now))


# --- the back office ------------------------------------------------------------------------


def add_zone(center: Center, *, name: str, fee_amount: int, free_over_amount: int | None,
             min_order_amount: int, radius_km: float | None, districts: list[tuple[str, str, str]]
             ) -> DeliveryZone:
    """A delivery zone of ``center`` with its price; its districts join the center's.

    A district the center already serves without a zone moves into the new zone; one in
    another zone is refused (an address has one price at a center).
    """
    errors: dict[str, list[str]] = {}
    if not name or len(name) > 60:
        errors["name"] = [str(_l("Give the zone a name of up to 60 characters."))]
    for field_name, value in (("fee", fee_amount), ("min_order", min_order_amount),
                              ("free_over", free_over_amount)):
        if value is not None and (not isinstance(value, int) or value < 0):
            errors[field_name] = [str(_l("Enter an amount of 0 or more."))]
    if radius_km is not None and not 0 < radius_km <= 500:
        errors["radius_km"] = [str(_l("Enter a distance from 0 to 500 km."))]
    if not districts and radius_km is None:
        errors["districts"] = [str(_l("A zone needs districts, a radius, or both."))]
    rows = {divisions.key_of(d.province, d.city, d.district): d for d in center.districts}
    taken = [" ".join(key) for key in districts if (row := rows.get(divisions.key_of(*key)))
             is not None and row.zone_id is not None]
    if taken:
        errors["districts"] = [str(_l("Already in another zone: %(districts)s",
                                      districts=", ".join(taken)))]
    if errors:
        raise ValidationFailed(errors=errors)
    zone = DeliveryZone(center=center, name=name, fee_amount=fee_amount,
                        free_over_amount=free_over_amount, min_order_amount=min_order_amount,
                        radius_km=radius_km)
    db.session.add(zone)
    for key in districts:
        row = rows.get(divisions.key_of(*key))
        if row is None:
            row = CenterDistrict(province=key[0], city=key[1], district=key[2])
            center.districts.append(row)
        row.zone = zone
    db.session.flush()
    mark_changed(db.session, "catalog")
    return zone


def remove_zone(zone: DeliveryZone) -> None:
    """Stop delivering in a zone: its districts are no longer served by the center."""
    center = zone.center
    for row in list(zone.districts):
        center.districts.remove(row)
    db.session.delete(zone)
    db.session.flush()
    mark_changed(db.session, "catalog")
