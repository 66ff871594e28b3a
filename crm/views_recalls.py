"""Recall pages: find a lot, open its recall, follow who has been reached."""

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from core.auth import roles_required
from core.forms import IntegerField, form_status, submit_form
from fulfillment.lots import product_names

from . import recalls
from .customers import mask_phone
from .views import CRM_ROLES, bp

PROGRESS_LABELS = {"reached": _l("Reached"), "not_reached": _l("Not reached"),
                   "pending": _l("Pending")}


class RecallForm(FlaskForm):
    lot_id = IntegerField(_l("Lot"), validators=[InputRequired()])
    advice = TextAreaField(_l("What the customer should do"),
                           validators=[Optional(), Length(max=500)],
                           description=_l("Leave empty for: %(advice)s",
                                          advice=recalls.DEFAULT_ADVICE))


def _recalls_page(form: RecallForm, status: int = 200):
    term = (request.args.get("lot") or "").strip()[:40]
    found = recalls.find_lots(term)
    return render_template(
        "crm/recalls.html", form=form, term=term, lots=found,
        opened={lot.id: recalls.campaign_of(lot.id) for lot in found},
        products=product_names({lot.product_id for lot in found}),
        campaigns=recalls.list_campaigns(), labels=PROGRESS_LABELS), status


@bp.app_context_processor
def recall_links():
    """Lets pages of the lower layers (the admin's lot page) link to a lot's recall here."""
    return {"lot_recall_url": lambda lot: url_for("crm.recall_list", lot=lot.batch)}


@bp.route("/crm/recalls", methods=["GET", "POST"])
@roles_required(*CRM_ROLES)
def recall_list():
    """Recalls opened so far; find a lot by id or batch and open its recall."""
    form = RecallForm()
    made = {}

    def action():
        made["c"], made["n"] = recalls.open_recall(recalls.get_lot(form.lot_id.data),
                                                   current_user, advice=form.advice.data)
        return made["n"]

    if submit_form(form, action, lambda n: _("Recall open: %(n)d new call(s) planned.", n=n)):
        return redirect(url_for("crm.recall_show", campaign_id=made["c"].id))
    return _recalls_page(form, form_status(form))


@bp.route("/crm/recalls/<int:campaign_id>")
@roles_required(*CRM_ROLES)
def recall_show(campaign_id: int):
    """A recall's calls: reached, not reached, pending, each with the units received."""
    campaign = recalls.get_campaign(campaign_id)
    return render_template(
        "crm/recall.html", campaign=campaign, view=recalls.campaign_view(campaign),
        product=recalls.product_label(campaign.product_id), labels=PROGRESS_LABELS,
        mask_phone=mask_phone, form=RecallForm(formdata=None, lot_id=campaign.lot_id),
        default_advice=recalls.DEFAULT_ADVICE)
