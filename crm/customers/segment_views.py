"""Pages for needs and groups: tag rules, saved segments (live count, CSV export), and the
customer import."""

import sqlalchemy as sa
from flask import (
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from core.auth import roles_required
from core.errors import ValidationFailed
from core.extensions import db
from core.forms import apply_domain_errors, form_status, submit_form
from core.i18n import localized
from crm.web import CRM_ROLES, bp
from fulfillment.models import Center
from storefront.models import Category

from . import import_previews, importing, segments, tagging
from .figures import Segment
from .forms import ImportForm, SegmentForm, TagRuleForm
from .labels import SEGMENT_LABELS, STAGE_LABELS
from .models import SavedSegment, Stage, TagRule
from .services import mask_phone

KIND_LABELS = {kind: sentence for kind, (_spec, sentence) in tagging.KINDS.items()}


# --- tag rules -------------------------------------------------------------------------------


@bp.route("/crm/tag-rules")
@roles_required(*CRM_ROLES)
def tag_rules():
    rules = db.session.execute(sa.select(TagRule).order_by(TagRule.tag, TagRule.id)).scalars()
    return render_template("crm/tag_rules.html", rules=list(rules), describe=tagging.describe)


def _rule_form(rule: TagRule | None) -> TagRuleForm:
    form = TagRuleForm(obj=rule, data=(rule.params if rule else None))
    form.kind.choices = [SelectChoice(k, _kind_label(k)) for k in tagging.KINDS]
    form.category.choices = [SelectChoice(c.slug, localized(c, "name")) for c in
                             db.session.execute(sa.select(Category).order_by(
                                 Category.position, Category.id)).scalars()]
    return form


def _kind_label(kind: str) -> str:
    placeholders = {"min_months": "N", "max_months": "M", "category": "…",
                    "min_addresses": "N", "min_orders": "N"}
    return str(KIND_LABELS[kind]) % placeholders


@bp.route("/crm/tag-rules/new", methods=["GET", "POST"], defaults={"rule_id": None})
@bp.route("/crm/tag-rules/<int:rule_id>", methods=["GET", "POST"])
@roles_required(*CRM_ROLES)
def tag_rule(rule_id: int | None):
    rule = tagging.get_rule(rule_id) if rule_id else None
    form = _rule_form(rule)
    if submit_form(form, lambda: tagging.save_rule(
            rule, current_user, tag=form.tag.data, kind=form.kind.data, params=form.params(),
            active=form.active.data),
            lambda r: _("Tag rule saved. The next jobs run applies it.")):
        return redirect(url_for("crm.tag_rules"))
    return render_template("crm/tag_rule_form.html", form=form, rule=rule), form_status(form)


# --- saved segments --------------------------------------------------------------------------


def _segment_form(segment: SavedSegment | None) -> SegmentForm:
    data = None
    if segment is not None:
        f = dict(segment.filters)
        data = {"name": segment.name, "tags": ", ".join(f.get("tags", [])),
                "stages": f.get("stages", []), "segments": f.get("segments", []),
                "city": f.get("city"), "center_id": str(f.get("center_id") or ""),
                "marketing_consent": {True: "1", False: "0"}.get(f.get("marketing_consent"), ""),
                "min_monetary": (f["min_monetary"] // 100 if "min_monetary" in f else None),
                "min_frequency": f.get("min_frequency"),
                "max_recency_days": f.get("max_recency_days"),
                "min_recency_days": f.get("min_recency_days")}
    form = SegmentForm(data=data)
    form.stages.choices = [SelectChoice(s, STAGE_LABELS[s]) for s in Stage.ALL]
    form.segments.choices = [SelectChoice(s, SEGMENT_LABELS[s]) for s in Segment.ALL]
    form.center_id.choices = [SelectChoice("", _("— any —"))] + [
        SelectChoice(str(c.id), localized(c, "name")) for c in db.session.execute(
            sa.select(Center).order_by(Center.code)).scalars()]
    return form


@bp.route("/crm/segments")
@roles_required(*CRM_ROLES)
def segment_list():
    items = db.session.execute(sa.select(SavedSegment).order_by(SavedSegment.name)).scalars()
    rows = [(s, segments.count(s.filters)) for s in items]
    return render_template("crm/segments.html", rows=rows)


@bp.route("/crm/segments/new", methods=["GET", "POST"], defaults={"segment_id": None})
@bp.route("/crm/segments/<int:segment_id>/edit", methods=["GET", "POST"])
@roles_required(*CRM_ROLES)
def segment_edit(segment_id: int | None):
    segment = segments.get_segment(segment_id) if segment_id else None
    form = _segment_form(segment)
    saved = {}

    def action():
        saved["segment"] = segments.save_segment(segment, current_user, name=form.name.data,
                                                 filters=form.filters())
        return saved["segment"]

    if submit_form(form, action, lambda s: _("Segment “%(name)s” saved.", name=s.name)):
        return redirect(url_for("crm.segment_show", segment_id=saved["segment"].id))
    live = None
    if form.is_submitted():
        try:
            live = segments.count(segments.clean_filters(form.filters()))
        except ValidationFailed:
            live = None
    return (render_template("crm/segment_form.html", form=form, segment=segment, live=live),
            form_status(form))


@bp.route("/crm/segments/count", methods=["POST"])
@roles_required(*CRM_ROLES)
def segment_count():
    """The live count while the form is filled in (JSON)."""
    form = _segment_form(None)
    try:
        return jsonify({"count": segments.count(segments.clean_filters(form.filters()))})
    except ValidationFailed as err:
        return jsonify(err.to_dict()), 400


@bp.route("/crm/segments/<int:segment_id>")
@roles_required(*CRM_ROLES)
def segment_show(segment_id: int):
    segment = segments.get_segment(segment_id)
    items, pages, total = segments.members(segment, page=request.args.get("page", 1, type=int))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    return render_template("crm/segment.html", segment=segment, items=items, pages=pages,
                           page=page, total=total, mask_phone=mask_phone)


@bp.route("/crm/segments/<int:segment_id>/export.csv")
@roles_required(*CRM_ROLES)
def segment_export(segment_id: int):
    segment = segments.get_segment(segment_id)
    current_app.logger.info("segment %s exported by user %s", segment.id, current_user.id)
    return Response(stream_with_context(segments.export_csv(segment)),
                    mimetype="text/csv; charset=utf-8", headers={
                        "Content-Disposition": f"attachment; filename=segment-{segment.id}.csv"})


# --- import ------------------------------------------------------------------------------------


@bp.route("/crm/import", methods=["GET", "POST"])
@roles_required(*CRM_ROLES)
def import_customers():
    """Upload -> preview (nothing written) -> confirm -> import."""
    form = ImportForm()
    token = request.form.get("token", "")
    if token:
        sheet = import_previews.find_preview(token)
        if sheet is None:
            flash(_("That preview has expired; upload the file again."), "error")
            return redirect(url_for("crm.import_customers"))
        try:
            result = importing.import_customers(sheet, current_user)
        except ValidationFailed as err:
            db.session.rollback()
            apply_domain_errors(form, err)
            return render_template("crm/import.html", form=form, preview=None), 400
        import_previews.drop_preview(token)
        db.session.commit()
        flash(_("%(n)d customer(s) imported; %(known)d already known, %(bad)d bad row(s) "
                "skipped.", n=len(result.rows), known=len(result.known), bad=len(result.bad)),
              "success")
        return redirect(url_for("crm.customers"))
    if not form.validate_on_submit():
        return render_template("crm/import.html", form=form, preview=None), form_status(form)
    data = form.file.data.read()
    try:
        result = importing.preview(data)
    except ValidationFailed as err:
        apply_domain_errors(form, err)
        return render_template("crm/import.html", form=form, preview=None), 400
    token = import_previews.save_preview(data)
    db.session.commit()
    return render_template("crm/import.html", form=form, preview=result, token=token)
