"""Needs tags derived by rules the customer center can read and edit.

Each rule is a row (``TagRule``): a tag, a kind of test and its settings. The job applies
every active rule set-based (``apply_tag_rules``). Hand-set tags are never touched.
"""

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql, sqlite

from core.database import analyze, tune_for_bulk
from core.errors import NotFound, ValidationFailed
from core.extensions import db
from core.models import User
from fulfillment.models import Fulfillment
from storefront.models import Category, Order, OrderLine, Product

from .figures import COUNTED, CreateTempTableAs
from .models import Child, Customer, CustomerTag, TagRule
from .profiles import normalize_tag

#: kind -> (its parameters with their bounds, a sentence for people)
KINDS = {
    "baby_age": ({"min_months": (0, 240), "max_months": (1, 240)},
                 _l("a child aged %(min_months)s to %(max_months)s months")),
    "expecting": ({}, _l("a baby on the way (a due date ahead)")),
    "bought_category": ({"category": None},
                        _l("bought from the category “%(category)s”")),
    "delivery_addresses": ({"min_addresses": (2, 50)},
                           _l("sent deliveries to at least %(min_addresses)s addresses")),
    "delivery_only": ({"min_orders": (1, 100)},
                      _l("at least %(min_orders)s orders, every one delivered, none picked up")),
}
#: the rules a new shop starts with (the migration writes them)
DEFAULT_RULES = (
    ("孕期", "expecting", {}),
    ("0-6月龄宝宝", "baby_age", {"min_months": 0, "max_months": 6}),
    ("6-12月龄宝宝", "baby_age", {"min_months": 6, "max_months": 12}),
    ("1-3岁宝宝", "baby_age", {"min_months": 12, "max_months": 36}),
    ("礼品客户", "bought_category", {"category": "gift-boxes"}),
    ("礼品客户", "delivery_addresses", {"min_addresses": 3}),
    ("省时客户", "delivery_only", {"min_orders": 2}),
)


def describe(rule: TagRule) -> str:
    """The rule in words: "Tag “x” when the customer has ..."."""
    _spec, sentence = KINDS[rule.kind]
    return str(_l("Tag “%(tag)s” for customers with %(test)s.", tag=rule.tag,
                  test=sentence % {k: v for k, v in (rule.params or {}).items()}))


def _months_before(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def check_params(kind: str, params: dict) -> dict:
    """The settings of a rule, validated; raises ValidationFailed."""
    if kind not in KINDS:
        raise ValidationFailed(errors={"kind": [str(_l("Not a valid choice."))]})
    spec, _sentence = KINDS[kind]
    clean, errors = {}, {}
    for name, bounds in spec.items():
        value = params.get(name)
        if bounds is None:
            if not value or not db.session.execute(
                    sa.select(Category.id).where(Category.slug == value)).first():
                errors[name] = [str(_l("No such category."))]
            clean[name] = value
            continue
        try:
            value = int(value)
        except (TypeError, ValueError):
            value = None
        if value is None or not bounds[0] <= value <= bounds[1]:
            errors[name] = [str(_l("A number from %(min)d to %(max)d.", min=bounds[0],
                                   max=bounds[1]))]
        clean[name] = value
    if kind == "baby_age" and not errors and clean["min_months"] >= clean["max_months"]:
        errors["max_months"] = [str(_l("The upper age must be above the lower one."))]
    if errors:
        raise ValidationFailed(errors=errors)
    return clean


def save_rule(rule: TagRule | None, agent: User, *, tag: str, kind: str, params: dict,
              active: bool = True) -> TagRule:
    """Create (``rule`` None) or change a tag rule; the next job run applies it."""
    clean = check_params(kind, params)
    tag = normalize_tag(tag)
    if rule is None:
        rule = TagRule()
        db.session.add(rule)
    rule.tag, rule.kind, rule.params, rule.active = tag, kind, clean, active
    rule.updated_by_id = agent.id
    db.session.flush()
    return rule


def get_rule(rule_id: int) -> TagRule:
    rule = db.session.get(TagRule, rule_id)
    if rule is None:
        raise NotFound()
    return rule


def matching(rule: TagRule, today: date) -> sa.Select:
    """The ids of the customers the rule tags, as one SELECT."""
    p = rule.params or {}
    counted = sa.and_(Order.user_id == Customer.user_id, Order.status.in_(COUNTED))
    if rule.kind == "baby_age":
        oldest = _months_before(today, p["max_months"])
        youngest = _months_before(today, p["min_months"])
        test = sa.exists().where(Child.customer_id == Customer.id, Child.birth_date > oldest,
                                 Child.birth_date <= youngest)
    elif rule.kind == "expecting":
        test = sa.exists().where(Child.customer_id == Customer.id, Child.birth_date.is_(None),
                                 Child.due_date >= today)
    elif rule.kind == "bought_category":
        # (uncorrelated IN: one pass over the orders, not one look-up per customer)
        test = Customer.user_id.in_(
            sa.select(Order.user_id).join(OrderLine, OrderLine.order_id == Order.id)
            .join(Product, Product.id == OrderLine.product_id)
            .join(Category, Category.id == Product.category_id)
            .where(Order.status.in_(COUNTED), Category.slug == p["category"]))
    elif rule.kind == "delivery_addresses":
        place = sa.func.coalesce(Fulfillment.address["district"].as_string(), "") + "|" + \
            sa.func.coalesce(Fulfillment.address["street"].as_string(), "")
        test = Customer.user_id.in_(
            sa.select(Order.user_id).join(Fulfillment, Fulfillment.order_id == Order.id)
            .where(Order.status.in_(COUNTED), Fulfillment.method == "delivery")
            .group_by(Order.user_id)
            .having(sa.func.count(sa.distinct(place)) >= p["min_addresses"]))
    elif rule.kind == "delivery_only":
        test = sa.and_(
            Customer.orders_count >= p["min_orders"],
            ~sa.exists().where(counted, Order.fulfillment_method != "delivery"))
    else:
        raise ValueError(rule.kind)
    return sa.select(Customer.id.label("customer_id")).where(test)


#: who each active rule tags, materialized once per run
_WANTED = sa.Table("crm_tag_wanted_tmp", sa.MetaData(), sa.Column("customer_id", sa.Integer),
                   sa.Column("tag", sa.String(40)))


def apply_tag_rules(now) -> str:
    """Job: every rule tag as of ``now``; idempotent. Returns what changed.

    Every active rule is evaluated once, into a temporary table of (customer, tag); then
    one DELETE takes the rule tags no rule gives any more and one INSERT ... SELECT adds
    the new ones (ON CONFLICT DO NOTHING keeps a tag already there, hand-set or written
    concurrently, as it is)."""
    today = now.date()
    rules = db.session.execute(sa.select(TagRule)).scalars().all()
    if not rules:
        return "0 tag(s) added, 0 removed"
    w = _WANTED
    connection = db.session.connection()
    tune_for_bulk(connection)
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {w.name}")
    wanted = [matching(r, today).add_columns(sa.literal(r.tag, sa.String(40)).label("tag"))
              for r in rules if r.active]
    connection.execute(CreateTempTableAs(w.name, sa.union_all(*wanted) if wanted else sa.select(
        sa.cast(sa.null(), sa.Integer).label("customer_id"),
        sa.cast(sa.null(), sa.String(40)).label("tag")).where(sa.false())))
    connection.exec_driver_sql(f"CREATE INDEX {w.name}_customer ON {w.name} (customer_id, tag)")
    analyze(connection, w.name)
    removed = db.session.execute(
        sa.delete(CustomerTag).where(
            CustomerTag.source == "rule", CustomerTag.tag.in_({r.tag for r in rules}),
            ~sa.exists().where(w.c.customer_id == CustomerTag.customer_id,
                               w.c.tag == CustomerTag.tag))
        .execution_options(synchronize_session=False)).rowcount
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    fresh = sa.select(w.c.customer_id, w.c.tag, sa.literal("rule"),
                      sa.literal(now, CustomerTag.created_at.type)).where(sa.true()).distinct()
    # (counted from RETURNING: drivers do not all report the row count of INSERT ... SELECT)
    added = len(db.session.execute(
        dialect.insert(CustomerTag).from_select(
            ["customer_id", "tag", "source", "created_at"], fresh)
        .on_conflict_do_nothing(index_elements=["customer_id", "tag"])
        .returning(CustomerTag.id)).all())
    connection.exec_driver_sql(f"DROP TABLE {w.name}")
    db.session.expire_all()
    return f"{added} tag(s) added, {removed} removed"
