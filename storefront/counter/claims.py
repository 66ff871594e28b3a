"""An anonymous counter sale claimed by the member who made it: they scan the receipt's QR
in the member area and the sale becomes theirs (points, tier, their 360), once, within
``CLAIM_DAYS`` of the sale."""

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.clock import utcnow
from core.errors import Conflict, Forbidden, NotFound
from core.extensions import db
from core.models import Role, User
from core.signals import order_claimed

from ..loyalty.membership import membership_of
from ..models import Channel, Order, OrderStatus

#: how long after the sale its receipt can be claimed
CLAIM_DAYS = 30


class AlreadyClaimed(Conflict):
    code = "already_claimed"
    message = _l("This receipt already belongs to a member.")


class ClaimExpired(Conflict):
    code = "claim_expired"
    message = _l("A receipt can be added to your account within %(days)d days of the sale.",
                 days=CLAIM_DAYS)


def claimable_sale(public_id: str) -> Order:
    """The counter sale behind a receipt's QR (a store-channel order), or ``NotFound``."""
    order = db.session.execute(sa.select(Order).where(
        Order.public_id == (public_id or "")[:24], Order.channel == Channel.STORE)
    ).scalar_one_or_none()
    if order is None:
        raise NotFound()
    return order


def claim_problem(order: Order, now=None) -> Conflict | None:
    """Why this sale cannot be claimed now, or None."""
    now = now or utcnow()
    if order.user_id is not None:
        return AlreadyClaimed()
    if order.status != OrderStatus.FULFILLED or now - order.created_at > timedelta(days=CLAIM_DAYS):
        return ClaimExpired()
    return None


def claim_sale(order: Order, user: User, now=None) -> Order:
    """Make an anonymous counter sale ``user``'s: once (a conditional UPDATE, so two members
    scanning the same receipt at once claim it once), within ``CLAIM_DAYS``, for a fulfilled
    sale; then ``order_claimed`` (points, tier and figures follow)."""
    if user.role != Role.CUSTOMER:
        raise Forbidden()
    problem = claim_problem(order, now)
    if problem is not None:
        raise problem
    membership = membership_of(user)
    done = db.session.execute(
        sa.update(Order).where(Order.id == order.id, Order.user_id.is_(None))
        .values(user_id=user.id, contact_name=membership.name if membership else user.name,
                contact_phone=membership.phone if membership else user.phone)
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise AlreadyClaimed()
    db.session.refresh(order)
    order_claimed.send(order)
    return order
