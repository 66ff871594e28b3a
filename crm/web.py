"""What the customer center's pages share: the ``crm`` blueprint, who may open them, the
words for the codes they show, and the helpers more than one page uses (the 360's context,
order numbers, centers). The domains' views hang their pages on ``bp``; they import this
module, never each other. ``core.app`` imports them and registers ``bp``."""

from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from core.clock import day_end, shop_today
from core.extensions import db
from core.models import Role
from fulfillment.centers import centers_by_id
from storefront import coupons
from storefront.loyalty.models import Tier
from storefront.models import Order

from .care import goodwill
from .care.complaints import labels as complaint_labels
from .care.forms import GiveCouponForm
from .customers import profiles
from .customers.figures import Segment
from .customers.forms import (
    CHANNEL_CHOICE_LABELS,
    GENDER_LABELS,
    SOURCE_LABELS,
    TIME_LABELS,
    ChildForm,
    TagForm,
)
from .customers.models import Customer, Stage
from .followups.forms import OUTCOME_LABELS
from .followups.models import FollowUpKind, FollowUpStatus
from .outreach.models import OutboxStatus

bp = Blueprint("crm", __name__)

CRM_ROLES = (Role.CRM, Role.ADMIN)

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


def order_numbers(order_ids) -> dict[int, str]:
    """``{order id: number}`` in one query."""
    ids = [i for i in order_ids if i is not None]
    if not ids:
        return {}
    return dict(db.session.execute(
        sa.select(Order.id, Order.number).where(Order.id.in_(ids))).all())


def coupon_context(customer: Customer) -> dict:
    """What the 360 shows of a customer's coupons, and the form to give one."""
    return {"coupons": goodwill.held_coupons(customer),
            "coupon_form": GiveCouponForm(formdata=None), "coupon_state": coupons.state_of,
            "coupon_labels": coupons.STATE_LABELS}


def context_360(view: dict) -> dict:
    """What the customer 360 shows, on its own page and beside a follow-up call."""
    orders = view["orders"]
    percent, missing = profiles.completeness(view["customer"])
    return {
        "view": view, "customer": view["customer"], "completeness": percent,
        "missing": [profiles.FIELD_LABELS[f] for f in missing],
        "baby_months": profiles.baby_age_months(view["customer"], shop_today()),
        "child_form": ChildForm(formdata=None), "tag_form": TagForm(formdata=None),
        "centers": centers_by_id(o.center_id for o in orders),
        "numbers": order_numbers({f.order_id for f in view["followups"]}),
        **coupon_context(view["customer"]),
        "complaint_labels": complaint_labels(),
    }
