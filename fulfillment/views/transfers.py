"""Desk pages for transfers: ask another center for stock, ship what others asked of this
center, receive what arrives, call off what has not left. Only this center's transfers."""

import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from core.auth import roles_required
from core.errors import IllegalTransition, NotFound, ValidationFailed
from core.extensions import db
from core.forms import apply_domain_errors, form_status

from .. import transfers
from ..errors import InsufficientStock
from ..forms import ActionForm, DeskTransferForm
from ..labels import TRANSFER_STATUS_LABELS
from ..lots import product_names
from ..models import Center, TransferStatus
from ..web import DESK_ROLES, bp, center_arg, common_context, desk_center, product_choices


def _transfer_form(center: Center) -> DeskTransferForm:
    form = DeskTransferForm()
    others = db.session.execute(
        sa.select(Center).where(Center.active.is_(True), Center.id != center.id)
        .order_by(Center.is_warehouse.desc(), Center.code)).scalars()
    form.from_center_id.choices = [SelectChoice(c.id, f"{c.code} · {c.name_zh}") for c in others]
    form.product_id.choices = product_choices()
    return form


def _render(center: Center, form: DeskTransferForm, status: int = 200):
    rows = transfers.transfers_of(center.id, current_user)
    ids = {t.from_center_id for t in rows} | {t.to_center_id for t in rows}
    centers = {c.id: c for c in db.session.execute(
        sa.select(Center).where(Center.id.in_(ids or {0}))).scalars()}
    context = common_context(center)
    context.update(
        form=form, action_form=ActionForm(), centers=centers,
        open_rows=[t for t in rows if t.status in TransferStatus.OPEN],
        done_rows=[t for t in rows if t.status not in TransferStatus.OPEN],
        products=product_names(t.product_id for t in rows),
        status_labels=TRANSFER_STATUS_LABELS)
    return render_template("fulfillment/transfers.html", **context), status


@bp.route("/desk/transfers", methods=["GET", "POST"])
@roles_required(*DESK_ROLES)
def transfer_list():
    center = desk_center()
    if center is None:
        return render_template("fulfillment/no_center.html")
    form = _transfer_form(center)
    if form.validate_on_submit():
        from_center = db.session.get(Center, form.from_center_id.data)
        known = {c.value for c in form.from_center_id.choices}
        try:
            if from_center is None or from_center.id not in known:
                raise ValidationFailed(errors={"from_center_id": [_("Choose a center.")]})
            transfer = transfers.request_transfer(
                from_center=from_center, to_center=center, product_id=form.product_id.data,
                quantity=form.quantity.data, actor=current_user, note=form.note.data)
        except ValidationFailed as err:
            db.session.rollback()
            apply_domain_errors(form, err)
        else:
            number = transfer.id
            db.session.commit()
            flash(_("Transfer #%(id)d requested.", id=number), "success")
            return redirect(url_for("fulfillment.transfer_list", **center_arg(center.id)))
    return _render(center, form, form_status(form))


def _transfer_step(transfer_id: int, action, done: str):
    """Ship, receive or cancel a transfer of this desk's center, then back to the list."""
    center = desk_center()
    if center is None:
        raise NotFound()
    transfer = transfers.get_transfer(transfer_id, current_user)
    if center.id not in (transfer.from_center_id, transfer.to_center_id):
        raise NotFound()
    back = redirect(url_for("fulfillment.transfer_list", _anchor=f"t{transfer_id}",
                            **center_arg(center.id)))
    if not ActionForm().validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
        return back
    try:
        action(transfer, current_user)
    except (IllegalTransition, InsufficientStock, ValidationFailed) as err:
        db.session.rollback()
        flash(str(err.message), "error")
        return back
    db.session.commit()
    flash(done % {"id": transfer_id}, "success")
    return back


@bp.route("/desk/transfers/<int:transfer_id>/ship", methods=["POST"])
@roles_required(*DESK_ROLES)
def transfer_ship(transfer_id: int):
    return _transfer_step(transfer_id, transfers.ship_transfer,
                          _("Transfer #%(id)d shipped."))


@bp.route("/desk/transfers/<int:transfer_id>/receive", methods=["POST"])
@roles_required(*DESK_ROLES)
def transfer_receive(transfer_id: int):
    return _transfer_step(transfer_id, transfers.receive_transfer,
                          _("Transfer #%(id)d received: the units are in stock."))


@bp.route("/desk/transfers/<int:transfer_id>/cancel", methods=["POST"])
@roles_required(*DESK_ROLES)
def transfer_cancel(transfer_id: int):
    return _transfer_step(transfer_id, transfers.cancel_transfer,
                          _("Transfer #%(id)d cancelled."))
