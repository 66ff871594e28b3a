"""The follow-up rules page: what the customer center plans, editable by an admin."""

import sqlalchemy as sa
from flask import redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from core.auth import roles_required
from core.extensions import db
from core.forms import form_status, submit_form
from core.models import Role

from . import followup_rules
from .forms import FollowUpRuleForm
from .models import FollowUpRule, SavedSegment
from .views import CRM_ROLES, bp

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
    rule = followup_rules.get_rule(kind)
    form = FollowUpRuleForm(obj=rule, data={"segment_id": str(rule.segment_id or "")})
    form.segment_id.choices = [SelectChoice("", _("— everyone —"))] + [
        SelectChoice(str(i), n) for i, n in db.session.execute(
            sa.select(SavedSegment.id, SavedSegment.name).order_by(SavedSegment.name)).all()]
    if submit_form(form, lambda: followup_rules.save_rule(
            rule, current_user, active=form.active.data, delay_days=form.delay_days.data,
            channel=form.channel.data, script=form.script.data,
            segment_id=int(form.segment_id.data) if form.segment_id.data else None),
            lambda r: _("Rule saved.")):
        return redirect(url_for("crm.followup_rules_page"))
    return (render_template("crm/followup_rule_form.html", form=form, rule=rule,
                            meaning=DELAY_MEANING.get(kind)), form_status(form))
