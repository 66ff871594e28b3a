"""HTML pages of the customer center: the follow-up queue, customers, the 360, a call."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core.auth import roles_required
from core.clock import day_end, shop_today, shop_zone, utcnow
from core.errors import IllegalTransition, ValidationFailed
from core.extensions import db
from core.forms import apply_domain_errors
from core.models import Role
from fulfillment.models import Center
from storefront.models import Order, Tier

from . import profiles
from .call_scripts import call_script
from .customers import customer_360, get_customer, mask_phone, search_customers
from .figures import Segment
from .followups import complete_followup, due_followups, get_followup, queue_counts
from .forms import (
    CHANNEL_CHOICE_LABELS,
    OUTCOME_LABELS,
    SOURCE_LABELS,
    TIME_LABELS,
    ChildForm,
    CustomerSearchForm,
    FollowUpOutcomeForm,
    TagForm,
)
from .models import FollowUp, FollowUpKind, FollowUpStatus, OutboxStatus, Stage

bp = Blueprint("crm", __name__)

CRM_ROLES = (Role.CRM, Role.ADMIN)
#: how far ahead the queue shows what is coming
UPCOMING_DAYS = 7

STAGE_LABELS = {
    Stage.PROSPECT: _l("Prospect"), Stage.FIRST_TIME: _l("First-time buyer"),
    Stage.REPEAT: _l("Repeat buyer"), Stage.VIP: _l("VIP"), Stage.DORMANT: _l("Dormant"),
    Stage.LOST: _l("Lost"),
}
STAGE_BADGES = {
    Stage.PROSPECT: "", Stage.FIRST_TIME: "badge-info", Stage.REPEAT: "badge-ok",
    Stage.VIP: "badge-vip", Stage.DORMANT: "badge-warn", Stage.LOST: "badge-bad",
}
KIND_LABELS = {
    FollowUpKind.SATISFACTION: _l("Satisfaction call"),
    FollowUpKind.REORDER: _l("Reorder reminder"),
    FollowUpKind.WELCOME: _l("Welcome pack"), FollowUpKind.BIRTHDAY: _l("Birthday greeting"),
    FollowUpKind.WINBACK: _l("Win-back call"), FollowUpKind.COMPLAINT: _l("Complaint follow-up"),
    FollowUpKind.BABY_BIRTHDAY: _l("Baby's birthday"), FollowUpKind.APOLOGY: _l("Apology call"),
    FollowUpKind.NO_SHOW: _l("Uncollected pickup"), FollowUpKind.NEXT_ACTION: _l("Next action"),
    FollowUpKind.RECALL: _l("Recall call"), FollowUpKind.CAMPAIGN: _l("Campaign call"),
}
FOLLOWUP_STATUS_LABELS = {
    FollowUpStatus.OPEN: _l("Open"), FollowUpStatus.DONE: _l("Done"),
    FollowUpStatus.UNREACHED: _l("Unreached"), FollowUpStatus.CANCELLED: _l("Cancelled"),
}
ORDER_STATUS_LABELS = {
    "pending_payment": _l("Awaiting payment"), "paid": _l("Paid"), "confirmed": _l("Confirmed"),
    "fulfilled": _l("Completed"), "cancelled": _l("Cancelled"), "refunded": _l("Refunded"),
}
TIER_LABELS = {Tier.CLASSIC: _l("Classic"), Tier.SILVER: _l("Silver"), Tier.GOLD: _l("Gold"),
               Tier.DIAMOND: _l("Diamond")}
METHOD_LABELS = {"pickup": _l("Pickup"), "delivery": _l("Delivery")}
OUTBOX_STATUS_LABELS = {
    OutboxStatus.PENDING: _l("Waiting"), OutboxStatus.SENDING: _l("Sending"),
    OutboxStatus.SENT: _l("Sent"), OutboxStatus.SKIPPED: _l("Not sent"),
    OutboxStatus.FAILED: _l("Failed"),
}
OUTBOX_STATUS_BADGES = {OutboxStatus.SENT: "badge-ok", OutboxStatus.SKIPPED: "badge-warn",
                        OutboxStatus.FAILED: "badge-bad", OutboxStatus.SENDING: "badge-info"}
SKIP_REASON_LABELS = {"no_consent": _l("no consent"), "no_address": _l("no address")}
CHANNEL_LABELS = {"email": _l("E-mail"), "sms": _l("SMS"), "phone": _l("Phone")}
GENDER_LABELS = {"female": _l("Female"), "male": _l("Male"), "other": _l("Other")}
SEGMENT_LABELS = {
    Segment.CHAMPIONS: _l("Champions"), Segment.LOYAL: _l("Loyal"), Segment.NEW: _l("New"),
    Segment.PROMISING: _l("Promising"), Segment.NEED_ATTENTION: _l("Need attention"),
    Segment.AT_RISK: _l("At risk"), Segment.HIBERNATING: _l("Hibernating"),
    Segment.LOST: _l("Lost"),
}
PURPOSE_LABELS = {"service": _l("Service notice"), "marketing": _l("Marketing")}


@bp.app_template_global()
def crm_labels() -> dict:
    return {"stage": STAGE_LABELS, "stage_badge": STAGE_BADGES, "kind": KIND_LABELS,
            "followup_status": FOLLOWUP_STATUS_LABELS, "order_status": ORDER_STATUS_LABELS,
            "tier": TIER_LABELS, "method": METHOD_LABELS, "outcome": OUTCOME_LABELS,
            "outbox_status": OUTBOX_STATUS_LABELS, "outbox_badge": OUTBOX_STATUS_BADGES,
            "skip_reason": SKIP_REASON_LABELS, "channel": CHANNEL_LABELS,
            "purpose": PURPOSE_LABELS, "gender": GENDER_LABELS,
            "preferred_channel": CHANNEL_CHOICE_LABELS, "preferred_time": TIME_LABELS,
            "source": SOURCE_LABELS, "segment": SEGMENT_LABELS}


def end_of_today_utc() -> datetime:
    """Midnight tonight in the shop's zone, as a UTC time."""
    return day_end(shop_today())


def _order_numbers(order_ids) -> dict[int, str]:
    ids = [i for i in order_ids if i is not None]
    if not ids:
        return {}
    return dict(db.session.execute(
        sa.select(Order.id, Order.number).where(Order.id.in_(ids))).all())


def _centers(center_ids) -> dict[int, Center]:
    ids = list({i for i in center_ids if i is not None})
    if not ids:
        return {}
    return {c.id: c for c in db.session.execute(
        sa.select(Center).where(Center.id.in_(ids))).scalars()}


#: the queue's time filters: (after, before) as functions of (now, tonight)
WHEN = {
    "overdue": lambda now, tonight: (None, now),
    "today": lambda now, tonight: (now, tonight),
    "week": lambda now, tonight: (tonight, now + timedelta(days=UPCOMING_DAYS)),
}
WHEN_LABELS = {"overdue": _l("Overdue"), "today": _l("Later today"),
               "week": _l("Coming up this week")}


@bp.route("/crm")
@roles_required(*CRM_ROLES)
def index():
    """The due follow-ups: overdue and today's first, then what comes this week.

    ``?when=overdue|today|week`` and ``?channel=phone|sms|email|...`` narrow the queue; the
    tabs count each time window and each channel."""
    now = utcnow()
    tonight = end_of_today_utc()
    when = request.args.get("when") if request.args.get("when") in WHEN else None
    after, before = WHEN[when](now, tonight) if when else (None, now + timedelta(
        days=UPCOMING_DAYS))
    by_channel = queue_counts(due_before=before, due_after=after)
    channels = list(CHANNEL_LABELS) + sorted(set(by_channel) - set(CHANNEL_LABELS))
    channel = request.args.get("channel")
    channel = channel if channel in channels else None
    queue = due_followups(due_before=before, due_after=after, channel=channel)
    due = [f for f in queue if f.due_at < tonight]
    upcoming = [f for f in queue if f.due_at >= tonight]
    by_when = {key: sum(queue_counts(due_before=b, due_after=a, channel=channel).values())
               for key, (a, b) in ((k, fn(now, tonight)) for k, fn in WHEN.items())}
    return render_template(
        "crm/index.html", due=due, upcoming=upcoming, now=now, when=when, channel=channel,
        channels=channels, by_channel=by_channel, by_when=by_when, when_labels=WHEN_LABELS,
        numbers=_order_numbers({f.order_id for f in queue}), mask_phone=mask_phone,
        search_form=CustomerSearchForm(request.args))


@bp.route("/crm/customers")
@roles_required(*CRM_ROLES)
def customers():
    form = CustomerSearchForm(request.args)
    q = (form.q.data or "").strip()[:100] if form.validate() else ""
    page = request.args.get("page", 1, type=int)
    narrow = _list_filters()
    items, pages = search_customers(q or None, page=page, **narrow)
    page = min(max(page, 1), pages)
    return render_template("crm/customers.html", form=form, q=q, items=items, page=page,
                           pages=pages, mask_phone=mask_phone, narrow=narrow)


def _list_filters() -> dict:
    """``?r=&f=`` (a cell of the RFM grid), ``?segment=``, ``?stage=``; unknown values ignored."""
    narrow = {}
    for arg, key in (("r", "r_score"), ("f", "f_score")):
        value = request.args.get(arg, type=int)
        if value in range(1, 6):
            narrow[key] = value
    if request.args.get("segment") in Segment.ALL:
        narrow["segment"] = request.args["segment"]
    if request.args.get("stage") in Stage.ALL:
        narrow["stage"] = request.args["stage"]
    return narrow


@bp.route("/crm/customers/<int:customer_id>")
@roles_required(*CRM_ROLES)
def customer(customer_id: int):
    """The customer 360. Opening it is logged (who looked at whom, when)."""
    view = customer_360(get_customer(customer_id), current_user)
    context = _context_360(view)
    db.session.commit()
    return render_template("crm/customer.html", **context)


def _context_360(view: dict) -> dict:
    orders = view["orders"]
    percent, missing = profiles.completeness(view["customer"])
    return {
        "view": view, "customer": view["customer"], "completeness": percent,
        "missing": [profiles.FIELD_LABELS[f] for f in missing],
        "baby_months": profiles.baby_age_months(view["customer"], shop_today()),
        "child_form": ChildForm(formdata=None), "tag_form": TagForm(formdata=None),
        "centers": _centers(o.center_id for o in orders),
        "numbers": _order_numbers({f.order_id for f in view["followups"]}),
        **views_coupons.coupon_context(view["customer"]),
        "complaint_labels": views_complaints.labels(),
    }


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
    center = _centers([order.center_id]).get(order.center_id) if order is not None else None
    context = _context_360(view)
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



# The other pages of the customer center join this blueprint.
from . import (  # noqa: E402,F401,I001
    views_campaigns, views_complaints, views_coupons, views_customers, views_dashboard,
    views_outbox, views_recalls, views_rules, views_segments)
