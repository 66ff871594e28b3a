"""Centers, what they serve, what they hold, and the work they do for each order."""

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from core.extensions import db
from core.models import UTCDateTime, utcnow


class Center(db.Model):
    """A pickup store, a delivery center, or both (a warehouse ships by courier anywhere)."""

    __tablename__ = "centers"
    __table_args__ = (
        sa.CheckConstraint("is_pickup OR is_delivery", name="has_a_kind"),
        sa.CheckConstraint("radius_km IS NULL OR radius_km >= 0", name="radius_positive"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    code = sa.Column(sa.String(20), nullable=False, unique=True)
    name_zh = sa.Column(sa.String(100), nullable=False)
    name_en = sa.Column(sa.String(100))
    is_pickup = sa.Column(sa.Boolean, nullable=False, default=False)
    is_delivery = sa.Column(sa.Boolean, nullable=False, default=False)
    province = sa.Column(sa.String(40), nullable=False)
    city = sa.Column(sa.String(40), nullable=False)
    district = sa.Column(sa.String(40), nullable=False)
    address_zh = sa.Column(sa.String(200), nullable=False)
    address_en = sa.Column(sa.String(200))
    lat = sa.Column(sa.Float, nullable=False)
    lng = sa.Column(sa.Float, nullable=False)
    phone = sa.Column(sa.String(32))
    #: opening hours as "HH:MM" in the shop's time zone
    opens_at = sa.Column(sa.String(5), nullable=False, default="10:00")
    closes_at = sa.Column(sa.String(5), nullable=False, default="21:00")
    #: a delivery center also serves addresses within this distance, whatever the district
    radius_km = sa.Column(sa.Float)
    active = sa.Column(sa.Boolean, nullable=False, default=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    districts = relationship("CenterDistrict", back_populates="center",
                             cascade="all, delete-orphan", order_by="CenterDistrict.id")

    @property
    def kinds(self) -> list[str]:
        return [k for k, on in (("pickup", self.is_pickup), ("delivery", self.is_delivery)) if on]


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

    center = relationship(Center, back_populates="districts")


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
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class FulfillmentStatus:
    RESERVED = "reserved"
    READY = "ready"
    PICKED_UP = "picked_up"
    DISPATCHED = "dispatched"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    OPEN = (RESERVED, READY, DISPATCHED)
    DONE = (PICKED_UP, DELIVERED)
    ALL = (RESERVED, READY, PICKED_UP, DISPATCHED, DELIVERED, CANCELLED)


class Method:
    PICKUP = "pickup"
    DELIVERY = "delivery"
    ALL = (PICKUP, DELIVERY)


class Fulfillment(db.Model):
    """A center's work for one order: reserve, then ready and hand over, or dispatch and deliver."""

    __tablename__ = "fulfillments"
    __table_args__ = (
        sa.CheckConstraint("method IN ('pickup', 'delivery')", name="method_known"),
        sa.CheckConstraint(
            "status IN ('reserved', 'ready', 'picked_up', 'dispatched', 'delivered', 'cancelled')",
            name="status_known"),
        sa.Index("ix_fulfillments_center_status", "center_id", "status"),
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
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    ready_at = sa.Column(UTCDateTime)
    dispatched_at = sa.Column(UTCDateTime)
    completed_at = sa.Column(UTCDateTime)
    cancelled_at = sa.Column(UTCDateTime)
    handed_over_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))

    center = relationship(Center)
    lines = relationship("FulfillmentLine", back_populates="fulfillment",
                         cascade="all, delete-orphan", order_by="FulfillmentLine.id")

    @property
    def is_open(self) -> bool:
        return self.status in FulfillmentStatus.OPEN


class FulfillmentLine(db.Model):
    __tablename__ = "fulfillment_lines"
    __table_args__ = (sa.CheckConstraint("quantity > 0", name="quantity_positive"),)

    id = sa.Column(sa.Integer, primary_key=True)
    fulfillment_id = sa.Column(sa.Integer, sa.ForeignKey("fulfillments.id", ondelete="CASCADE"),
                               nullable=False, index=True)
    product_id = sa.Column(sa.Integer, sa.ForeignKey("products.id"), nullable=False)
    sku = sa.Column(sa.String(40), nullable=False)
    name_zh = sa.Column(sa.String(200), nullable=False)
    name_en = sa.Column(sa.String(200))
    quantity = sa.Column(sa.Integer, nullable=False)

    fulfillment = relationship(Fulfillment, back_populates="lines")
