"""Follow-up rules: which contacts the customer center plans, when, through which channel.

Each kind has one editable row (``FollowUpRule``). A call (channel ``phone``) becomes a
follow-up in the agent's queue; an SMS or e-mail goes to the outbox. Either way the
``reason`` (unique) makes each one happen once.
"""

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.clock import shop_date, shop_zone, utcnow
from core.database import tune_for_bulk
from core.errors import NotFound, ValidationFailed
from core.extensions import db
from core.i18n import in_locale
from core.models import User
from core.sql import aggregate_text, at, later_of, month_day_of, plus_days, text, utc_day
from crm.customers.figures import COUNTED
from crm.customers.models import Child, Customer, CustomerTag, SavedSegment
from crm.customers.profiles import baby_age_months
from crm.customers.segments import segment_query
from crm.customers.services import ensure_customer
from crm.outreach.outbox import enqueue
from fulfillment.models import Fulfillment, FulfillmentStatus
from storefront.loyalty.models import Membership
from storefront.models import Order, OrderLine, Product

from .messages import baby_note, default_message
from .models import FollowUpKind, FollowUpRule
from .planning import (
    SCRIPT_FIELDS,
    fill_script,
    marked,
    no_order,
    plan_many,
    render,
    script_placeholders,
)
from .queue import schedule_followup

CHANNELS = ("phone", "sms", "email")
#: what goes into a welcome pack, by needs tag (the rest get the general guide)
PACK_ITEMS = {
    "孕期": _l("pregnancy nutrition guide"), "0-6月龄宝宝": _l("stage 1 feeding guide"),
    "6-12月龄宝宝": _l("weaning recipes"), "1-3岁宝宝": _l("toddler growth chart"),
    "礼品客户": _l("gift wrapping card set"), "省时客户": _l("delivery priority card"),
}
#: how far ahead the job plans reminders and greetings
HORIZON = timedelta(days=7)
#: "valuable" for the win-back call when the rule names no segment
WINBACK_MIN_LIFETIME = 100_000  # fen


def get_rule(kind: str) -> FollowUpRule:
    rule = db.session.execute(sa.select(FollowUpRule).where(FollowUpRule.kind == kind)
                              ).scalar_one_or_none()
    if rule is None:
        raise NotFound()
    return rule


def active_rule(kind: str) -> FollowUpRule | None:
    return db.session.execute(sa.select(FollowUpRule).where(
        FollowUpRule.kind == kind, FollowUpRule.active.is_(True))).scalar_one_or_none()


def script_problem(script: str) -> str | None:
    """What is wrong with a script (too long, a broken or unknown placeholder), or None.

    A placeholder is one of ``SCRIPT_FIELDS``, bare: ``{name}``. A format spec
    (``{name:>100000000}`` would build a 100 MB text for each message), a conversion
    (``{name!r}``), an attribute or an index (``{name.__class__}``, ``{name[0]}``) or a name
    not on the list is refused.
    """
    if len(script) > 2000:
        return str(_l("At most 2000 characters."))
    placeholders = script_placeholders(script)
    if placeholders is None or any(name not in SCRIPT_FIELDS or spec or conversion
                                   for name, spec, conversion in placeholders):
        return str(_l("Use only the placeholders %(names)s, as they are written here.",
                      names=", ".join(f"{{{name}}}" for name in SCRIPT_FIELDS)))
    return None


def save_rule(rule: FollowUpRule, agent: User, *, active: bool, delay_days: int, channel: str,
              script: str | None, segment_id: int | None) -> FollowUpRule:
    errors = {}
    if channel not in CHANNELS:
        errors["channel"] = [str(_l("Not a valid choice."))]
    if delay_days is None or not -60 <= delay_days <= 365:
        errors["delay_days"] = [str(_l("A number of days from -60 to 365."))]
    if script and (problem := script_problem(script)):
        errors["script"] = [problem]
    if errors:
        raise ValidationFailed(errors=errors)
    rule.active, rule.delay_days, rule.channel = active, delay_days, channel
    rule.script, rule.segment_id = (script or "").strip() or None, segment_id
    rule.updated_by_id = agent.id
    db.session.flush()
    return rule


def in_segment(rule: FollowUpRule, customer: Customer) -> bool:
    if rule.segment_id is None:
        return True
    segment = db.session.get(SavedSegment, rule.segment_id)
    if segment is None:
        return True
    query = segment_query(segment.filters).where(Customer.id == customer.id)
    return db.session.execute(query.with_only_columns(Customer.id)).first() is not None


def render_script(template: str, customer: Customer, *, products: str = "", agent: str = ""
                  ) -> str:
    """Fill a rule's script: {name}, {products}, {baby_age}, {shop}, {agent}."""
    months = baby_age_months(customer)
    values = {"name": customer.name, "products": products, "agent": agent,
              "shop": current_app.config["SHOP_NAME"],
              "baby_age": str(months) if months is not None else ""}
    return fill_script(template, values)


def plan(rule: FollowUpRule, customer: Customer, *, reason: str, due_at: datetime,
         order_id: int | None = None, task: str | None = None, products: str = ""):
    """One contact by the rule's channel: a call in the queue or a message in the outbox.
    Returns what was planned, or None when it was planned before or the segment excludes
    the customer."""
    if not in_segment(rule, customer):
        return None
    if rule.channel == "phone":
        followup = schedule_followup(customer, kind=rule.kind, reason=reason, due_at=due_at,
                                     order_id=order_id, channel="phone")
        if followup is not None and task:
            followup.task = task
        return followup
    with in_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject, body = default_message(rule.kind, customer, products,
                                        baby_note(baby_age_months(customer)))
        if rule.script:
            body = render_script(rule.script, customer, products=products)
    return enqueue(channel=rule.channel, kind=rule.kind, subject=subject, body=body,
                   customer_id=customer.id, user_id=customer.user_id, dedupe_key=reason,
                   send_after=due_at)


# --- the rules: each one INSERT ... SELECT (planning.py) ---------------------------------


def satisfaction_calls(rule: FollowUpRule, now) -> int:
    """A call ``delay`` days after each hand-over or delivery of the last 30 days."""
    return plan_many(rule, sa.select(
        Customer.id.label("customer_id"), Order.id.label("order_id"),
        (sa.literal("satisfaction:order:") + text(Order.id)).label("reason"),
        plus_days(Fulfillment.completed_at, rule.delay_days).label("due_at"))
        .join(Order, Order.id == Fulfillment.order_id)
        .join(Customer, Customer.user_id == Order.user_id)
        .where(Fulfillment.status.in_(FulfillmentStatus.DONE),
               Fulfillment.completed_at >= at(now - timedelta(days=30))), now)


def reorder_reminders(rule: FollowUpRule, now) -> int:
    """A reminder ``delay`` days before a product's supply (days of supply x quantity)
    runs out, unless the customer bought it again since."""
    later = sa.orm.aliased(Order)
    later_line = sa.orm.aliased(OrderLine)
    remind = plus_days(sa.func.coalesce(Order.fulfilled_at, Order.created_at),
                       Product.days_of_supply * OrderLine.quantity - rule.delay_days)
    due = (sa.select(Customer.id.label("customer_id"), Order.id.label("order_id"),
                     (sa.literal("reorder:order:") + text(Order.id) + ":"
                      + text(OrderLine.product_id)).label("reason"),
                     remind.label("remind"), OrderLine.name_zh.label("products"))
           .join(OrderLine, OrderLine.order_id == Order.id)
           .join(Product, Product.id == OrderLine.product_id)
           .join(Customer, Customer.user_id == Order.user_id)
           .where(Order.status.in_(COUNTED), Product.days_of_supply.is_not(None),
                  Order.created_at >= at(now - timedelta(days=400)),
                  ~sa.exists().where(later.user_id == Order.user_id,
                                     later.created_at > Order.created_at,
                                     later.status.in_(COUNTED), later_line.order_id == later.id,
                                     later_line.product_id == OrderLine.product_id))
           ).subquery()
    return plan_many(rule, sa.select(
        due.c.customer_id, due.c.order_id, due.c.reason, due.c.products,
        later_of(due.c.remind, at(now)).label("due_at"))
        .where(due.c.remind >= at(now - HORIZON), due.c.remind <= at(now + HORIZON)), now)


def welcome_packs(rule: FollowUpRule, now) -> int:
    """A task within 30 days of a member's first purchase as a VIP, the pack chosen from
    the customer's needs tags."""
    first_vip = (sa.select(Membership.user_id, sa.func.min(Order.created_at).label("first"))
                 .join(Order, sa.and_(Order.user_id == Membership.user_id,
                                      Order.created_at >= Membership.joined_at,
                                      Order.status.in_(COUNTED)))
                 .group_by(Membership.user_id)
                 .having(sa.func.min(Order.created_at) >= at(now - timedelta(days=30)))
                 .subquery())
    with in_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        pack = {tag: str(item) for tag, item in PACK_ITEMS.items()}
        general, guide = str(_l("brand story booklet")), str(_l("member guide"))
        task = _("Welcome pack: %(items)s, with a handwritten card.", items=marked("items"))
    chosen = (sa.select(aggregate_text(sa.case(pack, value=CustomerTag.tag), ", "))
              .where(CustomerTag.customer_id == Customer.id, CustomerTag.tag.in_(list(pack)))
              .scalar_subquery())
    items = sa.literal(guide + ", ") + sa.func.coalesce(chosen, general)
    return plan_many(rule, sa.select(
        Customer.id.label("customer_id"), no_order(),
        (sa.literal("welcome:customer:") + text(Customer.id)).label("reason"),
        later_of(plus_days(first_vip.c.first, min(rule.delay_days, 29)), at(now))
        .label("due_at"), render(task, {"items": items}).label("task"))
        .join(first_vip, first_vip.c.user_id == Customer.user_id)
        .where(first_vip.c.first <= at(now)), now)


def _upcoming_days(now) -> list[date]:
    today = shop_date(now)
    return [today + timedelta(days=n) for n in range(HORIZON.days + 1)]


def _greeting_time(day: date) -> datetime:
    return datetime.combine(day, time(10, 0), tzinfo=shop_zone())


def birthdays(rule: FollowUpRule, now, *, baby: bool) -> int:
    """Greetings for the coming week's birthdays: the member's, or the baby's."""
    days = {f"{d.month:02d}-{d.day:02d}": d for d in _upcoming_days(now)}
    column = Child.birth_date if baby else Customer.birthday
    month_day = month_day_of(column)
    year = sa.case({md: str(d.year) for md, d in days.items()}, value=month_day)
    greeting = sa.case({md: at(_greeting_time(d) + timedelta(days=rule.delay_days))
                        for md, d in days.items()}, value=month_day)
    what, key = (("baby-birthday:child:", Child.id) if baby
                 else ("birthday:customer:", Customer.id))
    query = sa.select(
        Customer.id.label("customer_id"), no_order(),
        (sa.literal(what) + text(key) + ":" + year).label("reason"),
        later_of(greeting, at(now)).label("due_at"))
    if baby:
        query = query.join(Child, Child.customer_id == Customer.id)
    return plan_many(rule, query.where(column.is_not(None), month_day.in_(list(days))), now)


def winback_calls(rule: FollowUpRule, now) -> int:
    """A call to valuable customers (the rule's segment, else a lifetime value of at
    least 1,000 yuan) whose last order is ``delay`` days old; once per dormancy."""
    query = sa.select(
        Customer.id.label("customer_id"), no_order(),
        (sa.literal("winback:customer:") + text(Customer.id) + ":"
         + utc_day(Customer.last_order_at)).label("reason"), at(now).label("due_at")
    ).where(Customer.last_order_at <= at(now - timedelta(days=rule.delay_days)),
            Customer.last_order_at > at(now - timedelta(days=rule.delay_days + 60)))
    if rule.segment_id is None:
        query = query.where(Customer.lifetime_amount >= WINBACK_MIN_LIFETIME)
    return plan_many(rule, query, now)


def run_rules(now) -> str:
    """Job: plan what every active rule calls for as of ``now``; idempotent by reason."""
    tune_for_bulk(db.session.connection())
    counts = {}
    for kind, fn in ((FollowUpKind.SATISFACTION, satisfaction_calls),
                     (FollowUpKind.REORDER, reorder_reminders),
                     (FollowUpKind.WELCOME, welcome_packs),
                     (FollowUpKind.BIRTHDAY, lambda r, n: birthdays(r, n, baby=False)),
                     (FollowUpKind.BABY_BIRTHDAY, lambda r, n: birthdays(r, n, baby=True)),
                     (FollowUpKind.WINBACK, winback_calls)):
        rule = active_rule(kind)
        counts[kind] = fn(rule, now) if rule is not None else 0
    return ", ".join(f"{n} {kind}" for kind, n in counts.items())


# --- from signals ------------------------------------------------------------------------------


def plan_for_order(kind: str, order: Order, now) -> object | None:
    """An apology call (refund for a late payment), an ask-why call (no-show), ..."""
    rule = active_rule(kind)
    user = db.session.get(User, order.user_id) if order.user_id is not None else None
    if rule is None or user is None or user.is_staff_member:
        return None
    return plan(rule, ensure_customer(user), reason=f"{kind}:order:{order.id}",
                due_at=now + timedelta(days=rule.delay_days), order_id=order.id)


def plan_satisfaction_call(fulfillment: Fulfillment):
    """From the hand-over or delivery signal: the satisfaction call, by the rule."""
    rule = active_rule(FollowUpKind.SATISFACTION)
    order = db.session.get(Order, fulfillment.order_id)
    user = db.session.get(User, order.user_id) if order.user_id is not None else None
    if rule is None or user is None:
        return None
    return plan(rule, ensure_customer(user), reason=f"satisfaction:order:{order.id}",
                due_at=(fulfillment.completed_at or utcnow())
                + timedelta(days=rule.delay_days), order_id=order.id)
