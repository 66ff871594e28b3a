"""Campaign pages: choose a saved segment, a channel and a text; see who it reaches and a
preview; send; follow what was delivered."""

import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from core.auth import roles_required
from core.extensions import db
from core.forms import form_status, submit_form
from core.inputs import id_or_none
from core.models import utcnow

from . import campaigns
from .forms import CampaignForm
from .models import SavedSegment
from .views import CRM_ROLES, bp


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


@bp.route("/crm/campaigns/<int:campaign_id>")
@roles_required(*CRM_ROLES)
def campaign_show(campaign_id: int):
    campaign = campaigns.get_campaign(campaign_id)
    customer, text = campaigns.preview(campaign, agent=current_user.name)
    return render_template("crm/campaign.html", campaign=campaign,
                           reach=campaigns.reach(campaign),
                           counts=campaigns.results([campaign.id])[campaign.id],
                           preview_customer=customer, preview_text=text)


@bp.route("/crm/campaigns/<int:campaign_id>/send", methods=["POST"])
@roles_required(*CRM_ROLES)
def campaign_send(campaign_id: int):
    planned = campaigns.send_campaign(campaigns.get_campaign(campaign_id), current_user,
                                      utcnow())
    db.session.commit()
    flash(_("%(n)d new message(s) or call(s) planned.", n=planned), "success")
    return redirect(url_for("crm.campaign_show", campaign_id=campaign_id))
