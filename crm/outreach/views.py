"""Outreach pages: campaigns (choose a saved segment, a channel and a text; see who it
reaches and a preview; send; follow what was delivered), and the outbox (messages to
customers and what became of them)."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from core.auth import roles_required
from core.clock import utcnow
from core.errors import IllegalTransition
from core.extensions import db
from core.forms import form_status, submit_form
from core.inputs import id_or_none
from core.models import Role
from crm.customers.models import SavedSegment
from crm.customers.services import mask_phone
from crm.web import CRM_ROLES, bp

from . import campaigns, uplift
from .forms import CampaignForm, SendForm
from .models import OutboxMessage, OutboxStatus
from .outbox import list_outbox, requeue_message


@bp.route("/crm/campaigns")
@roles_required(*CRM_ROLES)
def campaign_list():
    items = campaigns.list_campaigns()
    counts = campaigns.results([c.id for c in items])
    return render_template("crm/campaigns.html", items=items, counts=counts)


def _campaign_form(campaign) -> CampaignForm:
    data = {"segment_id": str(campaign.segment_id)} if campaign is not None else None
    form = CampaignForm(obj=campaign, data=data)
    form.segment_id.choices = [SelectChoice("", _("— choose —"))] + [
        SelectChoice(str(i), n) for i, n in db.session.execute(
            sa.select(SavedSegment.id, SavedSegment.name).order_by(SavedSegment.name)).all()]
    return form


@bp.route("/crm/campaigns/new", methods=["GET", "POST"], defaults={"campaign_id": None})
@bp.route("/crm/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@roles_required(*CRM_ROLES)
def campaign_edit(campaign_id: int | None):
    campaign = campaigns.get_campaign(campaign_id) if campaign_id else None
    form = _campaign_form(campaign)
    saved = {}

    def action():
        segment = form.segment_id.data
        saved["campaign"] = campaigns.save_campaign(
            campaign, current_user, name=form.name.data,
            segment_id=id_or_none(segment),
            channel=form.channel.data, purpose=form.purpose.data, subject=form.subject.data,
            script=form.script.data)
        return saved["campaign"]

    if submit_form(form, action, lambda c: _("Campaign “%(name)s” saved.", name=c.name)):
        return redirect(url_for("crm.campaign_show", campaign_id=saved["campaign"].id))
    return (render_template("crm/campaign_form.html", form=form, campaign=campaign),
            form_status(form))


def _campaign_page(campaign, form: SendForm, status: int = 200):
    customer, text = campaigns.preview(campaign, agent=current_user.name)
    outcome = uplift.outcome(campaign, utcnow())
    rows = uplift.outcome_rows(outcome) if outcome["state"] == "done" else []
    return render_template("crm/campaign.html", campaign=campaign, form=form,
                           reach=campaigns.reach(campaign),
                           counts=campaigns.results([campaign.id])[campaign.id],
                           outcome=outcome, outcome_rows=rows,
                           preview_customer=customer, preview_text=text), status


@bp.route("/crm/campaigns/<int:campaign_id>")
@roles_required(*CRM_ROLES)
def campaign_show(campaign_id: int):
    # a share is suggested; a sending that names none holds out nobody
    return _campaign_page(campaigns.get_campaign(campaign_id),
                          SendForm(data={"holdout_percent": 10, "attribution_days": 30}))


@bp.route("/crm/campaigns/<int:campaign_id>/send", methods=["POST"])
@roles_required(*CRM_ROLES)
def campaign_send(campaign_id: int):
    """The first sending takes the hold-out share and the window; later ones keep them."""
    campaign = campaigns.get_campaign(campaign_id)
    form = SendForm(data={"holdout_percent": campaign.holdout_percent,
                          "attribution_days": campaign.attribution_days}
                    if campaign.sent_at is not None else None)
    saved = {}

    def action():
        if campaign.sent_at is None:
            campaigns.choose_control(campaign, holdout_percent=form.holdout_percent.data,
                                     attribution_days=form.attribution_days.data)
        saved["planned"] = campaigns.send_campaign(campaign, current_user, utcnow())
        return saved["planned"]

    if submit_form(form, action, lambda n: _("%(n)d new message(s) or call(s) planned.", n=n)):
        return redirect(url_for("crm.campaign_show", campaign_id=campaign_id))
    return _campaign_page(campaign, form, 400)


# --- the outbox --------------------------------------------------------------------------------


@bp.route("/crm/outbox")
@roles_required(*CRM_ROLES)
def outbox():
    """Messages to customers and what became of them; recipients masked."""
    status = request.args.get("status")
    status = status if status in OutboxStatus.ALL else None
    items, pages = list_outbox(status=status, page=request.args.get("page", 1, type=int))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    return render_template("crm/outbox.html", items=items, page=page, pages=pages,
                           status=status, statuses=OutboxStatus.ALL, mask_to=mask_recipient)


def mask_recipient(to: str | None) -> str:
    """A phone as ``138****5678``, an e-mail as ``l***@example.com``."""
    if not to:
        return ""
    if "@" in to:
        local, _at, domain = to.partition("@")
        return f"{local[:1]}***@{domain}"
    return mask_phone(to)


@bp.route("/crm/outbox/<int:message_id>/requeue", methods=["POST"])
@roles_required(Role.ADMIN)
def outbox_requeue(message_id: int):
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        abort(404)
    try:
        requeue_message(message)
    except IllegalTransition as err:
        db.session.rollback()
        flash(str(err.message), "error")
        return redirect(url_for("crm.outbox"))
    db.session.commit()
    flash(_("The message will be sent again with the next delivery run."), "success")
    return redirect(url_for("crm.outbox", status=OutboxStatus.PENDING))
