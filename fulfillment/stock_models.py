"""The stock ledger (one row per change of stock) and lots (batches with expiry dates)."""

from enum import StrEnum, nonmember

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from core.clock import utcnow
from core.extensions import db
from core.models import UTCDateTime, filled_index, one_of


class MovementKind(StrEnum):
    RECEIVED = "received"
    ADJUSTED = "adjusted"
    RESERVED = "reserved"
    RELEASED = "released"
    SOLD = "sold"
    RETURNED = "returned"
    TRANSFERRED = "transferred"
    ALL = nonmember((RECEIVED, ADJUSTED, RESERVED, RELEASED, SOLD, RETURNED, TRANSFERRED))


class StockMovement(db.Model):
    """One change of a center's stock: the ledger that ``stock.on_hand`` and ``reserved`` sum up.

    Written in the same transaction as the change it records, so for every stock row the
    sums of ``on_hand_delta`` and ``reserved_delta`` equal its ``on_hand`` and ``reserved``
    (``flask stock verify`` checks it).
    """

    __tablename__ = "stock_movements"
    __table_args__ = (
        one_of("kind", MovementKind, name="kind_known"),
        sa.Index("ix_stock_movements_center_product", "center_id", "product_id"),
        filled_index("stock_movements", "lot_id"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    center_id = sa.Column(sa.Integer, sa.ForeignKey("centers.id"), nullable=False)
    product_id = sa.Column(sa.Integer, sa.ForeignKey("products.id"), nullable=False)
    kind = sa.Column(sa.String(12), nullable=False)
    #: change of on_hand (units; negative when units leave)
    on_hand_delta = sa.Column(sa.Integer, nullable=False, default=0)
    #: change of reserved (units promised to open orders)
    reserved_delta = sa.Column(sa.Integer, nullable=False, default=0)
    #: who did it (NULL: the system, e.g. the expiry job)
    actor_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    fulfillment_id = sa.Column(sa.Integer, sa.ForeignKey("fulfillments.id"), index=True)
    #: the lot the units came from or went to, where stock is kept in lots
    lot_id = sa.Column(sa.Integer, sa.ForeignKey("lots.id"))
    reason = sa.Column(sa.String(200))
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)


class Lot(db.Model):
    """A batch of a product received at a center, with its production and expiry dates.

    ``on_hand`` and ``reserved`` are the lot's share of the center's stock row; units are
    reserved first-expired-first-out, and never from a lot within the sell-by margin of
    its expiry (``LOT_SELL_BY_MARGIN_DAYS``).
    """

    __tablename__ = "lots"
    __table_args__ = (
        sa.CheckConstraint("on_hand >= 0", name="on_hand_nonnegative"),
        sa.CheckConstraint("reserved >= 0", name="reserved_nonnegative"),
        sa.CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
        sa.CheckConstraint("produced_on IS NULL OR produced_on <= expires_on",
                           name="produced_before_expiry"),
        sa.Index("ix_lots_center_product_expiry", "center_id", "product_id", "expires_on"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    center_id = sa.Column(sa.Integer, sa.ForeignKey("centers.id"), nullable=False)
    product_id = sa.Column(sa.Integer, sa.ForeignKey("products.id"), nullable=False)
    #: the producer's batch number, as printed on the package
    batch = sa.Column(sa.String(40), nullable=False, index=True)
    produced_on = sa.Column(sa.Date)
    expires_on = sa.Column(sa.Date, nullable=False)
    received_quantity = sa.Column(sa.Integer, nullable=False)
    on_hand = sa.Column(sa.Integer, nullable=False, default=0)
    reserved = sa.Column(sa.Integer, nullable=False, default=0)
    received_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    received_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class LotAllocation(db.Model):
    """Which lot a fulfillment line's units come from (the trace a recall follows)."""

    __tablename__ = "lot_allocations"
    __table_args__ = (
        sa.UniqueConstraint("line_id", "lot_id", name="uq_lot_allocations_line_lot"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("collected >= 0 AND collected <= quantity",
                           name="collected_within_quantity"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    line_id = sa.Column(sa.Integer, sa.ForeignKey("fulfillment_lines.id", ondelete="CASCADE"),
                        nullable=False)
    lot_id = sa.Column(sa.Integer, sa.ForeignKey("lots.id"), nullable=False, index=True)
    quantity = sa.Column(sa.Integer, nullable=False)
    #: of these, units already handed over (sold)
    collected = sa.Column(sa.Integer, nullable=False, default=0, server_default="0")

    lot = relationship(Lot)


class TransferStatus(StrEnum):
    REQUESTED = "requested"
    SHIPPED = "shipped"
    RECEIVED = "received"
    CANCELLED = "cancelled"
    OPEN = nonmember((REQUESTED, SHIPPED))
    ALL = nonmember((REQUESTED, SHIPPED, RECEIVED, CANCELLED))


class Transfer(db.Model):
    """Units of a product moving from one center to another (a store restocking from the
    warehouse): requested by the receiving center, shipped by the sending one, received."""

    __tablename__ = "transfers"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("from_center_id <> to_center_id", name="two_centers"),
        one_of("status", TransferStatus, name="status_known"),
        sa.Index("ix_transfers_from_status", "from_center_id", "status"),
        sa.Index("ix_transfers_to_status", "to_center_id", "status"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    from_center_id = sa.Column(sa.Integer, sa.ForeignKey("centers.id"), nullable=False)
    to_center_id = sa.Column(sa.Integer, sa.ForeignKey("centers.id"), nullable=False)
    product_id = sa.Column(sa.Integer, sa.ForeignKey("products.id"), nullable=False)
    quantity = sa.Column(sa.Integer, nullable=False)
    status = sa.Column(sa.String(10), nullable=False, default=TransferStatus.REQUESTED)
    note = sa.Column(sa.String(200))
    requested_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=False)
    shipped_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    received_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    shipped_at = sa.Column(UTCDateTime)
    received_at = sa.Column(UTCDateTime)
    cancelled_at = sa.Column(UTCDateTime)
    #: the order whose units it carries: sold and paid at the receiving store's counter,
    #: reserved here at the sending center (they leave the reservation when shipped, and
    #: are reserved for the order when received); None for a restocking transfer
    fulfillment_id = sa.Column(sa.Integer, sa.ForeignKey("fulfillments.id"), index=True)

    lots = relationship("TransferLot", cascade="all, delete-orphan", order_by="TransferLot.id")


class TransferLot(db.Model):
    """Units of a transfer from one lot of the sending center (first expired first out), and
    the lot with the same batch and dates they became at the receiving center."""

    __tablename__ = "transfer_lots"
    __table_args__ = (
        sa.UniqueConstraint("transfer_id", "lot_id", name="uq_transfer_lots_transfer_lot"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    transfer_id = sa.Column(sa.Integer, sa.ForeignKey("transfers.id", ondelete="CASCADE"),
                            nullable=False, index=True)
    #: the sending center's lot
    lot_id = sa.Column(sa.Integer, sa.ForeignKey("lots.id"), nullable=False, index=True)
    quantity = sa.Column(sa.Integer, nullable=False)
    #: the receiving center's lot (set when the transfer is received)
    to_lot_id = sa.Column(sa.Integer, sa.ForeignKey("lots.id"), index=True)

    lot = relationship(Lot, foreign_keys=[lot_id])
    to_lot = relationship(Lot, foreign_keys=[to_lot_id])
