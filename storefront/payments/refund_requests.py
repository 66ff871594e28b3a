"""Refunds asked for by someone who may not make them, waiting where they can be paid.

A customer-center agent who resolves a complaint with a refund cannot move money; the
request is kept on the order, shown on its back-office page with a one-click refund for
admins and the center's staff, and closed by the next refund of that order (whoever
makes it, however much).

Where a request came from is a ``"<kind>:<id>"`` string; modules above the storefront
register how to name and link a kind (``register_source``), so the storefront names no one.
Paying a request is a refund like any other: ``refunds.pay_request``.
"""

from collections.abc import Callable

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.clock import utcnow
from core.errors import ValidationFailed
from core.extensions import db
from core.models import User

from ..errors import RefundExceedsRefundable
from ..models import Order
from .models import Refund, RefundRequest
from .records import refundable

#: kind -> ``describe(ref, viewer)``: (what the source is, in words; its page, or None)
_SOURCES: dict[str, Callable[[str, User], tuple[str, str | None]]] = {}


def register_source(kind: str, describe: Callable[[str, User], tuple[str, str | None]]
                    ) -> None:
    """``describe(ref, viewer)`` names a source ``"<kind>:<ref>"`` and gives its address
    when ``viewer`` may open it (None: no page, or not for them)."""
    _SOURCES[kind] = describe


def describe_source(source: str, viewer: User) -> tuple[str, str | None]:
    """What a request's source is, in words, and its page if ``viewer`` may open it."""
    kind, _sep, ref = source.partition(":")
    describe = _SOURCES.get(kind)
    return describe(ref, viewer) if describe is not None else (source, None)


def request_refund(order: Order, *, amount: int, source: str, reason: str,
                   actor: User | None) -> RefundRequest:
    """Ask for ``amount`` (fen) of ``order`` back; at most what can still be refunded
    (``RefundExceedsRefundable`` on ``amount`` otherwise, nothing written)."""
    if amount <= 0:
        raise ValidationFailed(errors={"amount": [str(_l("Enter an amount above 0."))]})
    left = refundable(order)
    if amount > left:
        raise RefundExceedsRefundable(left, order.currency)
    request = RefundRequest(order_id=order.id, amount=amount, currency=order.currency,
                            source=source[:40], reason=reason[:500],
                            requested_by_id=actor.id if actor else None)
    db.session.add(request)
    db.session.flush()
    return request


def open_requests(order: Order) -> list[RefundRequest]:
    """The order's requests no refund has answered yet, oldest first."""
    return list(db.session.execute(sa.select(RefundRequest).where(
        RefundRequest.order_id == order.id, RefundRequest.closed_at.is_(None))
        .order_by(RefundRequest.id)).scalars())


def requested_order_ids():
    """A subquery: the orders with an open request (the back office's filter)."""
    return sa.select(RefundRequest.order_id).where(RefundRequest.closed_at.is_(None))


def close_requests(order_id: int, refund: Refund) -> int:
    """A refund of the order was made: its open requests are answered; returns how many."""
    result = db.session.execute(
        sa.update(RefundRequest.__table__)
        .where(RefundRequest.__table__.c.order_id == order_id,
               RefundRequest.__table__.c.closed_at.is_(None))
        .values(closed_at=utcnow(), refund_id=refund.id))
    return result.rowcount
