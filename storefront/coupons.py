"""Coupons: issue one to a shopper, check it at checkout, use it once, give it back.

A coupon takes its amount off the goods of one order (never more than the goods still
cost after points; the fee stays). Using it is one conditional UPDATE on its state
(``issued`` -> ``used``), so two checkouts racing with the same coupon cannot both have
it: the second finds the row count 0 (on PostgreSQL after waiting for the first's row
lock) and is refused with ``coupon_used``. Cancelling the order puts it back.
"""

import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from core.clock import utcnow
from core.database import paginate
from core.errors import Conflict, IllegalTransition, NotFound
from core.extensions import db
from core.models import User

from .coupon_models import Coupon, CouponSource, CouponState
from .models import Order

#: no 0/O or 1/I: a code read out on the phone is typed right
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class CouponRefused(Conflict):
    """The coupon typed cannot be used on this order (its own code says why); a checkout
    shows it on the coupon field."""


class CouponInvalid(CouponRefused):
    code = "coupon_invalid"
    message = _l("This coupon code is not valid for your account.")


class CouponUsed(CouponRefused):
    code = "coupon_used"
    message = _l("This coupon has already been used.")


class CouponExpired(CouponRefused):
    code = "coupon_expired"
    message = _l("This coupon has expired.")


class CouponMinimum(CouponRefused):
    code = "coupon_minimum"
    message = _l("Your order does not reach this coupon's minimum.")


#: the codes a checkout may be refused with, for the API's description
ERROR_CODES = tuple(e.code for e in (CouponInvalid, CouponUsed, CouponExpired, CouponMinimum))


def new_code() -> str:
    """HY-XXXX-XXXX from the readable alphabet (about 10^15 codes)."""
    part = lambda: "".join(secrets.choice(ALPHABET) for _ in range(4))  # noqa: E731
    return f"HY-{part()}-{part()}"


def normalize(code: str | None) -> str:
    """What the shopper typed, as stored: upper case, dashes where they belong."""
    bare = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    if bare.startswith("HY"):
        bare = bare[2:]
    return f"HY-{bare[:4]}-{bare[4:]}" if len(bare) == 8 else (code or "").strip().upper()


def looks_like_code(text: str | None) -> bool:
    """Whether ``text`` is typed like a coupon code (HY-XXXX-XXXX, dashes and case aside)."""
    code = normalize(text)
    return len(code) == 12 and code.startswith("HY-") and all(
        ch in ALPHABET for ch in code[3:].replace("-", ""))


def issue_coupon(user_id: int, *, amount: int, source: str, valid_days: int,
                 minimum_amount: int = 0, source_ref: str | None = None,
                 actor_id: int | None = None, note: str | None = None, now=None) -> Coupon:
    """A new coupon of ``amount`` fen for ``user_id``, valid from now for ``valid_days``."""
    now = now or utcnow()
    if amount <= 0 or source not in CouponSource.ALL or valid_days <= 0:
        raise ValueError("a coupon needs a positive amount, a known source and a validity")
    code = new_code()
    while db.session.execute(sa.select(Coupon.id).where(Coupon.code == code)).first():
        code = new_code()
    coupon = Coupon(code=code, user_id=user_id, amount=amount,
                    currency=current_app.config["SHOP_CURRENCY"],
                    minimum_order_amount=minimum_amount, valid_from=now,
                    valid_until=now + timedelta(days=valid_days), source=source,
                    source_ref=source_ref, state=CouponState.ISSUED, created_by_id=actor_id,
                    note=note)
    db.session.add(coupon)
    db.session.flush()
    return coupon


def state_of(coupon: Coupon, now=None) -> str:
    """The state as the shopper sees it: an issued coupon past its date has expired."""
    if coupon.state == CouponState.ISSUED and coupon.valid_until <= (now or utcnow()):
        return CouponState.EXPIRED
    return coupon.state


def coupons_of(user: User) -> list[Coupon]:
    """A shopper's coupons, the usable ones first (soonest to expire), then the rest."""
    rows = db.session.execute(sa.select(Coupon).where(Coupon.user_id == user.id)
                              .order_by(Coupon.valid_until, Coupon.id)).scalars().all()
    now = utcnow()
    return sorted(rows, key=lambda c: state_of(c, now) != CouponState.ISSUED)


def usable_coupons(user: User, now=None) -> list[Coupon]:
    """The coupons ``user`` could apply today."""
    now = now or utcnow()
    return list(db.session.execute(sa.select(Coupon).where(
        Coupon.user_id == user.id, Coupon.state == CouponState.ISSUED,
        Coupon.valid_from <= now, Coupon.valid_until > now).order_by(Coupon.valid_until)
    ).scalars())


def _check(coupon: Coupon | None, user: User, subtotal: int, now) -> Coupon:
    if coupon is None or coupon.user_id != user.id or coupon.state == CouponState.VOID \
            or coupon.valid_from > now:
        raise CouponInvalid(errors={"coupon": [str(CouponInvalid.message)]})
    if coupon.state == CouponState.USED:
        raise CouponUsed(errors={"coupon": [str(CouponUsed.message)]})
    if state_of(coupon, now) == CouponState.EXPIRED:
        raise CouponExpired(errors={"coupon": [str(CouponExpired.message)]})
    if subtotal < coupon.minimum_order_amount:
        raise CouponMinimum(errors={"coupon": [str(CouponMinimum.message)]},
                            extra={"minimum": coupon.minimum_order_amount})
    return coupon


def applicable(user: User, code: str, *, subtotal: int, goods_left: int,
               now=None) -> tuple[Coupon, int]:
    """The coupon ``code`` of ``user`` for an order of ``subtotal`` and what it takes off.

    ``goods_left`` is what the goods still cost after points: the discount never passes
    it. Raises ``CouponInvalid`` (unknown, someone else's, void, not yet valid),
    ``CouponUsed``, ``CouponExpired`` or ``CouponMinimum``; reads only.
    """
    now = now or utcnow()
    coupon = db.session.execute(
        sa.select(Coupon).where(Coupon.code == normalize(code))).scalar_one_or_none()
    coupon = _check(coupon, user, subtotal, now)
    return coupon, max(0, min(coupon.amount, goods_left))


def redeem(coupon: Coupon, order: Order, now=None) -> None:
    """Use ``coupon`` on ``order``: one conditional UPDATE from issued to used.

    Another checkout that used it first (or an expiry in between) leaves the row count 0:
    the coupon is read again and the reason raised, so the caller's transaction rolls back.
    """
    now = now or utcnow()
    table = Coupon.__table__.c
    result = db.session.execute(
        sa.update(Coupon.__table__)
        .where(table.id == coupon.id, table.user_id == order.user_id,
               table.state == CouponState.ISSUED, table.valid_until > now)
        .values(state=CouponState.USED, used_at=now))
    if result.rowcount != 1:
        db.session.refresh(coupon)
        _check(coupon, db.session.get(User, order.user_id), order.subtotal_amount, now)
        raise CouponUsed(errors={"coupon": [str(CouponUsed.message)]})
    db.session.refresh(coupon, ["state", "used_at"])
    order.coupon_id = coupon.id


def give_back(order: Order) -> bool:
    """A cancelled order's coupon may be used again (until its own date); True if it was."""
    if order.coupon_id is None:
        return False
    table = Coupon.__table__.c
    result = db.session.execute(
        sa.update(Coupon.__table__)
        .where(table.id == order.coupon_id, table.state == CouponState.USED)
        .values(state=CouponState.ISSUED, used_at=None))
    if order.coupon is not None:
        db.session.expire(order.coupon)
    return result.rowcount == 1


def void_coupon(coupon_id: int, actor: User, now=None) -> Coupon:
    """Take back a coupon nobody has used: one conditional UPDATE from issued to void, so a
    checkout using it at the same moment either has it (and the voiding is refused) or
    finds it void. A used or already void coupon is refused with 409."""
    now = now or utcnow()
    table = Coupon.__table__.c
    result = db.session.execute(
        sa.update(Coupon.__table__)
        .where(table.id == coupon_id, table.state.in_((CouponState.ISSUED, CouponState.EXPIRED)))
        .values(state=CouponState.VOID, voided_at=now, voided_by_id=actor.id))
    coupon = get_coupon(coupon_id)
    db.session.refresh(coupon)
    if result.rowcount != 1:
        if coupon.state == CouponState.USED:
            raise IllegalTransition(_l("This coupon has already been used: it cannot be "
                                       "taken back."))
        raise IllegalTransition(_l("This coupon is already void."))
    return coupon


def get_coupon(coupon_id: int) -> Coupon:
    coupon = db.session.get(Coupon, coupon_id)
    if coupon is None:
        raise NotFound(_l("No such coupon."))
    return coupon


def find_coupons(*, q: str | None = None, state: str | None = None, source: str | None = None,
                 user_ids=None, page: int = 1,
                 per_page: int = 50) -> tuple[list[Coupon], int, int]:
    """Coupons, newest first, by code (as typed), state as the shopper sees it, source, or
    the holders ``user_ids`` (a select or a list): ``(coupons, page, pages)``."""
    query = sa.select(Coupon)
    now = utcnow()
    if q:
        query = query.where(Coupon.code == normalize(q))
    if state == CouponState.ISSUED:
        query = query.where(Coupon.state == CouponState.ISSUED, Coupon.valid_until > now)
    elif state == CouponState.EXPIRED:
        query = query.where(sa.or_(Coupon.state == CouponState.EXPIRED, sa.and_(
            Coupon.state == CouponState.ISSUED, Coupon.valid_until <= now)))
    elif state in CouponState.ALL:
        query = query.where(Coupon.state == state)
    if source in CouponSource.ALL:
        query = query.where(Coupon.source == source)
    if user_ids is not None:
        query = query.where(Coupon.user_id.in_(user_ids))
    return paginate(query.order_by(Coupon.created_at.desc(), Coupon.id.desc()), page=page,
                    per_page=per_page)


def expire_coupons(now) -> str:
    """Job: coupons past their date that were never used become expired."""
    result = db.session.execute(
        sa.update(Coupon.__table__)
        .where(Coupon.__table__.c.state == CouponState.ISSUED,
               Coupon.__table__.c.valid_until <= now)
        .values(state=CouponState.EXPIRED))
    return f"{result.rowcount} coupon(s) expired"
