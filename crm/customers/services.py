"""Customer profiles: one per person, figures from their orders, search, the 360 view."""

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from core import privacy
from core.clock import utcnow
from core.database import paginate
from core.errors import NotFound
from core.extensions import db
from core.models import User
from crm.care.models import Complaint
from crm.followups.models import FollowUp
from fulfillment.models import Center
from storefront.loyalty.membership import latest_membership
from storefront.loyalty.models import Membership
from storefront.models import Category, Order, OrderLine, OrderStatus, Product

from .models import Child, Customer, CustomerAccess, Stage
from .profiles import phone_forms, phone_key

PAGE_SIZE = 30
#: orders that count toward a customer's figures
_COUNTED = (OrderStatus.PAID, OrderStatus.CONFIRMED, OrderStatus.FULFILLED)


def mask_phone(phone: str | None) -> str:
    """``13812345678`` -> ``138****5678``: the customer center's lists never show a whole
    number, but keep the prefix (the carrier, the region) an agent asks about."""
    return privacy.mask_phone(phone, keep_prefix=3)


def customer_for_user(user_id: int) -> Customer | None:
    return db.session.execute(
        sa.select(Customer).where(Customer.user_id == user_id)).scalar_one_or_none()


def ensure_customer(user: User, *, source: str = "web") -> Customer:
    """The profile of an account holder, created on first sight.

    A prospect becomes the account's profile only through a contact the account has proven
    (``verified_contacts``); an e-mail or phone merely typed at sign-up gets the account a
    profile of its own, which an agent may merge later (``merging``)."""
    customer = customer_for_user(user.id)
    if customer is None:
        customer = _prospect_for(user)
    if customer is None:
        customer = Customer(user_id=user.id, name=user.name, phone=phone_key(user.phone),
                            email=user.email, source=source, stage=Stage.PROSPECT)
        db.session.add(customer)
        db.session.flush()
    return customer


def verified_contacts(user: User) -> dict[str, str]:
    """``{"phone": ..., "email": ...}``: the contacts ``user`` has proven theirs (a code sent
    to the phone came back, a link sent to the e-mail was opened)."""
    proven = {}
    if user.phone and user.phone_verified_at is not None:
        proven["phone"] = user.phone
    if user.email and user.email_verified_at is not None:
        proven["email"] = user.email
    return proven


def prospects_matching(*, phone: str | None = None, email: str | None = None) -> list[Customer]:
    """Prospects (no account) with this phone (in any of its written forms) or this e-mail
    (any case), oldest first."""
    matches = []
    if phone:
        matches.append(Customer.phone.in_(phone_forms(phone)))
    if email:
        matches.append(sa.func.lower(Customer.email) == email.strip().lower())
    if not matches:
        return []
    return list(db.session.execute(
        sa.select(Customer).where(Customer.user_id.is_(None), sa.or_(*matches))
        .order_by(Customer.id)).scalars())


def _prospect_for(user: User) -> Customer | None:
    """A prospect entered before this person signed up becomes theirs when the account has
    proven the phone or e-mail they share: one profile per person, and nobody reads a
    stranger's history by typing their e-mail."""
    prospects = prospects_matching(**verified_contacts(user))
    if not prospects:
        return None
    prospect = prospects[0]
    prospect.user_id = user.id
    prospect.email = prospect.email or user.email
    prospect.phone = prospect.phone or phone_key(user.phone)
    db.session.flush()
    return prospect


def derive_stage(customer: Customer, is_member: bool, now: datetime) -> str:
    """Stage from the figures: lost or dormant by recency, else VIP, repeat, first, prospect."""
    if customer.orders_count and customer.last_order_at is not None:
        idle = now - customer.last_order_at
        if idle > timedelta(days=365):
            return Stage.LOST
        if idle > timedelta(days=180):
            return Stage.DORMANT
    if is_member:
        return Stage.VIP
    if customer.orders_count > 1:
        return Stage.REPEAT
    if customer.orders_count == 1:
        return Stage.FIRST_TIME
    return Stage.PROSPECT


def refresh_figures(customer: Customer, now: datetime | None = None) -> Customer:
    """Recompute one customer's figures from their orders (one aggregate query)."""
    now = now or utcnow()
    if customer.user_id is not None:
        year_ago = now - timedelta(days=365)
        in_year = Order.created_at >= year_ago
        row = db.session.execute(
            sa.select(
                sa.func.count(Order.id),
                sa.func.coalesce(sa.func.sum(Order.total_amount), 0),
                sa.func.min(Order.created_at), sa.func.max(Order.created_at),
                sa.func.coalesce(sa.func.sum(sa.case((in_year, 1), else_=0)), 0),
                sa.func.coalesce(sa.func.sum(sa.case((in_year, Order.total_amount), else_=0)), 0),
            ).where(Order.user_id == customer.user_id, Order.status.in_(_COUNTED))
        ).one()
        (customer.orders_count, customer.lifetime_amount, first, last,
         customer.frequency, customer.monetary_amount) = row
        # Aggregates come back naive from SQLite; the column type only fixes loaded rows.
        customer.first_order_at = _aware(first)
        customer.last_order_at = _aware(last)
        customer.avg_basket_amount = (customer.lifetime_amount // customer.orders_count
                                      if customer.orders_count else 0)
        customer.favourite_center_id = db.session.execute(
            sa.select(Order.center_id).where(Order.user_id == customer.user_id,
                                             Order.status.in_(_COUNTED))
            .group_by(Order.center_id)
            .order_by(sa.func.count().desc(), sa.func.max(Order.created_at).desc())
            .limit(1)).scalar()
        # the category with the most spent, as the bulk job ranks it
        customer.favourite_category_id = db.session.execute(
            sa.select(Product.category_id)
            .select_from(Order).join(OrderLine, OrderLine.order_id == Order.id)
            .join(Product, Product.id == OrderLine.product_id)
            .where(Order.user_id == customer.user_id, Order.status.in_(_COUNTED))
            .group_by(Product.category_id)
            .order_by(sa.func.sum(OrderLine.line_total_amount).desc(),
                      sa.func.max(Order.created_at).desc(), Product.category_id)
            .limit(1)).scalar()
    member = latest_membership(customer.user_id) if customer.user_id else None
    if member is not None and member.closed_at is not None:
        member = None  # a closed membership was scrubbed: nothing of it comes back
    if member is not None:
        customer.card_number = member.card_number
        customer.marketing_consent = member.marketing_consent
        _take_from_membership(customer, member)
    customer.stage = derive_stage(customer, member is not None, now)
    db.session.flush()
    return customer


def _take_from_membership(customer: Customer, member: Membership) -> None:
    """What the member told us on the VIP form fills the profile's gaps."""
    customer.birthday = customer.birthday or member.birthday
    customer.city = customer.city or member.city
    if member.interests and not customer.interests:
        customer.interests = ", ".join(member.interests)[:300]
    baby = member.baby_birthday
    if baby is not None and not customer.children:
        born = baby <= utcnow().date()
        customer.children.append(Child(birth_date=baby if born else None,
                                       due_date=None if born else baby))


def _aware(value):
    if value is None or getattr(value, "tzinfo", None) is not None:
        return value
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)


def search_condition(q: str):
    """Customers whose name or e-mail holds ``q``, whose phone holds its digits (or ends
    with them, for 4 digits), or whose card or order number it is."""
    q = q.strip()
    like = f"%{q}%"
    conditions = [Customer.name.ilike(like), Customer.email.ilike(like),
                  Customer.card_number == q.upper(),
                  Customer.user_id.in_(sa.select(Order.user_id).where(Order.number == q.upper()))]
    digits = re.sub(r"\D", "", q)
    if digits:
        conditions.append(Customer.phone.like(f"%{digits}") if len(digits) == 4
                          else Customer.phone.like(f"%{digits}%"))
    return sa.or_(*conditions)


def search_customers(q: str | None = None, *, user_id: int | None = None, page: int = 1,
                     per_page: int = PAGE_SIZE, r_score: int | None = None,
                     f_score: int | None = None, segment: str | None = None,
                     stage: str | None = None) -> tuple[list[Customer], int]:
    """By name, phone (whole or last 4 digits), e-mail, card or order number; newest first.

    ``r_score``, ``f_score``, ``segment``, ``stage`` narrow it (a dashboard cell's list).
    """
    query = sa.select(Customer)
    if user_id is not None:
        query = query.where(Customer.user_id == user_id)
    for column, value in ((Customer.r_score, r_score), (Customer.f_score, f_score),
                          (Customer.rfm_segment, segment), (Customer.stage, stage)):
        if value is not None:
            query = query.where(column == value)
    if q:
        query = query.where(search_condition(q))
    items, _page, pages = paginate(
        query.order_by(Customer.last_order_at.desc().nulls_last(), Customer.id.desc()),
        page=page, per_page=per_page)
    return items, pages


def get_customer(customer_id: int) -> Customer:
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        raise NotFound()
    return customer


def customer_360(customer: Customer, viewer: User, *, channel: str = "web") -> dict:
    """Everything about one customer, and a line in the access log for who looked."""
    db.session.add(CustomerAccess(customer_id=customer.id, staff_id=viewer.id, channel=channel))
    orders = []
    membership = None
    if customer.user_id is not None:
        orders = list(db.session.execute(
            sa.select(Order).where(Order.user_id == customer.user_id)
            .order_by(Order.created_at.desc()).limit(50)
            .options(sa.orm.selectinload(Order.lines))).scalars())
        membership = latest_membership(customer.user_id)
    followups = list(db.session.execute(
        sa.select(FollowUp).where(FollowUp.customer_id == customer.id)
        .order_by(FollowUp.due_at.desc())).scalars())
    complaints = list(db.session.execute(
        sa.select(Complaint).where(Complaint.customer_id == customer.id)
        .order_by(Complaint.created_at.desc())).scalars())
    db.session.flush()
    # every purchase online and in store, side by side: orders and amount (one GROUP BY)
    by_channel = {channel: [int(n), int(amount or 0)] for channel, n, amount in (
        db.session.execute(
            sa.select(Order.channel, sa.func.count(Order.id), sa.func.sum(Order.total_amount))
            .where(Order.user_id == customer.user_id, Order.status.in_(_COUNTED))
            .group_by(Order.channel)).all() if customer.user_id is not None else [])}
    recency = None
    if customer.last_order_at is not None:
        recency = (utcnow() - customer.last_order_at).days
    return {
        "customer": customer, "membership": membership, "orders": orders,
        "followups": followups, "complaints": complaints, "recency_days": recency,
        "by_channel": by_channel,
        "segment": customer.stage,
        "favourite_center": (db.session.get(Center, customer.favourite_center_id)
                             if customer.favourite_center_id is not None else None),
        "favourite_category": (db.session.get(Category, customer.favourite_category_id)
                               if customer.favourite_category_id is not None else None),
    }
