"""Campaigns: one message (SMS or e-mail through the outbox) or one call (the agent's queue)
for every customer of a saved segment.

Sending is one INSERT ... SELECT over the segment: marketing goes only to customers with the
marketing consent, service notices to those who did not opt out. Each message's
``dedupe_key`` (each call's ``reason``) names the campaign and the customer, so sending a
campaign again reaches only customers who joined the segment since. The weekly cap applies
when the outbox job delivers, as for every marketing message.
"""


import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.errors import NotFound, ValidationFailed
from core.extensions import db
from core.models import User
from core.sql import at, text
from crm.customers.models import Customer, SavedSegment
from crm.customers.segments import segment_query
from crm.followups.models import FollowUp, FollowUpKind, FollowUpStatus
from crm.followups.planning import no_order, plan_contacts, script_text
from crm.followups.rules import render_script, script_problem

from .models import Campaign, CampaignHoldout, OutboxMessage, OutboxStatus

CHANNELS = ("sms", "email", "phone")
MAX_HOLDOUT_PERCENT = 50
PURPOSES = ("marketing", "service")


def get_campaign(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound()
    return campaign


def save_campaign(campaign: Campaign | None, agent: User, *, name: str, segment_id: int | None,
                  channel: str, purpose: str, subject: str | None, script: str) -> Campaign:
    """Create or change a campaign; a campaign already sent keeps what it sent."""
    errors = {}
    name, script, subject = (name or "").strip(), (script or "").strip(), (subject or "").strip()
    if campaign is not None and campaign.sent_at is not None:
        raise ValidationFailed(_l("This campaign was sent; start a new one instead."))
    if not name:
        errors["name"] = [str(_l("This field is required."))]
    if segment_id is None or db.session.get(SavedSegment, segment_id) is None:
        errors["segment_id"] = [str(_l("Choose a saved segment."))]
    if channel not in CHANNELS:
        errors["channel"] = [str(_l("Not a valid choice."))]
    if purpose not in PURPOSES:
        errors["purpose"] = [str(_l("Not a valid choice."))]
    if channel == "email" and not subject:
        errors["subject"] = [str(_l("An e-mail needs a subject."))]
    if not script:
        errors["script"] = [str(_l("This field is required."))]
    elif problem := script_problem(script):
        errors["script"] = [problem]
    if errors:
        raise ValidationFailed(errors=errors)
    if campaign is None:
        campaign = Campaign(created_by_id=agent.id)
        db.session.add(campaign)
    campaign.name, campaign.segment_id, campaign.channel = name, segment_id, channel
    campaign.purpose, campaign.subject, campaign.script = purpose, subject or None, script
    db.session.flush()
    return campaign


def _consent(purpose: str):
    return (Customer.marketing_consent.is_(True) if purpose == "marketing"
            else Customer.service_consent.is_(True))


def audience(campaign: Campaign, now=None) -> sa.Select:
    """``SELECT customers`` the campaign reaches: the segment, with the consent it needs."""
    return segment_query(campaign.segment.filters, now).where(_consent(campaign.purpose))


def reach(campaign: Campaign, now=None) -> dict:
    """The live count: customers in the segment, those it reaches, those left out."""
    base = segment_query(campaign.segment.filters, now).with_only_columns(
        sa.func.count(Customer.id),
        sa.func.count(Customer.id).filter(_consent(campaign.purpose)))
    total, reachable = db.session.execute(base).one()
    return {"total": total, "reachable": reachable, "no_consent": total - reachable}


def _sent(campaign: Campaign) -> sa.ColumnElement:
    """The customer has a message (call) of the campaign."""
    return (sa.exists().where(FollowUp.campaign_id == campaign.id,
                              FollowUp.customer_id == Customer.id)
            if campaign.channel == "phone" else
            sa.exists().where(OutboxMessage.campaign_id == campaign.id,
                              OutboxMessage.customer_id == Customer.id))


def _held_out(campaign: Campaign) -> sa.ColumnElement:
    return sa.exists().where(CampaignHoldout.campaign_id == campaign.id,
                             CampaignHoldout.customer_id == Customer.id)


def _left_out(campaign: Campaign, now) -> int:
    """Customers of the segment without the consent who have no message (call) of the
    campaign; one who has is counted by what became of it (skipped at delivery, say)."""
    sent = _sent(campaign)
    return db.session.execute(segment_query(campaign.segment.filters, now).with_only_columns(
        sa.func.count(Customer.id)).where(~_consent(campaign.purpose), ~sent)).scalar_one()


def preview(campaign: Campaign, customer: Customer | None = None, *, agent: str = ""):
    """The text one customer gets (the first one reached, unless given): (customer, text)."""
    if customer is None:
        customer = db.session.execute(audience(campaign).order_by(Customer.id).limit(1)
                                      ).scalar_one_or_none()
    if customer is None:
        return None, ""
    return customer, render_script(campaign.script, customer, agent=agent)


def hold_out(campaign: Campaign, now) -> int:
    """Hold out ``holdout_percent`` of the customers the sending would reach for the first
    time, chosen at random (ORDER BY random()), into ``campaign_holdouts``; returns how
    many. Set-based: one count and one INSERT ... SELECT."""
    if not campaign.holdout_percent:
        return 0
    fresh = audience(campaign, now).where(~_sent(campaign), ~_held_out(campaign))
    count = db.session.execute(fresh.with_only_columns(sa.func.count(Customer.id))
                               ).scalar_one()
    share = round(count * campaign.holdout_percent / 100)
    if not share:
        return 0
    chosen = (fresh.with_only_columns(sa.literal(campaign.id), Customer.id, at(now))
              .order_by(sa.func.random()).limit(share))
    db.session.execute(sa.insert(CampaignHoldout).from_select(
        ["campaign_id", "customer_id", "created_at"], chosen))
    return share


def choose_control(campaign: Campaign, *, holdout_percent, attribution_days) -> None:
    """The hold-out share (0-50 %) and the attribution window (1-365 days), chosen when
    the campaign is first sent and kept after."""
    if campaign.sent_at is not None:
        return
    errors = {}
    if not isinstance(holdout_percent, int) or not 0 <= holdout_percent <= MAX_HOLDOUT_PERCENT:
        errors["holdout_percent"] = [str(_l("Between 0 and %(max)d %%.",
                                            max=MAX_HOLDOUT_PERCENT))]
    if not isinstance(attribution_days, int) or not 1 <= attribution_days <= 365:
        errors["attribution_days"] = [str(_l("Between 1 and 365 days."))]
    if errors:
        raise ValidationFailed(errors=errors)
    campaign.holdout_percent, campaign.attribution_days = holdout_percent, attribution_days


def send_campaign(campaign: Campaign, agent: User | None, now) -> int:
    """Message (or plan a call for) every customer reached who has not had this campaign
    yet, less the share held out; returns how many. Set-based: one INSERT ... SELECT
    (``planning.plan_contacts``)."""
    hold_out(campaign, now)
    key = sa.literal(f"campaign:{campaign.id}:customer:") + text(Customer.id)
    candidates = audience(campaign, now).where(~_held_out(campaign)).with_only_columns(
        Customer.id.label("customer_id"), no_order(), key.label("reason"),
        at(now).label("due_at"))
    # (a campaign's calls and messages name their kind alike: "campaign")
    planned = plan_contacts(candidates, now, channel=campaign.channel,
                            kind=FollowUpKind.CAMPAIGN, subject=campaign.subject or "",
                            body=script_text(campaign.script), purpose=campaign.purpose,
                            campaign_id=campaign.id)
    campaign.skipped_count = _left_out(campaign, now)
    campaign.sent_at, campaign.sent_by_id = now, agent.id if agent is not None else None
    db.session.flush()
    return planned


def results(campaign_ids: list[int]) -> dict[int, dict]:
    """Per campaign: sent (messages queued or calls planned), delivered (sent / reached),
    failed (failed / unreached), waiting, and skipped for want of consent."""
    out = {cid: dict.fromkeys(("sent", "delivered", "failed", "waiting", "skipped",
                               "no_address", "held_out"), 0) for cid in campaign_ids}
    if not campaign_ids:
        return out
    for cid, n in db.session.execute(
            sa.select(CampaignHoldout.campaign_id, sa.func.count())
            .where(CampaignHoldout.campaign_id.in_(campaign_ids))
            .group_by(CampaignHoldout.campaign_id)):
        out[cid]["held_out"] = n
    for cid, skipped in db.session.execute(sa.select(Campaign.id, Campaign.skipped_count).where(
            Campaign.id.in_(campaign_ids))):
        out[cid]["skipped"] = skipped
    messages = db.session.execute(
        sa.select(OutboxMessage.campaign_id, OutboxMessage.status, OutboxMessage.skip_reason,
                  sa.func.count()).where(OutboxMessage.campaign_id.in_(campaign_ids))
        .group_by(OutboxMessage.campaign_id, OutboxMessage.status, OutboxMessage.skip_reason))
    for cid, status, skip_reason, n in messages:
        row = out[cid]
        row["sent"] += n
        if status == OutboxStatus.SENT:
            row["delivered"] += n
        elif status == OutboxStatus.FAILED:
            row["failed"] += n
        elif status == OutboxStatus.SKIPPED:
            row["skipped" if skip_reason == "no_consent" else "no_address"] += n
        else:
            row["waiting"] += n
    calls = db.session.execute(
        sa.select(FollowUp.campaign_id, FollowUp.status, sa.func.count())
        .where(FollowUp.campaign_id.in_(campaign_ids))
        .group_by(FollowUp.campaign_id, FollowUp.status))
    for cid, status, n in calls:
        row = out[cid]
        row["sent"] += n
        key = {FollowUpStatus.DONE: "delivered", FollowUpStatus.UNREACHED: "failed",
               FollowUpStatus.OPEN: "waiting"}.get(status)
        if key:
            row[key] += n
    return out


def list_campaigns() -> list[Campaign]:
    return list(db.session.execute(sa.select(Campaign).order_by(Campaign.id.desc())).scalars())
