"""Which center can serve an order: distance, service areas, and stock on hand."""

import math
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app

from core.extensions import db
from core.i18n import localized

from . import divisions
from .errors import InsufficientStock, NoCenterServesAddress
from .lots import sell_by_cutoff
from .models import (
    Center,
    CenterDistrict,
    DeliveryZone,
    Fulfillment,
    FulfillmentStatus,
    Lot,
    Stock,
)

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
    """``{center_id: {product_id: available}}`` in one query.

    Where a center keeps a product in lots, only the free units of lots not past the
    sell-by margin count (what ``allocate_lots`` would take), never more than the stock row
    has free.
    """
    if not center_ids or not product_ids:
        return {}
    free = Lot.on_hand - Lot.reserved
    lots = (
        sa.select(Lot.center_id, Lot.product_id,
                  sa.func.sum(sa.case((Lot.expires_on >= sell_by_cutoff(), free), else_=0))
                  .label("sellable"))
        .where(Lot.center_id.in_(center_ids), Lot.product_id.in_(product_ids))
        .group_by(Lot.center_id, Lot.product_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Stock.center_id, Stock.product_id, Stock.on_hand - Stock.reserved,
                  lots.c.sellable)
        .outerjoin(lots, sa.and_(lots.c.center_id == Stock.center_id,
                                 lots.c.product_id == Stock.product_id))
        .where(Stock.center_id.in_(center_ids), Stock.product_id.in_(product_ids))
    )
    result: dict[int, dict[int, int]] = {cid: {} for cid in center_ids}
    for center_id, product_id, available, sellable in rows:
        result[center_id][product_id] = available if sellable is None \
            else min(available, int(sellable))
    return result


def stock_summary(product_id: int) -> tuple[int, int]:
    """(pickup stores, delivery centers) holding at least one unit, in one query."""
    available = Stock.on_hand - Stock.reserved > 0
    row = db.session.execute(
        sa.select(sa.func.count(sa.case((Center.is_pickup.is_(True), 1))),
                  sa.func.count(sa.case((Center.is_delivery.is_(True), 1))))
        .select_from(Stock).join(Center, Center.id == Stock.center_id)
        .where(Stock.product_id == product_id, Center.active.is_(True), available)
    ).one()
    return row[0], row[1]


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
    elif kind == "warehouse":
        query = query.where(Center.is_warehouse.is_(True))
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


def _reach_km() -> float:
    """The largest delivery radius of any center or zone (0 when none has one)."""
    center_max = db.session.execute(sa.select(sa.func.max(Center.radius_km)).where(
        Center.active.is_(True), Center.is_delivery.is_(True))).scalar()
    zone_max = db.session.execute(sa.select(sa.func.max(DeliveryZone.radius_km))).scalar()
    return max(center_max or 0.0, zone_max or 0.0)


def delivery_candidates(province: str, city: str, district: str,
                        lat: float | None = None, lng: float | None = None) -> list[Center]:
    """Delivery centers that serve the district, or the point within their (or a zone's) radius.

    Two indexed look-ups narrow the field before any distance is computed: the district
    index, and a box around the point as wide as the largest radius; so the cost does not
    grow with the number of centers in the network.
    """
    place = divisions.resolve(province, city, district)  # by its code, however it is typed
    by_name = sa.and_(CenterDistrict.province == province, CenterDistrict.city == city,
                      CenterDistrict.district == district)
    by_district = set(db.session.execute(
        sa.select(CenterDistrict.center_id).where(
            by_name if place is None else sa.or_(
                CenterDistrict.district_code == place.district.code, by_name))).scalars())
    near = None
    located = lat is not None and lng is not None
    if located:
        reach = _reach_km()
        if reach > 0:
            dlat = reach / 110.574
            dlng = reach / max(111.320 * math.cos(math.radians(lat)), 1e-6)
            near = sa.and_(Center.lat.between(lat - dlat, lat + dlat),
                           Center.lng.between(lng - dlng, lng + dlng))
    if not by_district and near is None:
        return []
    where = Center.id.in_(by_district) if near is None else sa.or_(
        Center.id.in_(by_district), near)
    centers = db.session.execute(
        sa.select(Center).where(Center.active.is_(True), Center.is_delivery.is_(True), where)
        .options(sa.orm.selectinload(Center.zones))
    ).scalars()
    chosen = []
    for c in centers:
        radii = [r for r in (c.radius_km, *(z.radius_km for z in c.zones)) if r is not None]
        by_radius = (
            bool(radii) and located and haversine_km(lat, lng, c.lat, c.lng) <= max(radii)
        )
        if c.id in by_district or by_radius:
            chosen.append(c)
    return chosen


@dataclass
class Decision:
    """Which center serves an order, and why: kept on the fulfillment for staff and the CRM."""

    center: Center
    reason: str
    runners_up: list[dict] = field(default_factory=list)

    def as_record(self) -> dict:
        return {"center_id": self.center.id, "code": self.center.code, "reason": self.reason,
                "runners_up": self.runners_up}


def _cover(available: dict[int, int], lines: Lines) -> float:
    """How many times over the center could fill these lines (the scarcest line decides)."""
    return min((available.get(pid, 0) / qty for pid, qty in merge_lines(lines)), default=0.0)


def courier_fee() -> int:
    """What a courier shipment costs the shopper (fen): the shop's flat fee."""
    return int(current_app.config.get("COURIER_FEE_AMOUNT", 2000))


def stocked_warehouses(lines: Lines, lat: float | None, lng: float | None) -> list:
    """The warehouses holding every line, nearest first."""
    return [o for o in pickup_options(lines, lat, lng, kind="warehouse") if o.has_stock]


def courier_offer(lines: Lines, lat: float | None = None,
                  lng: float | None = None) -> dict | None:
    """The warehouse that would ship these lines (nearest holding all), with the fee; or None.

    ``{"center_id", "code", "name", "fee"}``; what checkout offers when no delivery
    center can take the order.
    """
    stocked = stocked_warehouses(lines, lat, lng)
    if not stocked:
        return None
    center = stocked[0].center
    return {"center_id": center.id, "code": center.code, "name": localized(center, "name"),
            "fee": {"amount": courier_fee(), "currency": current_app.config["SHOP_CURRENCY"]}}


def _fallbacks(lines: Lines, lat: float | None, lng: float | None) -> dict:
    """What to offer when no delivery center can take the order: pickup, or a courier."""
    options = pickup_options(lines, lat, lng)
    pickup = [{"center_id": o.center.id, "code": o.center.code, "distance_km": o.distance_km}
              for o in options if o.has_stock][:3]
    extra: dict = {"alternatives": pickup}
    offer = courier_offer(lines, lat, lng)
    if offer is not None:
        extra["courier_from"] = offer
    return extra


def decide_delivery(address: dict, lines: Lines) -> Decision:
    """The center that delivers these lines to ``address``, with the reason and runners-up.

    Among centers serving the address, those holding every line; ranked by distance (when
    the address has coordinates), then open workload (orders not yet handed over), then
    stock cover. Raises ``NoCenterServesAddress`` when no center serves it,
    ``InsufficientStock`` (with the lines short at the best-stocked serving center) when some
    serve it but none holds the stock; both carry what can be offered instead (pickup
    centers holding everything, a courier shipment from a warehouse).
    """
    lat, lng = address.get("lat"), address.get("lng")
    candidates = delivery_candidates(address["province"], address["city"], address["district"],
                                     lat, lng)
    if not candidates:
        raise NoCenterServesAddress(extra=_fallbacks(lines, lat, lng))
    stock = available_by_center([c.id for c in candidates], [pid for pid, _ in lines])
    stocked = [c for c in candidates if not shortages(stock.get(c.id, {}), lines)]
    if not stocked:
        best = min(candidates, key=lambda c: len(shortages(stock.get(c.id, {}), lines)))
        raise InsufficientStock(extra={"lines": shortages(stock.get(best.id, {}), lines),
                                       **_fallbacks(lines, lat, lng)})
    load = _open_load([c.id for c in stocked])

    def figures(c: Center) -> dict:
        distance = haversine_km(lat, lng, c.lat, c.lng) if lat is not None and lng is not None \
            else None
        return {"center_id": c.id, "code": c.code,
                "distance_km": None if distance is None else round(distance, 1),
                "open_orders": load.get(c.id, 0),
                "cover": round(_cover(stock.get(c.id, {}), lines), 2)}

    ranked = sorted((figures(c) for c in stocked),
                    key=lambda f: (f["distance_km"] or 0.0, f["open_orders"], -f["cover"],
                                   f["center_id"]))
    winner, rest = ranked[0], ranked[1:]
    if not rest:
        reason = "only_center"
    elif (winner["distance_km"] or 0.0) < (rest[0]["distance_km"] or 0.0):
        reason = "nearest"
    elif winner["open_orders"] < rest[0]["open_orders"]:
        reason = "least_loaded"
    else:
        reason = "best_cover"
    short = [{"center_id": c.id, "code": c.code, "short": True}
             for c in candidates if c not in stocked]
    center = next(c for c in stocked if c.id == winner["center_id"])
    return Decision(center, reason, (rest + short)[:5])


def route_delivery(address: dict, lines: Lines) -> Center:
    """The center that delivers these lines to ``address`` (see ``decide_delivery``)."""
    return decide_delivery(address, lines).center
