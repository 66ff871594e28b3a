"""Payment jobs: expiring unpaid online orders, and reconciling the orders with Stripe.

Each works in short transactions of its own and calls Stripe only with no row locked.
"""

import logging

from core.extensions import db

from .. import orders as order_rules
from ..models import Order
from . import gateway
from .billing import apply_intent, cancel_intents
from .models import Collection, PaymentStatus
from .records import order_for_intent, payments_of
from .refunds import execute_pending_refunds

log = logging.getLogger(__name__)


def expire_unpaid_orders(now) -> str:
    """Job: expire unpaid online orders, then cancel their PaymentIntents at Stripe.

    The orders are cancelled and committed first (stock released); Stripe is called after,
    with no row locked. An intent that can no longer be cancelled because it succeeded
    meanwhile is applied at once (the order is revived or refunded).
    """
    expired, open_intents = 0, []
    for order_id in order_rules.due_unpaid_order_ids(now):
        # One short transaction per order: its row and stock are held only that long.
        order = db.session.get(Order, order_id)
        if order_rules.expire_order(order, now):
            expired += 1
            open_intents += [(order.id, p.stripe_payment_intent_id) for p in payments_of(order)
                             if p.method == Collection.STRIPE and p.stripe_payment_intent_id
                             and p.status not in (PaymentStatus.SUCCEEDED,
                                                  PaymentStatus.CANCELED)]
        db.session.commit()
    for order_id, intent_id in open_intents:
        cancel_intents(order_id, [intent_id])
    return f"{expired} unpaid order(s) expired"




def reconcile(since) -> dict:
    """Compare Stripe's intents since ``since`` with the orders and repair what disagrees.

    Then retries refunds left pending. Returns counts of what it saw and changed.
    """
    seen, changed = 0, 0
    for intent in gateway.list_intents(since):
        seen += 1
        order = order_for_intent(intent.id, intent.order_public_id)
        if order is None:
            continue
        outcome = apply_intent(order, intent)
        if outcome != "ignored":
            changed += 1
            log.info("reconcile: %s %s -> %s", order.public_id, intent.id, outcome)
        db.session.commit()
    db.session.commit()
    return {"seen": seen, "changed": changed, "refunds": execute_pending_refunds()}
