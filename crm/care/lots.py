"""Complaints by lot: the lots a complaint's customer received of the product complained
about (from the fulfillment lines' lots), so complaints about one lot read as one pattern."""

import sqlalchemy as sa

from core.extensions import db
from fulfillment.lots import product_names
from fulfillment.models import Fulfillment, FulfillmentLine, Lot, LotAllocation

from .models import Complaint, ComplaintStatus


def _complaint_lot_pairs():
    """``(complaint id, lot id)`` for every complaint about an order and a product whose
    units came from lots."""
    return (sa.select(Complaint.id.label("complaint_id"), LotAllocation.lot_id.label("lot_id"))
            .join(Fulfillment, Fulfillment.order_id == Complaint.order_id)
            .join(FulfillmentLine, sa.and_(FulfillmentLine.fulfillment_id == Fulfillment.id,
                                           FulfillmentLine.product_id == Complaint.product_id))
            .join(LotAllocation, LotAllocation.line_id == FulfillmentLine.id)
            .distinct())


def lots_of(complaint: Complaint) -> list[Lot]:
    """The lots the customer received of the product complained about."""
    if complaint.order_id is None or complaint.product_id is None:
        return []
    pairs = _complaint_lot_pairs().where(Complaint.id == complaint.id).subquery()
    return list(db.session.execute(sa.select(Lot).where(Lot.id.in_(sa.select(pairs.c.lot_id)))
                                   .order_by(Lot.expires_on, Lot.id)).scalars())


def complaint_ids_of_lot(lot_id: int):
    """A SELECT of the ids of the complaints about ``lot_id`` (to filter the log)."""
    pairs = _complaint_lot_pairs().subquery()
    return sa.select(pairs.c.complaint_id).where(pairs.c.lot_id == lot_id)


def lot_groups(limit: int = 50) -> list[dict]:
    """One row per lot with complaints: the lot, its product, the complaints and how many are
    still open (not yet resolved), most complained about first."""
    pairs = _complaint_lot_pairs().subquery()
    unresolved = sa.case((Complaint.status.in_(ComplaintStatus.UNRESOLVED), Complaint.id))
    rows = db.session.execute(
        sa.select(Lot, sa.func.count(sa.distinct(Complaint.id)),
                  sa.func.count(sa.distinct(unresolved)))
        .join(pairs, pairs.c.lot_id == Lot.id)
        .join(Complaint, Complaint.id == pairs.c.complaint_id)
        .group_by(Lot.id)
        .order_by(sa.func.count(sa.distinct(Complaint.id)).desc(), Lot.id)
        .limit(limit)).all()
    names = product_names(lot.product_id for lot, _n, _o in rows)
    return [{"lot": lot, "product": names.get(lot.product_id, ("", ""))[1], "count": int(n),
             "open": int(still_open)} for lot, n, still_open in rows]
