"""Who may work a center's orders, and whether a fulfillment is in a state for a step: the
two checks every desk step starts with (``services``, ``pickup``, ``delivery``, ``courier``,
``lots``, ``transfers``, ``returns``). Below them all, so each can build on it."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.errors import Forbidden, IllegalTransition, NotFound
from core.extensions import db
from core.models import Role, User

from .labels import status_word
from .models import Fulfillment, Method


def check_center_access(actor: User, center_id: int) -> None:
    """Admins reach every center; staff only their own (others' work does not exist for them)."""
    if actor.role == Role.ADMIN:
        return
    if actor.role == Role.STAFF and actor.center_id == center_id:
        return
    if actor.role == Role.STAFF:
        raise NotFound()
    raise Forbidden()


def whole_for_delivery(viewer: User | None, f: Fulfillment | None) -> bool:
    """Whether ``viewer`` sees the customer's phone on ``f`` whole (``core.privacy``): on a
    delivery or a courier shipment, the desk that works it (staff of its center, admins)
    does, for the courier or the carrier must call; a pickup's is masked for everyone."""
    return (f is not None and f.method in Method.SHIPPED and viewer is not None
            and (viewer.role == Role.ADMIN
                 or (viewer.role == Role.STAFF and viewer.center_id == f.center_id)))


#: the orders table, read by name (storefront sits above fulfillment)
_ORDERS = sa.table("orders", sa.column("id"))


def lock_fulfillments(fulfillments: list[Fulfillment]) -> None:
    """Lock the fulfillments' orders, then the fulfillments, and read them again: two
    statements, whatever their number, each row in id order.

    Every step that takes a pickup out of "ready" (a hand-over, the no-show job, a cancel)
    locks in this order, order then fulfillment then stock, as a cancel does: two of them
    at once queue on the order instead of deadlocking, and the second sees what the first
    did (and is refused by ``require_state``).
    """
    if not fulfillments:
        return
    db.session.execute(sa.select(_ORDERS.c.id)
                       .where(_ORDERS.c.id.in_({f.order_id for f in fulfillments}))
                       .order_by(_ORDERS.c.id).with_for_update())
    db.session.execute(sa.select(Fulfillment)
                       .where(Fulfillment.id.in_({f.id for f in fulfillments}))
                       .order_by(Fulfillment.id).with_for_update()
                       .execution_options(populate_existing=True)).all()


def lock_fulfillment(f: Fulfillment) -> None:
    """``lock_fulfillments`` for one."""
    lock_fulfillments([f])


def require_state(f: Fulfillment, *, method: str | tuple[str, ...],
                  states: tuple[str, ...]) -> None:
    """``IllegalTransition`` unless ``f`` is of ``method`` (one or several) and in ``states``."""
    methods = (method,) if isinstance(method, str) else method
    if f.method not in methods or f.status not in states:
        raise IllegalTransition(
            _l("This order is %(status)s and cannot take this step.", status=status_word(f.status)),
            extra={"status": f.status},
        )
