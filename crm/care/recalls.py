"""Recalls: from a product lot to a follow-up call with every customer who received it.

``open_recall`` turns the fulfillment's trace of a lot (``fulfillment.lots.recall_lot``)
into a campaign with one follow-up per affected customer. The reason of each follow-up
names the lot and the customer, so opening the recall again plans only customers who
received units since. The campaign's progress is read from its follow-ups' outcomes.
"""

from collections import defaultdict

import sqlalchemy as sa
from babel.lists import format_list
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.clock import utcnow
from core.errors import NotFound, ValidationFailed
from core.extensions import db
from core.i18n import current_locale
from core.inputs import id_or_none
from core.models import Role, User
from core.sql import at, insert_ignoring_twins, text
from crm.customers.models import Customer
from crm.customers.services import ensure_customer
from crm.followups.models import FollowUp, FollowUpKind, FollowUpStatus
from fulfillment.lots import product_names, recall_lot
from fulfillment.models import Fulfillment, FulfillmentLine, Lot, LotAllocation
from storefront.models import Order

from .models import RecallCampaign

#: what an agent tells the customer to do, unless the recall says otherwise
DEFAULT_ADVICE = _l("Please stop using it and bring it, opened or not, to any of our stores, "
                    "or let us collect it: we refund or replace it in full.")
#: the orders of a recall that never left the shop
SKIPPED_ORDER_STATUSES = ("cancelled", "pending_payment")


def find_lots(term: str) -> list[Lot]:
    """Lots by id (digits) or by exact batch number (one batch may sit at several centers)."""
    term = (term or "").strip()
    if not term:
        return []
    query = sa.select(Lot).where(Lot.batch == term)
    if (lot_id := id_or_none(term)) is not None:
        query = sa.select(Lot).where(sa.or_(Lot.id == lot_id, Lot.batch == term))
    return list(db.session.execute(query.order_by(Lot.id)).scalars())


def get_lot(lot_id: int | None) -> Lot:
    """The lot to recall; a clear error on the form when there is no such lot."""
    lot = db.session.get(Lot, lot_id) if lot_id is not None else None
    if lot is None:
        raise ValidationFailed(errors={"lot_id": [str(_l("No such lot."))]})
    return lot


def affected(lot: Lot) -> dict[int, dict]:
    """``{user id: {"quantity", "orders": [(order id, number)], ...}}``: one entry per
    customer, however many orders brought them units of the lot."""
    people: dict[int, dict] = {}
    rows = [r for r in recall_lot(lot) if r["order_status"] not in SKIPPED_ORDER_STATUSES
            and r["user_id"] is not None]  # a walk-in without a card has nobody to call
    numbers = {r["order_id"] for r in rows}
    ids = dict(db.session.execute(sa.select(Order.public_id, Order.id)
                                  .where(Order.public_id.in_(numbers))).all()) if numbers else {}
    for row in rows:
        entry = people.setdefault(row["user_id"], {"quantity": 0, "orders": []})
        entry["quantity"] += row["quantity"]
        if (ids[row["order_id"]], row["number"]) not in entry["orders"]:
            entry["orders"].append((ids[row["order_id"]], row["number"]))
    return people


def open_recall(lot: Lot, actor: User | None, *, advice: str | None = None, now=None
                ) -> tuple[RecallCampaign, int]:
    """Open (or top up) the recall of ``lot``: a follow-up, due at once, for each customer who
    received units of it. Returns the campaign and how many follow-ups were planned now.

    Set-based, like a campaign: one INSERT ... SELECT over the lot's orders, so the
    statements do not grow with the customers; the reason guards against twins."""
    now = now or utcnow()
    advice = (advice or "").strip() or None
    if advice and len(advice) > 500:
        raise ValidationFailed(errors={"advice": [str(_l("At most 500 characters."))]})
    campaign = campaign_of(lot.id)
    if campaign is None:
        campaign = RecallCampaign(lot_id=lot.id, product_id=lot.product_id, batch=lot.batch,
                                  advice=advice, opened_by_id=actor.id if actor else None,
                                  opened_at=now)
        try:
            with db.session.begin_nested():
                db.session.add(campaign)
        except sa.exc.IntegrityError:  # opened by someone else a moment ago
            campaign = campaign_of(lot.id)
    elif advice:
        campaign.advice = advice
    received = _orders_of_lot(lot.id).subquery("received")
    # Orders create the profile; one made before the customer center kept them may lack it.
    for user in db.session.execute(
            sa.select(User).where(User.id.in_(sa.select(received.c.user_id)),
                                  User.role.not_in(Role.STAFF_MEMBERS),
                                  ~sa.exists().where(Customer.user_id == User.id))).scalars():
        ensure_customer(user)
    first_order = (sa.select(received.c.order_id).where(received.c.user_id == Customer.user_id)
                   .order_by(received.c.created_at, received.c.order_id).limit(1)
                   .scalar_subquery())
    reason = sa.literal(f"recall:lot:{lot.id}:") + text(Customer.id)
    select = (sa.select(Customer.id, first_order, sa.literal(FollowUpKind.RECALL), reason,
                        sa.literal("phone"), at(now), sa.literal(FollowUpStatus.OPEN),
                        sa.literal(0), sa.literal(campaign.id), at(now))
              .join(User, User.id == Customer.user_id)
              .where(Customer.user_id.in_(sa.select(received.c.user_id)),
                     User.role.not_in(Role.STAFF_MEMBERS),
                     ~sa.exists().where(FollowUp.reason == reason)))
    names = ["customer_id", "order_id", "kind", "reason", "channel", "due_at", "status",
             "attempts", "recall_id", "created_at"]
    planned = insert_ignoring_twins(FollowUp, names, select, "reason")
    db.session.flush()
    return campaign, planned


def _orders_of_lot(lot_id: int) -> sa.Select:
    """One row per order line that brought units of the lot to a customer (orders that left
    the shop): ``order_id``, ``user_id``, ``created_at`` and the ``quantity`` of the lot."""
    return (sa.select(Order.id.label("order_id"), Order.user_id, Order.created_at,
                      LotAllocation.quantity)
            .join(Fulfillment, Fulfillment.order_id == Order.id)
            .join(FulfillmentLine, FulfillmentLine.fulfillment_id == Fulfillment.id)
            .join(LotAllocation, LotAllocation.line_id == FulfillmentLine.id)
            .where(LotAllocation.lot_id == lot_id, Order.status.not_in(SKIPPED_ORDER_STATUSES)))


def campaign_of(lot_id: int) -> RecallCampaign | None:
    return db.session.execute(sa.select(RecallCampaign).where(
        RecallCampaign.lot_id == lot_id)).scalar_one_or_none()


def get_campaign(campaign_id: int) -> RecallCampaign:
    campaign = db.session.get(RecallCampaign, campaign_id)
    if campaign is None:
        raise NotFound()
    return campaign


def _progress(status: str, outcome: str | None) -> str:
    """reached, not_reached or pending: where one call of a recall stands."""
    if status == FollowUpStatus.OPEN:
        return "pending"
    if status == FollowUpStatus.DONE and outcome in ("reached", "declined"):
        return "reached"
    return "not_reached"


def campaign_view(campaign: RecallCampaign) -> dict:
    """The campaign's follow-ups with each one's progress and units, and the counts."""
    followups = list(db.session.execute(
        sa.select(FollowUp).where(FollowUp.recall_id == campaign.id)
        .options(sa.orm.joinedload(FollowUp.customer)).order_by(FollowUp.id)).scalars())
    units = received_units(campaign.lot_id)
    counts = {"reached": 0, "not_reached": 0, "pending": 0}
    rows = []
    for f in followups:
        state = _progress(f.status, f.outcome)
        counts[state] += 1
        rows.append({"followup": f, "progress": state,
                     "quantity": units.get(f.customer.user_id, 0)})
    return {"rows": rows, "counts": counts, "total": len(rows)}


def received_units(lot_id: int) -> dict[int, int]:
    """``{user id: units of the lot}`` over the orders that left the shop."""
    received = _orders_of_lot(lot_id).subquery("received")
    query = (sa.select(received.c.user_id, sa.func.sum(received.c.quantity))
             .group_by(received.c.user_id))
    return {u: int(n) for u, n in db.session.execute(query).all()}


def list_campaigns(limit: int = 100) -> list[tuple[RecallCampaign, dict]]:
    """Recent recalls, each with its counts (one GROUP BY over their follow-ups)."""
    campaigns = list(db.session.execute(sa.select(RecallCampaign).order_by(
        RecallCampaign.opened_at.desc(), RecallCampaign.id.desc()).limit(limit)).scalars())
    counts: dict[int, dict] = defaultdict(lambda: {"reached": 0, "not_reached": 0,
                                                   "pending": 0})
    if campaigns:
        for campaign_id, status, outcome, n in db.session.execute(
                sa.select(FollowUp.recall_id, FollowUp.status, FollowUp.outcome, sa.func.count())
                .where(FollowUp.recall_id.in_([c.id for c in campaigns]))
                .group_by(FollowUp.recall_id, FollowUp.status, FollowUp.outcome)).all():
            counts[campaign_id][_progress(status, outcome)] += int(n)
    return [(c, counts[c.id]) for c in campaigns]


def product_label(product_id: int) -> str:
    return product_names([product_id]).get(product_id, ("", ""))[1]


def recall_script(followup: FollowUp, *, agent: str, shop: str) -> str:
    """What the agent says: the product, the batch, the units the customer received and the
    orders they came with, and what to do."""
    campaign = get_campaign(followup.recall_id)
    entry = affected(campaign.lot).get(followup.customer.user_id,
                                       {"quantity": 0, "orders": []})
    quantity, orders = entry["quantity"], [number for _id, number in entry["orders"]]
    return _("Hello %(name)s, this is %(agent)s from the %(shop)s customer center. We are "
             "recalling batch %(batch)s of %(product)s. You received %(quantity)d unit(s) of "
             "this batch with order %(orders)s. %(advice)s",
             name=followup.customer.name, agent=agent, shop=shop, batch=campaign.batch,
             product=product_label(campaign.product_id), quantity=quantity,
             orders=format_list(orders or ["—"], locale=current_locale()),
             advice=campaign.advice or str(DEFAULT_ADVICE))
