"""What the customer center's pages share: the ``crm`` blueprint, who may open them, the
words for the codes they show (``crm_labels()``, gathered from each domain's ``labels.py``
and ``crm/labels.py``), and the helpers more than one page uses (the 360's context, order
numbers). The domains' views hang their pages on ``bp``; they import this module, never
each other. ``core.app`` imports them and registers ``bp``."""


import sqlalchemy as sa
from flask import Blueprint

from core.clock import shop_today
from core.extensions import db
from core.models import Role
from fulfillment.centers import centers_by_id
from storefront import coupons
from storefront.labels import COUPON_STATE_LABELS
from storefront.models import Order

from .care import goodwill
from .care.forms import GiveCouponForm
from .care.labels import complaint_labels
from .customers import profiles
from .customers.forms import ChildForm, TagForm
from .customers.labels import (
    CHANNEL_CHOICE_LABELS,
    GENDER_LABELS,
    SEGMENT_LABELS,
    SOURCE_LABELS,
    STAGE_LABELS,
    TIME_LABELS,
)
from .customers.models import Customer, Stage
from .followups.labels import FOLLOWUP_STATUS_LABELS, KIND_LABELS, OUTCOME_LABELS
from .labels import METHOD_LABELS, ORDER_STATUS_LABELS, TIER_LABELS
from .outreach.labels import (
    CHANNEL_LABELS,
    OUTBOX_STATUS_LABELS,
    PURPOSE_LABELS,
    SKIP_REASON_LABELS,
)
from .outreach.models import OutboxStatus

bp = Blueprint("crm", __name__)

CRM_ROLES = (Role.CRM, Role.ADMIN)

STAGE_BADGES = {
    Stage.PROSPECT: "", Stage.FIRST_TIME: "badge-info", Stage.REPEAT: "badge-ok",
    Stage.VIP: "badge-vip", Stage.DORMANT: "badge-warn", Stage.LOST: "badge-bad",
}
OUTBOX_STATUS_BADGES = {OutboxStatus.SENT: "badge-ok", OutboxStatus.SKIPPED: "badge-warn",
                        OutboxStatus.FAILED: "badge-bad", OutboxStatus.SENDING: "badge-info"}


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
            "coupon_labels": COUPON_STATE_LABELS}


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
