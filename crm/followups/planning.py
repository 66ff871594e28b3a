"""Set-based planning for the follow-up rules: one INSERT ... SELECT per rule.

A rule hands over its candidates as one SELECT (customer, order, reason, due time, and the
products or task where it has them). ``plan_many`` turns them into follow-ups (a call) or
outbox messages (SMS / e-mail, their text rendered in SQL from the rule's script or the
default message) through ``plan_contacts``, which the campaigns use as well, with the
uniqueness guard in SQL: NOT EXISTS for the reason, and ON CONFLICT DO NOTHING for a twin
inserted concurrently. Date arithmetic and text
read the same on PostgreSQL and SQLite through ``core.sql``.
"""

import re
import string
from datetime import date
from types import SimpleNamespace

import sqlalchemy as sa
from flask import current_app

from core.clock import shop_date
from core.extensions import db
from core.i18n import in_locale
from core.sql import at, date_part, insert_ignoring_twins, text
from crm.customers.models import Child, Customer, SavedSegment
from crm.customers.segments import segment_query
from crm.outreach.models import OutboxMessage
from crm.outreach.outbox import purpose_of

from .messages import BABY_MONTHS, baby_note, default_message
from .models import FollowUp, FollowUpRule, FollowUpStatus

_MARK = "\x1f"
_FIELD = re.compile(_MARK + r"(\w+)" + _MARK)
#: the placeholders a written script (a rule's, a campaign's) may use, each bare: ``{name}``
SCRIPT_FIELDS = ("name", "products", "baby_age", "shop", "agent")


def script_placeholders(script: str) -> list[tuple[str, str | None, str | None]] | None:
    """Each placeholder of ``script`` as ``(name, format spec, conversion)``, read by
    ``string.Formatter().parse``; None when the braces do not pair up."""
    try:
        return [(name, spec, conversion)
                for _literal, name, spec, conversion in string.Formatter().parse(script)
                if name is not None]
    except ValueError:
        return None


def fill_script(script: str, values: dict) -> str:
    """A written script with its placeholders filled from ``values`` (a name it lacks: "").

    Only the bare name is looked up: a format spec, a conversion, an attribute or an index
    in a placeholder is never applied (``{name:>100000000}`` fills in the name once), so a
    script saved before ``script_problem`` refused them cannot build a huge text either.
    """
    try:
        parts = list(string.Formatter().parse(script))
    except ValueError:
        return script
    out = []
    for literal, name, _spec, _conversion in parts:
        out.append(literal)
        if name is not None:
            out.append(str(values.get(name, "")))
    return "".join(out)


def no_order() -> sa.ColumnElement:
    """The ``order_id`` of a candidate about no order (typed, for PostgreSQL)."""
    return sa.cast(sa.null(), sa.Integer).label("order_id")


def baby_age_sql(today: date) -> sa.ColumnElement:
    """The youngest born child's age in whole months (``profiles.baby_age_months``)."""
    months = (today.year * 12 + today.month
              - date_part(Child.birth_date, "year") * 12 - date_part(Child.birth_date, "month")
              - sa.case((date_part(Child.birth_date, "day") > today.day, 1), else_=0))
    return (sa.select(sa.func.min(months))
            .where(Child.customer_id == Customer.id, Child.birth_date.is_not(None),
                   Child.birth_date <= today).scalar_subquery())


def render(template: str, fields: dict[str, sa.ColumnElement]) -> sa.ColumnElement:
    """A text rendered with ``{field}`` markers (see ``marked``) as one SQL expression."""
    parts = _FIELD.split(template)
    expr = sa.literal(parts[0], sa.String)
    for i in range(1, len(parts), 2):
        value = fields.get(parts[i])
        if value is not None:
            expr = expr + sa.func.coalesce(text(value), "")
        if parts[i + 1]:
            expr = expr + parts[i + 1]
    return expr


def marked(name: str) -> str:
    """A stand-in for a per-customer value while a message is built, replaced in SQL."""
    return f"{_MARK}{name}{_MARK}"


def script_text(script: str) -> str:
    """A script (a rule's or a campaign's) with markers for the per-customer values."""
    values = {"name": marked("name"), "products": marked("products"),
              "baby_age": marked("baby_age"), "shop": current_app.config["SHOP_NAME"]}
    return fill_script(script, values)


def _message(rule: FollowUpRule) -> tuple[str, str]:
    """The subject and body with markers, in the shop's language."""
    stand_in = SimpleNamespace(name=marked("name"))
    with in_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject, body = default_message(rule.kind, stand_in, marked("products"),
                                        marked("baby_note"))
    if rule.script:
        body = script_text(rule.script)
    return subject, body


def plan_many(rule: FollowUpRule, candidates: sa.Select, now) -> int:
    """Plan, by the rule's channel, a contact for each candidate not planned before.

    ``candidates`` selects ``customer_id``, ``order_id``, ``reason``, ``due_at`` and
    optionally ``products`` and ``task``. Returns how many were planned.
    """
    among = None
    if rule.segment_id is not None:
        segment = db.session.get(SavedSegment, rule.segment_id)
        if segment is not None:
            among = segment_query(segment.filters, now).with_only_columns(Customer.id)
    subject, body = _message(rule) if rule.channel != "phone" else ("", "")
    return plan_contacts(candidates, now, channel=rule.channel, kind=rule.kind,
                         subject=subject, body=body, among=among)


def plan_contacts(candidates: sa.Select, now, *, channel: str, kind: str, subject: str = "",
                  body: str = "", purpose: str | None = None, among: sa.Select | None = None,
                  campaign_id: int | None = None) -> int:
    """A call in the queue (``channel`` phone) or a message in the outbox for each candidate
    not planned before, in one INSERT ... SELECT; returns how many were planned.

    ``candidates`` selects ``customer_id``, ``order_id``, ``reason`` (the call's reason, the
    message's dedupe key), ``due_at`` and optionally ``products`` and ``task``. ``body`` has
    markers (``marked``) for the customer's values, rendered in SQL. ``among`` (a SELECT of
    customer ids) narrows the candidates; ``purpose`` defaults to the kind's;
    ``campaign_id`` marks what a campaign planned.
    """
    c = candidates.subquery("candidates")
    columns = c.c
    conditions = [sa.true()]
    if among is not None:
        conditions.append(columns.customer_id.in_(among))
    tagged, tags = [], []
    if campaign_id is not None:
        tagged, tags = [sa.literal(campaign_id)], ["campaign_id"]
    products = columns.products if "products" in columns else None
    if channel == "phone":
        conditions.append(~sa.exists().where(FollowUp.reason == columns.reason))
        task = columns.task if "task" in columns else sa.cast(sa.null(), sa.Text)
        select = sa.select(columns.customer_id, columns.order_id, sa.literal(kind),
                           columns.reason, sa.literal("phone"), columns.due_at,
                           sa.literal(FollowUpStatus.OPEN), sa.literal(0), task, *tagged,
                           at(now)).where(*conditions)
        names = ["customer_id", "order_id", "kind", "reason", "channel", "due_at", "status",
                 "attempts", "task", *tags, "created_at"]
        return insert_ignoring_twins(FollowUp, names, select, "reason")
    conditions.append(~sa.exists().where(OutboxMessage.dedupe_key == columns.reason))
    fields = {"name": Customer.name, "products": products}
    if marked("baby_age") in body:
        fields["baby_age"] = baby_age_sql(shop_date(now))
    if marked("baby_note") in body:
        fields["baby_note"] = _baby_note_sql(baby_age_sql(shop_date(now)))
    select = (sa.select(sa.literal(channel), sa.literal(kind),
                        sa.literal(purpose or purpose_of(kind)), columns.customer_id,
                        Customer.user_id, sa.literal(subject), render(body, fields),
                        columns.reason, sa.literal("pending"), columns.due_at, sa.literal(0),
                        *tagged, at(now))
              .select_from(c).join(Customer, Customer.id == columns.customer_id)
              .where(*conditions))
    names = ["channel", "kind", "purpose", "customer_id", "user_id", "subject", "body",
             "dedupe_key", "status", "send_after", "attempts", *tags, "created_at"]
    return insert_ignoring_twins(OutboxMessage, names, select, "dedupe_key")


def _baby_note_sql(months: sa.ColumnElement) -> sa.ColumnElement:
    """``messages.baby_note`` in SQL: the sentence with the age, or ''."""
    with in_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        one, many = (baby_note(marked("months"), count=n) for n in (1, 2))
    return sa.case((months.is_(None), ""), (months >= BABY_MONTHS, ""),
                   (months == 1, render(one, {"months": months})),
                   else_=render(many, {"months": months}))
