"""Club tiers: spend over a rolling 12 months, net of refunds; upgrades at once, downgrades
only at the yearly review (a refund lowers the spend shown and reviewed, not the tier).

Member prices per product and tier live here too: a tier's price, where one is set, beats
the product's base member price when it is lower.
"""

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.cache import mark_changed
from core.clock import utcnow
from core.errors import Forbidden, ValidationFailed
from core.extensions import db
from core.i18n import money_filter
from core.models import Role, User
from core.signals import member_tier_changed

from ..models import Order, OrderStatus, Product
from ..payments.models import Refund, RefundStatus
from .models import MemberPrice, Membership, Tier, TierRule

#: the window the tier is computed over
SPEND_WINDOW = timedelta(days=365)
#: how often a membership's tier is reviewed (downgrades happen only then)
REVIEW_EVERY = timedelta(days=365)


def tier_rules() -> list[TierRule]:
    """The tiers, lowest first."""
    return list(db.session.execute(
        sa.select(TierRule).order_by(TierRule.threshold_amount, TierRule.position)).scalars())


def rule_for(code: str) -> TierRule | None:
    return db.session.execute(sa.select(TierRule).where(TierRule.code == code)).scalar_one_or_none()


def rolling_spend(membership: Membership, now=None) -> int:
    """What the member spent, net of refunds, on orders fulfilled in the last 12 months (fen).

    Every refund that went through (in full, by lines or by amount) is taken off, so money
    given back does not keep a tier; a wholly refunded order counts for nothing. After a
    user closed a membership and joined again, only orders since the closing count.
    """
    since = (now or utcnow()) - SPEND_WINDOW
    closed = db.session.execute(sa.select(sa.func.max(Membership.closed_at)).where(
        Membership.user_id == membership.user_id, Membership.id != membership.id)).scalar()
    if closed is not None and closed > since:
        since = closed
    counted = (Order.user_id == membership.user_id,
               Order.status.in_((OrderStatus.FULFILLED, OrderStatus.REFUNDED)),
               Order.fulfilled_at >= since)
    spent = sa.select(sa.func.coalesce(sa.func.sum(Order.total_amount), 0)).where(*counted)
    refunded = (sa.select(sa.func.coalesce(sa.func.sum(Refund.amount), 0))
                .join(Order, Order.id == Refund.order_id)
                .where(*counted, Refund.status == RefundStatus.SUCCEEDED))
    return max(0, db.session.execute(
        sa.select(spent.scalar_subquery() - refunded.scalar_subquery())).scalar_one())


def tier_for_spend(spend: int, rules: list[TierRule]) -> str:
    """The highest tier whose threshold ``spend`` reaches."""
    code = Tier.CLASSIC
    for rule in rules:
        if spend >= rule.threshold_amount:
            code = rule.code
    return code


def _rank(code: str, rules: list[TierRule]) -> int:
    return next((i for i, r in enumerate(rules) if r.code == code), 0)


@dataclass
class TierProgress:
    current: TierRule | None
    next: TierRule | None
    spend: int
    #: fen still to spend for the next tier (0 at the top)
    remaining: int
    #: 0..100, how far along the way to the next tier
    percent: int


def tier_progress(membership: Membership, now=None) -> TierProgress:
    """Where the member stands: this tier, the next one and how far it is."""
    rules = tier_rules()
    spend = rolling_spend(membership, now)
    rank = _rank(membership.tier, rules)
    current = rules[rank] if rules else None
    nxt = rules[rank + 1] if rank + 1 < len(rules) else None
    if nxt is None:
        return TierProgress(current, None, spend, 0, 100)
    base = current.threshold_amount if current else 0
    span = max(nxt.threshold_amount - base, 1)
    percent = max(0, min(100, (spend - base) * 100 // span))
    return TierProgress(current, nxt, spend, max(nxt.threshold_amount - spend, 0), percent)


def _set_tier(membership: Membership, code: str) -> None:
    old = membership.tier
    if old == code:
        return
    membership.tier = code
    db.session.flush()
    member_tier_changed.send(membership, old=old, new=code)


def upgrade_tier(membership: Membership, now=None) -> Membership:
    """Move the member up at once when their 12-month spend crossed a threshold (never down)."""
    rules = tier_rules()
    target = tier_for_spend(rolling_spend(membership, now), rules)
    if _rank(target, rules) > _rank(membership.tier, rules):
        _set_tier(membership, target)
    return membership


def review_tiers(now) -> str:
    """Job: the yearly review; each membership due gets the tier its spend earns, up or down.

    A membership is due a year after joining, then a year after each review.
    """
    rules = tier_rules()
    cutoff = now - REVIEW_EVERY
    due = db.session.execute(
        sa.select(Membership).where(
            Membership.closed_at.is_(None),
            sa.func.coalesce(Membership.tier_reviewed_at, Membership.joined_at) <= cutoff)
    ).scalars().all()
    changed = 0
    for membership in due:
        target = tier_for_spend(rolling_spend(membership, now), rules)
        if target != membership.tier:
            changed += 1
            _set_tier(membership, target)
        membership.tier_reviewed_at = now
    db.session.flush()
    return f"{len(due)} membership(s) reviewed, {changed} tier(s) changed"


def _ladder_errors(rule: TierRule, threshold: int) -> dict:
    """Each tier's threshold lies above the one below it and below the one above it."""
    ladder = sorted((r for r in tier_rules() if r.code in Tier.ALL),
                    key=lambda r: Tier.ALL.index(r.code))
    at = next(i for i, r in enumerate(ladder) if r.code == rule.code)
    below = ladder[at - 1] if at > 0 else None
    above = ladder[at + 1] if at + 1 < len(ladder) else None
    if below is not None and threshold <= below.threshold_amount:
        return {"threshold": [str(_l("Set it above %(tier)s's threshold (%(amount)s).",
                                     tier=below.name_zh,
                                     amount=money_filter(below.threshold_amount)))]}
    if above is not None and threshold >= above.threshold_amount:
        return {"threshold": [str(_l("Set it below %(tier)s's threshold (%(amount)s).",
                                     tier=above.name_zh,
                                     amount=money_filter(above.threshold_amount)))]}
    return {}


def update_tier_rule(rule: TierRule, data: dict, actor: User) -> TierRule:
    """Admin: rename a tier, set its threshold (fen), points rate and price rounding."""
    if actor.role != Role.ADMIN:
        raise Forbidden()
    errors = {}
    name = (data.get("name_zh") or "").strip()
    if not name:
        errors["name_zh"] = [str(_l("Enter a name."))]
    threshold, rate = data.get("threshold_amount"), data.get("points_per_100_yuan")
    if not isinstance(threshold, int) or threshold < 0:
        errors["threshold"] = [str(_l("Enter an amount in yuan, 0 or more, like 128.00."))]
    elif rule.code == Tier.CLASSIC and threshold != 0:
        errors["threshold"] = [str(_l("The entry tier starts at 0."))]
    else:
        errors.update(_ladder_errors(rule, threshold))
    if not isinstance(rate, int) or not 0 <= rate <= 10_000:
        errors["points_per_100_yuan"] = [str(_l("Enter a whole number from 0 to 10000."))]
    rounding = data.get("price_rounding", rule.price_rounding)
    if rounding not in ROUNDING:
        errors["price_rounding"] = [str(_l("Choose how member prices are rounded."))]
    if errors:
        raise ValidationFailed(errors=errors)
    if rounding != rule.price_rounding:
        rule.price_rounding = rounding
        mark_changed(db.session, "catalog")
    rule.name_zh = name
    rule.name_en = (data.get("name_en") or "").strip() or None
    rule.threshold_amount = threshold
    rule.points_per_100_yuan = rate
    db.session.flush()
    return rule


# --- member prices ----------------------------------------------------------------------------


#: how a tier's member prices may be rounded (down, in the shopper's favour): step in fen
ROUNDING = {1: _l("Exact (no rounding)"), 10: _l("Down to the jiao (0.10 yuan)"),
            100: _l("Down to the whole yuan"), 1000: _l("Down to ten yuan")}


def round_price(amount: int, step: int) -> int:
    """``amount`` rounded down to a multiple of ``step`` (fen)."""
    return amount - amount % step if step > 1 else amount


def tier_prices_for(products: list[Product], tier: str | None) -> dict[int, int]:
    """``{product_id: what a member of this tier pays}`` for these products (two queries).

    The lower of the product's member price and the price set for the tier, rounded down
    by the tier's rule (``TierRule.price_rounding``); only where it beats the list price.
    """
    return prices_for_member(products, tier)[0]


def explicit_tier_prices(products: list[Product], tier: str | None) -> dict[int, int]:
    """``{product_id: price}`` the admin set for this tier on these products (one query)."""
    ids = [p.id for p in products]
    if not tier or not ids:
        return {}
    return dict(db.session.execute(
        sa.select(MemberPrice.product_id, MemberPrice.price_amount)
        .where(MemberPrice.tier == tier, MemberPrice.product_id.in_(ids))).all())


def prices_for_member(products: list[Product], tier: str | None) -> tuple[dict, dict]:
    """``tier_prices_for`` and ``explicit_tier_prices`` at once, for pricing an order: two
    queries (the tier's rounding, the prices set for it), not three."""
    if not tier or not products:
        return {}, {}
    step = db.session.execute(
        sa.select(TierRule.price_rounding).where(TierRule.code == tier)).scalar() or 1
    own = explicit_tier_prices(products, tier)
    prices = {}
    for p in products:
        offers = [a for a in (p.member_price_amount, own.get(p.id)) if a is not None]
        if offers:
            price = round_price(min(offers), step)
            if price < p.price_amount:
                prices[p.id] = price
    return prices, own


def tier_price_applied(product: Product, set_for_tier: dict[int, int]) -> bool:
    """The price set for the member's tier (``explicit_tier_prices``) made the member price."""
    own = set_for_tier.get(product.id)
    return own is not None and (product.member_price_amount is None
                                or own <= product.member_price_amount)


def entry_tier() -> TierRule | None:
    """The tier a new member starts on (the lowest threshold)."""
    return db.session.execute(
        sa.select(TierRule).order_by(TierRule.threshold_amount, TierRule.position).limit(1)
    ).scalar()


def catalog_prices(products: list[Product], tier: str | None) -> dict:
    """What the catalog shows: a member's own prices; to everyone else, what a new member
    pays (the entry tier's prices, with that tier named), never a higher tier's.

    ``{"tier": the viewer's tier or None, "entry": the entry TierRule (guests) or None,
    "prices": {product_id: amount}}``, only for products where a member price beats the
    list price.
    """
    if tier:
        return {"tier": tier, "entry": None, "prices": tier_prices_for(products, tier)}
    entry = entry_tier()
    return {"tier": None, "entry": entry,
            "prices": tier_prices_for(products, entry.code if entry else Tier.CLASSIC)}


def member_prices_of(product: Product) -> dict[str, int]:
    """``{tier: price}`` set on this product."""
    return dict(db.session.execute(
        sa.select(MemberPrice.tier, MemberPrice.price_amount)
        .where(MemberPrice.product_id == product.id)).all())


def set_member_prices(product: Product, prices: dict[str, int | None]) -> None:
    """Set (or clear, with None) the product's price per tier; none may exceed its price.

    Called by the product services, which check the actor; raises ``ValidationFailed``.
    """
    errors = {}
    for tier, amount in prices.items():
        if tier not in Tier.ALL:
            errors[f"price_{tier}"] = [str(_l("Unknown tier."))]
        elif amount is not None and (not isinstance(amount, int) or amount < 0):
            errors[f"price_{tier}"] = [str(_l("Enter an amount in yuan, 0 or more, like 128.00."))]
        elif amount is not None and amount > product.price_amount:
            errors[f"price_{tier}"] = [str(_l("The member price cannot be above the price."))]
    if errors:
        raise ValidationFailed(errors=errors)
    existing = {row.tier: row for row in db.session.execute(
        sa.select(MemberPrice).where(MemberPrice.product_id == product.id)).scalars()}
    for tier, amount in prices.items():
        row = existing.get(tier)
        if amount is None:
            if row is not None:
                db.session.delete(row)
        elif row is None:
            db.session.add(MemberPrice(product_id=product.id, tier=tier, price_amount=amount))
        else:
            row.price_amount = amount
    db.session.flush()
    mark_changed(db.session, "catalog")
