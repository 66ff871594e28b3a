"""Centers, what they serve, what they hold, and the work they do for each order."""

from enum import StrEnum, nonmember

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import relationship

from core.clock import utcnow
from core.extensions import db
from core.models import UTCDateTime, filled_index, one_of

from . import divisions


class Center(db.Model):
    """A pickup store, a delivery center, a warehouse, or several of these.

    A warehouse holds stock for the network and ships by courier anywhere (the fallback
    when no local center can serve an address).
    """

    __tablename__ = "centers"
    __table_args__ = (
        sa.CheckConstraint("is_pickup OR is_delivery OR is_warehouse", name="has_a_kind"),
        sa.CheckConstraint("radius_km IS NULL OR radius_km >= 0", name="radius_positive"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    code = sa.Column(sa.String(20), nullable=False, unique=True)
    name_zh = sa.Column(sa.String(100), nullable=False)
    name_en = sa.Column(sa.String(100))
    is_pickup = sa.Column(sa.Boolean, nullable=False, default=False)
    is_delivery = sa.Column(sa.Boolean, nullable=False, default=False)
    is_warehouse = sa.Column(sa.Boolean, nullable=False, default=False,
                             server_default=sa.false())
    province = sa.Column(sa.String(40), nullable=False)
    city = sa.Column(sa.String(40), nullable=False)
    district = sa.Column(sa.String(40), nullable=False)
    address_zh = sa.Column(sa.String(200), nullable=False)
    address_en = sa.Column(sa.String(200))
    lat = sa.Column(sa.Float, nullable=False)
    lng = sa.Column(sa.Float, nullable=False)
    phone = sa.Column(sa.String(32))
    #: who to call at the center about orders and stock
    contact_person = sa.Column(sa.String(100))
    #: usual opening hours as "HH:MM" in the shop's time zone
    opens_at = sa.Column(sa.String(5), nullable=False, default="10:00")
    closes_at = sa.Column(sa.String(5), nullable=False, default="21:00")
    #: a delivery center also serves addresses within this distance, whatever the district
    radius_km = sa.Column(sa.Float)
    active = sa.Column(sa.Boolean, nullable=False, default=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    districts = relationship("CenterDistrict", back_populates="center",
                             cascade="all, delete-orphan", order_by="CenterDistrict.id")
    zones = relationship("DeliveryZone", back_populates="center",
                         cascade="all, delete-orphan", order_by="DeliveryZone.id")
    hours = relationship("CenterHours", cascade="all, delete-orphan",
                         order_by="CenterHours.weekday")
    holidays = relationship("CenterHoliday", cascade="all, delete-orphan",
                            order_by="CenterHoliday.day")

    @property
    def kinds(self) -> list[str]:
        pairs = (("pickup", self.is_pickup), ("delivery", self.is_delivery),
                 ("warehouse", self.is_warehouse))
        return [k for k, on in pairs if on]

    def hours_on(self, day) -> tuple[str, str] | None:
        """``(opens, closes)`` as "HH:MM" on a local date, or None when closed that day."""
        if any(h.day == day for h in self.holidays):
            return None
        for h in self.hours:
            if h.weekday == day.weekday():
                return None if h.closed else (h.opens_at, h.closes_at)
        return self.opens_at, self.closes_at


class CenterHours(db.Model):
    """Opening hours on one weekday, where they differ from the center's usual hours."""

    __tablename__ = "center_hours"
    __table_args__ = (
        sa.UniqueConstraint("center_id", "weekday", name="uq_center_hours_day"),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_known"),
        sa.CheckConstraint("closed OR opens_at < closes_at", name="opens_before_close"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    center_id = sa.Column(sa.Integer, sa.ForeignKey("centers.id", ondelete="CASCADE"),
                          nullable=False)
    #: 0 Monday ... 6 Sunday
    weekday = sa.Column(sa.Integer, nullable=False)
    closed = sa.Column(sa.Boolean, nullable=False, default=False)
    opens_at = sa.Column(sa.String(5), nullable=False, default="10:00")
    closes_at = sa.Column(sa.String(5), nullable=False, default="21:00")


class CenterHoliday(db.Model):
    """A local date the center is closed (public holidays, stocktaking)."""

    __tablename__ = "center_holidays"
    __table_args__ = (sa.UniqueConstraint("center_id", "day", name="uq_center_holidays_day"),)

    id = sa.Column(sa.Integer, primary_key=True)
    center_id = sa.Column(sa.Integer, sa.ForeignKey("centers.id", ondelete="CASCADE"),
                          nullable=False)
    day = sa.Column(sa.Date, nullable=False)
    note = sa.Column(sa.String(100))


class DeliveryZone(db.Model):
    """Where a delivery center delivers for one price: its districts and/or a radius.

    An address in one of the zone's districts, or within ``radius_km`` of the center, pays
    ``fee_amount`` unless the order reaches ``free_over_amount``; orders below
    ``min_order_amount`` are not delivered in this zone.
    """

    __tablename__ = "delivery_zones"
    __table_args__ = (
        sa.CheckConstraint("fee_amount >= 0", name="fee_nonnegative"),
        sa.CheckConstraint("min_order_amount >= 0", name="min_order_nonnegative"),
        sa.CheckConstraint("free_over_amount IS NULL OR free_over_amount >= 0",
                           name="free_over_nonnegative"),
        sa.CheckConstraint("radius_km IS NULL OR radius_km > 0", name="radius_positive"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    center_id = sa.Column(sa.Integer, sa.ForeignKey("centers.id", ondelete="CASCADE"),
                          nullable=False, index=True)
    name = sa.Column(sa.String(60), nullable=False)
    #: the zone also covers addresses within this distance of the center
    radius_km = sa.Column(sa.Float)
    currency = sa.Column(sa.String(3), nullable=False, default="CNY")
    fee_amount = sa.Column(sa.Integer, nullable=False, default=0)
    #: orders of at least this subtotal are delivered free; NULL: never free
    free_over_amount = sa.Column(sa.Integer)
    min_order_amount = sa.Column(sa.Integer, nullable=False, default=0)

    center = relationship(Center, back_populates="zones")
    districts = relationship("CenterDistrict", back_populates="zone",
                             order_by="CenterDistrict.id")


class CenterDistrict(db.Model):
    """A district a delivery center serves."""

    __tablename__ = "center_districts"
    __table_args__ = (sa.UniqueConstraint("center_id", "province", "city", "district",
                                          name="uq_center_districts_area"),
                      sa.Index("ix_center_districts_place", "province", "city", "district"))

    id = sa.Column(sa.Integer, primary_key=True)
    center_id = sa.Column(sa.Integer, sa.ForeignKey("centers.id", ondelete="CASCADE"),
                          nullable=False, index=True)
    province = sa.Column(sa.String(40), nullable=False)
    city = sa.Column(sa.String(40), nullable=False)
    district = sa.Column(sa.String(40), nullable=False)
    #: the district's code in the national divisions (written from the names; None when
    #: they name no known place): what an address is matched by
    district_code = sa.Column(sa.String(6), index=True)
    #: the zone (fee, minimum) this district belongs to; NULL: delivered free, no minimum
    zone_id = sa.Column(sa.Integer, sa.ForeignKey("delivery_zones.id", ondelete="CASCADE"),
                        index=True)

    center = relationship(Center, back_populates="districts")
    zone = relationship(DeliveryZone, back_populates="districts")


class Stock(db.Model):
    """What a center holds of a product. ``reserved`` is promised to open orders."""

    __tablename__ = "stock"
    __table_args__ = (
        sa.UniqueConstraint("center_id", "product_id", name="uq_stock_center_product"),
        sa.CheckConstraint("on_hand >= 0", name="on_hand_nonnegative"),
        sa.CheckConstraint("reserved >= 0", name="reserved_nonnegative"),
        sa.CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    center_id = sa.Column(sa.Integer, sa.ForeignKey("centers.id"), nullable=False)
    product_id = sa.Column(sa.Integer, sa.ForeignKey("products.id"), nullable=False, index=True)
    on_hand = sa.Column(sa.Integer, nullable=False, default=0)
    reserved = sa.Column(sa.Integer, nullable=False, default=0)
    #: the desk is warned when available units fall below this (NULL: no warning)
    alert_below = sa.Column(sa.Integer)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class FulfillmentStatus(StrEnum):
    RESERVED = "reserved"
    READY = "ready"
    PICKED_UP = "picked_up"
    DISPATCHED = "dispatched"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    #: a pickup sold at a store's counter and paid, its units reserved at another center and
    #: on their way here by transfer; ready (with its code) once they are received
    TRANSFERRING = "transferring"
    OPEN = nonmember((RESERVED, READY, DISPATCHED, TRANSFERRING))
    DONE = nonmember((PICKED_UP, DELIVERED))
    ALL = nonmember((RESERVED, READY, PICKED_UP, DISPATCHED, DELIVERED, CANCELLED,
                     TRANSFERRING))


class Method(StrEnum):
    PICKUP = "pickup"
    DELIVERY = "delivery"
    #: shipped by a carrier (express company) from a warehouse, anywhere
    COURIER = "courier"
    #: the kinds of time slots a center opens (a courier parcel takes none)
    SLOT_KINDS = nonmember((PICKUP, DELIVERY))
    #: how an order can reach the shopper
    ORDER = nonmember((PICKUP, DELIVERY, COURIER))
    #: leave the center with someone: dispatched, then delivered
    SHIPPED = nonmember((DELIVERY, COURIER))


class Fulfillment(db.Model):
    """A center's work for one order: reserve, then ready and hand over, or dispatch and deliver."""

    __tablename__ = "fulfillments"
    __table_args__ = (
        one_of("method", Method, name="method_known"),
        one_of("status", FulfillmentStatus, name="status_known"),
        sa.Index("ix_fulfillments_center_status", "center_id", "status"),
        filled_index("fulfillments", "slot_id"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    order_id = sa.Column(sa.Integer, sa.ForeignKey("orders.id"), nullable=False, unique=True)
    center_id = sa.Column(sa.Integer, sa.ForeignKey("centers.id"), nullable=False)
    method = sa.Column(sa.String(10), nullable=False)
    status = sa.Column(sa.String(12), nullable=False, default=FulfillmentStatus.RESERVED)
    #: shown to the shopper once ready; the desk hands over only against it
    pickup_code = sa.Column(sa.String(12))
    contact_name = sa.Column(sa.String(100))
    contact_phone = sa.Column(sa.String(32))
    #: delivery address: {"name", "phone", "province", "city", "district", "street", "lat", "lng"}
    address = sa.Column(sa.JSON)
    courier_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    #: why this center: {"center_id", "code", "reason", "runners_up": [{"center_id", "code",
    #: "distance_km", "open_orders", "cover"} or {"center_id", "code", "short": true}]}
    routing = sa.Column(sa.JSON)
    #: the pickup or delivery window the shopper chose (its capacity is held by this order)
    slot_id = sa.Column(sa.Integer, sa.ForeignKey("slots.id"))
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    ready_at = sa.Column(UTCDateTime)
    dispatched_at = sa.Column(UTCDateTime)
    completed_at = sa.Column(UTCDateTime)
    cancelled_at = sa.Column(UTCDateTime)
    handed_over_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    #: someone collecting for the shopper: their name and phone, recorded at hand-over
    collector_name = sa.Column(sa.String(100))
    collector_phone = sa.Column(sa.String(32))
    #: a courier shipment: the carrier (express company) and its tracking number
    carrier = sa.Column(sa.String(60))
    tracking_number = sa.Column(sa.String(60))
    #: who took the delivery at the door
    received_by_name = sa.Column(sa.String(100))
    #: failed delivery attempts, and the reason of the last one
    failed_attempts = sa.Column(sa.Integer, nullable=False, default=0, server_default="0")
    last_failure_reason = sa.Column(sa.String(200))

    center = relationship(Center)
    slot = relationship("Slot")
    lines = relationship("FulfillmentLine", back_populates="fulfillment",
                         cascade="all, delete-orphan", order_by="FulfillmentLine.id")

    @property
    def is_open(self) -> bool:
        return self.status in FulfillmentStatus.OPEN


class FulfillmentLine(db.Model):
    __tablename__ = "fulfillment_lines"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("collected_quantity >= 0 AND collected_quantity <= quantity",
                           name="collected_within_quantity"),
    )

    @property
    def remaining(self) -> int:
        return self.quantity - (self.collected_quantity or 0)

    id = sa.Column(sa.Integer, primary_key=True)
    fulfillment_id = sa.Column(sa.Integer, sa.ForeignKey("fulfillments.id", ondelete="CASCADE"),
                               nullable=False, index=True)
    product_id = sa.Column(sa.Integer, sa.ForeignKey("products.id"), nullable=False)
    sku = sa.Column(sa.String(40), nullable=False)
    name_zh = sa.Column(sa.String(200), nullable=False)
    name_en = sa.Column(sa.String(200))
    quantity = sa.Column(sa.Integer, nullable=False)
    #: units already handed over (a partial collection leaves the rest reserved)
    collected_quantity = sa.Column(sa.Integer, nullable=False, default=0, server_default="0")

    fulfillment = relationship(Fulfillment, back_populates="lines")
    #: the lots its units come from (where the center keeps this product in lots)
    lots = relationship("LotAllocation", cascade="all, delete-orphan",
                        order_by="LotAllocation.id")


class SlotWindow(db.Model):
    """A recurring window (e.g. 10:00-12:00 on Saturdays) from which dated slots are opened."""

    __tablename__ = "slot_windows"
    __table_args__ = (
        one_of("kind", Method.SLOT_KINDS, name="kind_known"),
        sa.CheckConstraint("weekday IS NULL OR weekday BETWEEN 0 AND 6", name="weekday_known"),
        sa.CheckConstraint("starts < ends", name="starts_before_end"),
        sa.CheckConstraint("capacity > 0", name="capacity_positive"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    center_id = sa.Column(sa.Integer, sa.ForeignKey("centers.id", ondelete="CASCADE"),
                          nullable=False, index=True)
    kind = sa.Column(sa.String(10), nullable=False)
    #: 0 Monday ... 6 Sunday; NULL: every day the center is open
    weekday = sa.Column(sa.Integer)
    #: "HH:MM" in the shop's time zone
    starts = sa.Column(sa.String(5), nullable=False)
    ends = sa.Column(sa.String(5), nullable=False)
    #: orders per slot
    capacity = sa.Column(sa.Integer, nullable=False)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)


class Slot(db.Model):
    """One dated window at a center with room for ``capacity`` orders.

    ``taken`` counts the open orders holding it; it is raised with a conditional update
    (``WHERE taken < capacity``), like stock, so two checkouts cannot both take the last place.
    """

    __tablename__ = "slots"
    __table_args__ = (
        sa.UniqueConstraint("center_id", "kind", "starts_at", name="uq_slots_center_kind_start"),
        one_of("kind", Method.SLOT_KINDS, name="kind_known"),
        sa.CheckConstraint("taken >= 0", name="taken_nonnegative"),
        sa.CheckConstraint("taken <= capacity", name="taken_within_capacity"),
        sa.CheckConstraint("starts_at < ends_at", name="starts_before_end"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    center_id = sa.Column(sa.Integer, sa.ForeignKey("centers.id", ondelete="CASCADE"),
                          nullable=False)
    window_id = sa.Column(sa.Integer, sa.ForeignKey("slot_windows.id", ondelete="SET NULL"),
                          index=True)
    kind = sa.Column(sa.String(10), nullable=False)
    starts_at = sa.Column(UTCDateTime, nullable=False)
    ends_at = sa.Column(UTCDateTime, nullable=False)
    capacity = sa.Column(sa.Integer, nullable=False)
    taken = sa.Column(sa.Integer, nullable=False, default=0)

    @property
    def left(self) -> int:
        return max(self.capacity - self.taken, 0)



# The stock ledger and lots live in their own module (a topic of their own); importing them
# here keeps ``fulfillment.models`` the one place to find every table of the package.
from .stock_models import (  # noqa: E402,F401
    Lot,
    LotAllocation,
    MovementKind,
    StockMovement,
    Transfer,
    TransferLot,
    TransferStatus,
)


@event.listens_for(CenterDistrict, "before_insert")
@event.listens_for(CenterDistrict, "before_update")
def _district_code(_mapper, _connection, row: CenterDistrict) -> None:
    place = divisions.resolve(row.province, row.city, row.district)
    row.district_code = place.district.code if place is not None else None
