"""What the counter's page asks before a sale: what a scanned or typed code is (a VIP card,
a phone, a product's barcode or SKU, or words to search), who the member is, and the ticket
priced for them with what this store holds."""

import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer

from core.errors import NotFound
from core.extensions import db
from core.models import Role, User
from core.phones import mobile_number
from fulfillment.models import Stock

from ..barcodes import clean_barcode, is_ean13
from ..loyalty.membership import CARD_PREFIX
from ..loyalty.models import Membership
from ..loyalty.tiers import tier_prices_for
from ..models import Product
from ..orders import unit_price

_CARD = re.compile(rf"{CARD_PREFIX}\d{{10}}")
#: how many products a search at the counter offers
SEARCH_LIMIT = 8


class UnknownMember(NotFound):
    code = "unknown_member"
    message = _l("No member has this card or phone number.")


def normalize(code: str | None) -> str:
    return re.sub(r"\s+", "", code or "").upper()[:64]


def kind_of(code: str | None) -> str:
    """``card``, ``phone``, ``barcode``, ``empty`` or ``words`` (a SKU or words to search)."""
    text = normalize(code)
    if not text:
        return "empty"
    if _CARD.fullmatch(text):
        return "card"
    if mobile_number(text):
        return "phone"
    if re.fullmatch(r"\d{13}", clean_barcode(text)):
        return "barcode"
    return "words"


@dataclass
class Member:
    """The customer at the counter: their account, and their open membership if any."""

    user: User
    membership: Membership | None
    #: carried with the ticket in the page: the account's id, signed (neither the phone,
    #: which the screen shows masked, nor anything a clerk could edit into another person)
    key: str


def find_member(code: str) -> Member:
    """The customer whose VIP card (``VIP`` + 10 digits) or phone this is; ``UnknownMember``.

    A phone finds the account whose verified phone it is, else the one open membership
    with it (two memberships with one phone: the card is needed).
    """
    text = normalize(code)
    if _CARD.fullmatch(text):
        membership = db.session.execute(sa.select(Membership).where(
            Membership.card_number == text, Membership.closed_at.is_(None))).scalar_one_or_none()
        user = db.session.get(User, membership.user_id) if membership else None
    else:
        phone = mobile_number(text)
        if phone is None:
            raise UnknownMember()
        user = db.session.execute(sa.select(User).where(
            User.phone == phone, User.phone_verified_at.is_not(None))).scalar_one_or_none()
        membership = None
        if user is None:
            found = db.session.execute(sa.select(Membership).where(
                Membership.phone == phone, Membership.closed_at.is_(None)).limit(2)).scalars().all()
            membership = found[0] if len(found) == 1 else None
            user = db.session.get(User, membership.user_id) if membership else None
    return _member(user, membership)


def _member(user: User | None, membership: Membership | None = None) -> Member:
    if user is None or user.role != Role.CUSTOMER or not user.active:
        raise UnknownMember()
    if membership is None:
        membership = db.session.execute(sa.select(Membership).where(
            Membership.user_id == user.id, Membership.closed_at.is_(None))).scalar_one_or_none()
    return Member(user=user, membership=membership, key=_signer().dumps(user.id))


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="counter-member")


def member_from_key(key: str) -> Member:
    """The member a page's ticket names (``Member.key``); ``UnknownMember`` for anything else."""
    try:
        user_id = _signer().loads(key or "")
    except BadSignature:
        raise UnknownMember() from None
    return _member(db.session.get(User, user_id) if isinstance(user_id, int) else None)


def product_for_code(code: str) -> Product | None:
    """The product on sale with this barcode (EAN-13) or SKU, or None."""
    text = normalize(code)
    barcode = clean_barcode(text)
    if is_ean13(barcode):
        where = Product.barcode == barcode
    else:
        where = Product.sku == text
    return db.session.execute(sa.select(Product).where(
        where, Product.active.is_(True))).scalar_one_or_none()


def search(words: str) -> list[Product]:
    """Products on sale whose name or SKU holds ``words``, the first few."""
    like = f"%{(words or '').strip()[:60]}%"
    return list(db.session.execute(
        sa.select(Product).where(Product.active.is_(True),
                                 sa.or_(Product.name_zh.ilike(like), Product.name_en.ilike(like),
                                        Product.sku.ilike(like)))
        .order_by(Product.position, Product.id).limit(SEARCH_LIMIT)).scalars())


def available_here(center_id: int, product_ids) -> dict[int, int]:
    """What this store can still sell of each product (on hand less reserved)."""
    if not product_ids:
        return {}
    return dict(db.session.execute(
        sa.select(Stock.product_id, Stock.on_hand - Stock.reserved)
        .where(Stock.center_id == center_id, Stock.product_id.in_(list(product_ids)))).all())


def price_ticket(center_id: int, lines: dict[str, int], member: Member | None):
    """The ticket as the clerk sees it: ``(rows, subtotal, available)`` where each row is
    ``(product, quantity, unit price, member price?)``; unknown SKUs are dropped."""
    products = {p.sku: p for p in db.session.execute(sa.select(Product).where(
        Product.sku.in_(list(lines)), Product.active.is_(True))).scalars()} if lines else {}
    pairs = [(products[sku], q) for sku, q in lines.items() if sku in products]
    membership = member.membership if member else None
    own = tier_prices_for([p for p, _q in pairs], membership.tier if membership else None)
    rows = [(p, q, *unit_price(p, membership is not None, own.get(p.id))) for p, q in pairs]
    subtotal = sum(price * q for _p, q, price, _m in rows)
    return rows, subtotal, available_here(center_id, [p.id for p, _q in pairs])
