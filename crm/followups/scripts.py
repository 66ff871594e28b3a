"""The agent's script for a call: a campaign's, a follow-up rule's, or the standard one.

The campaign's script wins for its calls; otherwise an agent-written script of the rule for
the call's kind; otherwise the standard script of the kind (a recall's names the lot).
"""

import sqlalchemy as sa
from babel.lists import format_list
from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _

from core.extensions import db
from core.i18n import current_locale, localized
from crm.care.recalls import recall_script
from crm.customers import profiles
from crm.outreach.campaigns import get_campaign
from fulfillment.models import Center, Fulfillment
from storefront.models import Order

from .messages import baby_note
from .models import FollowUp, FollowUpKind, FollowUpRule
from .rules import render_script


def _names(lines) -> str:
    return format_list([localized(ln, "name") for ln in lines] or [_("your order")],
                       locale=current_locale())


#: calls about trouble: no small talk about the baby
_NO_BABY_TALK = (FollowUpKind.COMPLAINT, FollowUpKind.APOLOGY, FollowUpKind.NO_SHOW,
                 FollowUpKind.RECALL)


def call_script(followup: FollowUp, order: Order | None, fulfillment: Fulfillment | None,
                center: Center | None, *, agent: str) -> str:
    """What ``agent`` says on the call: the campaign's script, else the script of the rule
    for the call's kind, else the standard one for the kind (with the baby's age where
    known), filled in from the customer, the order and the center."""
    written = _written_script(followup)
    if written:
        return render_script(written, followup.customer, agent=agent,
                             products=_names(order.lines) if order is not None else "")
    script = _standard_script(followup, order, fulfillment, center, agent=agent)
    if followup.kind in _NO_BABY_TALK:
        return script
    return script + baby_note(profiles.baby_age_months(followup.customer), question=True)


def _written_script(followup: FollowUp) -> str | None:
    """The campaign's script for a campaign call, else the kind's rule's, if it has one."""
    if followup.campaign_id is not None:
        return get_campaign(followup.campaign_id).script
    rule = db.session.execute(sa.select(FollowUpRule).where(
        FollowUpRule.kind == followup.kind)).scalar_one_or_none()
    return rule.script if rule is not None else None


def _standard_script(followup: FollowUp, order: Order | None, fulfillment: Fulfillment | None,
                     center: Center | None, *, agent: str) -> str:
    values = {
        "name": followup.customer.name, "agent": agent,
        "shop": current_app.config["SHOP_NAME"],
        "products": _names(order.lines) if order is not None else _("your order"),
        "center": localized(center, "name") if center is not None else _("our store"),
        "number": order.number if order is not None else "",
    }
    when = None
    if fulfillment is not None and fulfillment.completed_at is not None:
        when = fulfillment.completed_at
    elif order is not None:
        when = order.created_at
    values["date"] = format_date(when, "long") if when is not None else _("recently")
    kind = followup.kind
    if kind == FollowUpKind.RECALL and followup.recall_id is not None:
        return recall_script(followup, agent=values["agent"], shop=values["shop"])
    if kind == FollowUpKind.SATISFACTION and order is not None:
        if order.fulfillment_method == "delivery":
            return _("Hello %(name)s, this is %(agent)s from the %(shop)s customer center. "
                     "We delivered %(products)s to you from %(center)s on %(date)s. "
                     "Are you happy with them?", **values)
        return _("Hello %(name)s, this is %(agent)s from the %(shop)s customer center. "
                 "You picked up %(products)s at %(center)s on %(date)s. "
                 "Are you happy with them?", **values)
    if kind == FollowUpKind.REORDER and order is not None:
        return _("Hello %(name)s, this is %(agent)s from the %(shop)s customer center. "
                 "The %(products)s you bought on %(date)s should be running low about now. "
                 "Shall we prepare the next one for you at %(center)s, or deliver it?",
                 **values)
    if kind == FollowUpKind.WELCOME:
        return _("Hello %(name)s, this is %(agent)s from the %(shop)s customer center. "
                 "Welcome to our VIP club! We are putting together your welcome pack: "
                 "may I check your address, and what you would most like to hear about?",
                 **values)
    if kind == FollowUpKind.BIRTHDAY:
        return _("Hello %(name)s, this is %(agent)s from the %(shop)s customer center. "
                 "Happy birthday from all of us! A small birthday gift is waiting for you "
                 "at your next visit.", **values)
    if kind == FollowUpKind.WINBACK:
        return _("Hello %(name)s, this is %(agent)s from the %(shop)s customer center. "
                 "We have not seen you for a while and wanted to ask how you are, and "
                 "whether there is anything we could do better.", **values)
    if kind == FollowUpKind.COMPLAINT and order is not None:
        return _("Hello %(name)s, this is %(agent)s from the %(shop)s customer center. "
                 "I am calling about the problem you told us about with order %(number)s. "
                 "Has it been put right to your satisfaction?", **values)
    if kind == FollowUpKind.APOLOGY and order is not None:
        return _("Hello %(name)s, this is %(agent)s from the %(shop)s customer center. "
                 "Your order %(number)s was cancelled and refunded because the payment "
                 "arrived late. I am sorry for the trouble: may I help you place it again?",
                 **values)
    if kind == FollowUpKind.NO_SHOW and order is not None:
        return _("Hello %(name)s, this is %(agent)s from the %(shop)s customer center. "
                 "Your order %(number)s waited for you at %(center)s but was not collected. "
                 "May I ask what happened, and can we deliver it or keep it for you?",
                 **values)
    return _("Hello %(name)s, this is %(agent)s from the %(shop)s customer center. "
             "I am calling to ask how you are getting on with your purchases, and whether "
             "we can help with anything.", **values)
