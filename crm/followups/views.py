"""Follow-up pages: the agent's queue, a call with its script beside the customer 360, and
the rules page (what the customer center plans, editable by an admin)."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from wtforms.fields.choices import SelectChoice

from core.auth import roles_required
from core.cache import cached_fragment
from core.clock import day_end, shop_today, shop_zone, utcnow
from core.errors import IllegalTransition, ValidationFailed
from core.extensions import db
from core.forms import apply_domain_errors, form_status, submit_form
from core.models import Role
from crm.customers.models import SavedSegment
from crm.customers.services import customer_360, mask_phone
from crm.outreach.labels import CHANNEL_LABELS
from crm.web import (
    CRM_ROLES,
    bp,
    context_360,
    order_numbers,
)
from fulfillment.centers import centers_by_id
from storefront.models import Order

from .forms import FollowUpOutcomeForm, FollowUpRuleForm
from .labels import WHEN_LABELS
from .models import FollowUp, FollowUpRule, FollowUpStatus
from .queue import (
    QUEUE_NAMESPACE,
    complete_followup,
    due_followups,
    get_followup,
    queue_counts,
)
from .rules import get_rule, save_rule
from .scripts import call_script

#: how far ahead the queue shows what is coming
UPCOMING_DAYS = 7

#: the queue's time filters: (after, before) as functions of (now, tonight)
WHEN = {
    "overdue": lambda now, tonight: (None, now),
    "today": lambda now, tonight: (now, tonight),
    "week": lambda now, tonight: (tonight, now + timedelta(days=UPCOMING_DAYS)),
}
@bp.route("/crm")
@roles_required(*CRM_ROLES)
def index():
    """The due follow-ups: overdue and today's first, then what comes this week.

    ``?when=overdue|today|week`` and ``?channel=phone|sms|email|...`` narrow the queue; the
    tabs count each time window and each channel."""
    when = request.args.get("when") if request.args.get("when") in WHEN else None
    channel = (request.args.get("channel") or "")[:20] or None
    # Every agent sees the same queue: it is kept until a follow-up or a customer changes
    # (QUEUE_NAMESPACE), and for the minute it was made in (what is overdue moves with time).
    now = utcnow().replace(second=0, microsecond=0)
    queue = cached_fragment("crm-queue", (QUEUE_NAMESPACE,),
                            (when, channel, now.isoformat()), lambda: _queue(now, when, channel))
    return render_template("crm/index.html", queue=Markup(queue))


def _queue(now, when, requested_channel) -> str:
    tonight = day_end(shop_today())
    after, before = WHEN[when](now, tonight) if when else (None, now + timedelta(
        days=UPCOMING_DAYS))
    by_channel = queue_counts(due_before=before, due_after=after)
    channels = list(CHANNEL_LABELS) + sorted(set(by_channel) - set(CHANNEL_LABELS))
    channel = requested_channel if requested_channel in channels else None
    queue = due_followups(due_before=before, due_after=after, channel=channel)
    due = [f for f in queue if f.due_at < tonight]
    upcoming = [f for f in queue if f.due_at >= tonight]
    by_when = {key: sum(queue_counts(due_before=b, due_after=a, channel=channel).values())
               for key, (a, b) in ((k, fn(now, tonight)) for k, fn in WHEN.items())}
    return render_template(
        "crm/_queue.html", due=due, upcoming=upcoming, now=now, when=when, channel=channel,
        channels=channels, by_channel=by_channel, by_when=by_when, when_labels=WHEN_LABELS,
        numbers=order_numbers({f.order_id for f in queue}), mask_phone=mask_phone)


# --- a follow-up call ------------------------------------------------------------------------


def _morning(day):
    """A planned day as 10:00 shop time (None stays None)."""
    if day is None:
        return None
    return datetime.combine(day, datetime.min.time().replace(hour=10), tzinfo=shop_zone())


def _followup_page(followup: FollowUp, form: FollowUpOutcomeForm, status: int = 200):
    view = customer_360(followup.customer, current_user)
    order = next((o for o in view["orders"] if o.id == followup.order_id), None)
    if order is None and followup.order_id is not None:
        order = db.session.get(Order, followup.order_id)
    fulfillment = order.fulfillment if order is not None else None
    center = centers_by_id([order.center_id]).get(order.center_id) if order is not None else None
    context = context_360(view)
    script = call_script(followup, order, fulfillment, center, agent=current_user.name)
    context.update(followup=followup, order=order, fulfillment=fulfillment, center=center,
                   script=script, form=form, now=utcnow())
    db.session.commit()  # the access log line written by customer_360
    return render_template("crm/followup.html", **context), status


@bp.route("/crm/followups/<int:followup_id>", methods=["GET", "POST"])
@roles_required(*CRM_ROLES)
def followup(followup_id: int):
    item = get_followup(followup_id)
    form = FollowUpOutcomeForm()
    if not form.is_submitted():
        return _followup_page(item, form)
    if form.validate_on_submit():
        try:
            complete_followup(item, current_user, outcome=form.outcome.data,
                              notes=(form.notes.data or "").strip() or None,
                              satisfaction=form.satisfaction.data,
                              next_action=(form.next_action.data or "").strip() or None,
                              next_action_at=_morning(form.next_action_on.data))
        except (ValidationFailed, IllegalTransition) as err:
            db.session.rollback()
            apply_domain_errors(form, err)
            return _followup_page(get_followup(followup_id), form, err.status)
        still_open = item.status == FollowUpStatus.OPEN
        name = item.customer.name
        db.session.commit()
        if still_open:
            flash(_("Noted. We will call %(name)s again tomorrow.", name=name), "success")
        else:
            flash(_("Follow-up with %(name)s recorded.", name=name), "success")
        return redirect(url_for("crm.index"))
    return _followup_page(item, form, 400)


# --- the rules ---------------------------------------------------------------------------------

#: what "days" means for each rule
DELAY_MEANING = {
    "satisfaction": _l("days after hand-over or delivery"),
    "reorder": _l("days before the supply runs out"),
    "welcome": _l("days after the first VIP purchase (at most 29)"),
    "birthday": _l("days after the birthday (0: on the day)"),
    "baby_birthday": _l("days after the baby's birthday (0: on the day)"),
    "winback": _l("days since the last order"),
    "complaint": _l("days after the complaint is resolved"),
    "apology": _l("days after the refund"),
    "no_show": _l("days after the pickup went back to stock"),
}


@bp.route("/crm/followup-rules")
@roles_required(*CRM_ROLES)
def followup_rules_page():
    rules = db.session.execute(sa.select(FollowUpRule).order_by(FollowUpRule.id)).scalars()
    names = dict(db.session.execute(sa.select(SavedSegment.id, SavedSegment.name)).all())
    return render_template("crm/followup_rules.html", rules=list(rules), segments=names,
                           meaning=DELAY_MEANING)


@bp.route("/crm/followup-rules/<kind>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def followup_rule_edit(kind: str):
    rule = get_rule(kind)
    form = FollowUpRuleForm(obj=rule, data={"segment_id": str(rule.segment_id or "")})
    form.segment_id.choices = [SelectChoice("", _("— everyone —"))] + [
        SelectChoice(str(i), n) for i, n in db.session.execute(
            sa.select(SavedSegment.id, SavedSegment.name).order_by(SavedSegment.name)).all()]
    if submit_form(form, lambda: save_rule(
            rule, current_user, active=form.active.data, delay_days=form.delay_days.data,
            channel=form.channel.data, script=form.script.data,
            segment_id=int(form.segment_id.data) if form.segment_id.data else None),
            lambda r: _("Rule saved.")):
        return redirect(url_for("crm.followup_rules_page"))
    return (render_template("crm/followup_rule_form.html", form=form, rule=rule,
                            meaning=DELAY_MEANING.get(kind)), form_status(form))
