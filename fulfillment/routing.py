"""Which center can serve an order: distance, service areas, and stock on hand."""

import math
from dataclasses import dataclass

import sqlalchemy as sa

from core.extensions import db

from .errors import InsufficientStock, NoCenterServesAddress
from .models import Center, Fulfillment, FulfillmentStatus, Stock

#: (product_id, quantity) pairs
Lines = list[tuple[int, int]]


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in kilometres."""
    r = 6371.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def merge_lines(lines: Lines) -> Lines:
    """Sum quantities of the same product; sorted by product so locks are taken in one order."""
    merged: dict[int, int] = {}
    for product_id, quantity in lines:
        merged[product_id] = merged.get(product_id, 0) + quantity
    return sorted(merged.items())


def available_by_center(center_ids: list[int], product_ids: list[int]) -> dict[int, dict[int, int]]:
    """``{center_id: {product_id: available}}`` in one query."""
    if not center_ids or not product_ids:
        return {}
    rows = db.session.execute(
        sa.select(Stock.center_id, Stock.product_id, Stock.on_hand - Stock.reserved)
        .where(Stock.center_id.in_(center_ids), Stock.product_id.in_(product_ids))
    )
    result: dict[int, dict[int, int]] = {cid: {} for cid in center_ids}
    for center_id, product_id, available in rows:
        result[center_id][product_id] = available
    return result


def shortages(available: dict[int, int], lines: Lines) -> list[dict]:
    """The lines a center cannot fill, with what it has."""
    return [
        {"product_id": pid, "requested": qty, "available": max(available.get(pid, 0), 0)}
        for pid, qty in merge_lines(lines)
        if available.get(pid, 0) < qty
    ]


@dataclass
class CenterOption:
    center: Center
    distance_km: float | None
    has_stock: bool | None


def pickup_options(lines: Lines | None = None, lat: float | None = None,
                   lng: float | None = None, kind: str | None = "pickup") -> list[CenterOption]:
    """Active centers (of ``kind``), nearest first when a location is given.

    ``has_stock`` says whether the center holds every line today (None without lines).
    """
    query = sa.select(Center).where(Center.active.is_(True)).order_by(Center.code)
    if kind == "pickup":
        query = query.where(Center.is_pickup.is_(True))
    elif kind == "delivery":
        query = query.where(Center.is_delivery.is_(True))
    centers = list(db.session.execute(
        query.options(sa.orm.selectinload(Center.districts))).scalars())
    stock = {}
    if lines:
        stock = available_by_center([c.id for c in centers], [pid for pid, _ in lines])
    options = []
    for c in centers:
        distance = haversine_km(lat, lng, c.lat, c.lng) if lat is not None and lng is not None \
            else None
        has_stock = (not shortages(stock.get(c.id, {}), lines)) if lines else None
        options.append(CenterOption(c, None if distance is None else round(distance, 1), has_stock))
    if lat is not None and lng is not None:
        options.sort(key=lambda o: o.distance_km)
    return options


def _open_load(center_ids: list[int]) -> dict[int, int]:
    rows = db.session.execute(
        sa.select(Fulfillment.center_id, sa.func.count())
        .where(Fulfillment.center_id.in_(center_ids),
               Fulfillment.status.in_(FulfillmentStatus.OPEN))
        .group_by(Fulfillment.center_id)
    )
    return dict(rows.all())


def delivery_candidates(province: str, city: str, district: str,
                        lat: float | None = None, lng: float | None = None) -> list[Center]:
    """Delivery centers that serve the district, or the point within their radius."""
    centers = db.session.execute(
        sa.select(Center).where(Center.active.is_(True), Center.is_delivery.is_(True))
        .options(sa.orm.selectinload(Center.districts), sa.orm.selectinload(Center.zones))
    ).scalars()
    chosen = []
    for c in centers:
        by_district = any(
            (d.province, d.city, d.district) == (province, city, district) for d in c.districts
        )
        radii = [r for r in (c.radius_km, *(z.radius_km for z in c.zones)) if r is not None]
        by_radius = (
            bool(radii) and lat is not None and lng is not None
            and haversine_km(lat, lng, c.lat, c.lng) <= max(radii)
        )
        if by_district or by_radius:
            chosen.append(c)
    return chosen


def route_delivery(address: dict, lines: Lines) -> Center:
    """The center that delivers these lines to ``address``.

    Among centers serving the address, those holding every line; nearest first (when the
    address has coordinates), then the least loaded. Raises ``NoCenterServesAddress`` when no
    center serves it, ``InsufficientStock`` (with the lines short at the best-stocked
    serving center) when some serve it but none holds the stock.
    """
    lat, lng = address.get("lat"), address.get("lng")
    candidates = delivery_candidates(address["province"], address["city"], address["district"],
                                     lat, lng)
    if not candidates:
        raise NoCenterServesAddress()
    stock = available_by_center([c.id for c in candidates], [pid for pid, _ in lines])
    stocked = [c for c in candidates if not shortages(stock.get(c.id, {}), lines)]
    if not stocked:
        best = min(candidates, key=lambda c: len(shortages(stock.get(c.id, {}), lines)))
        raise InsufficientStock(extra={"lines": shortages(stock.get(best.id, {}), lines)})
    load = _open_load([c.id for c in stocked])

    def rank(c: Center):
        distance = haversine_km(lat, lng, c.lat, c.lng) if lat is not None and lng is not None \
            else 0.0
        return (round(distance, 1), load.get(c.id, 0), c.id)

    return min(stocked, key=rank)
