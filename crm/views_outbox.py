"""The outbox page: messages to customers and what became of them."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from core.auth import roles_required
from core.errors import IllegalTransition
from core.extensions import db
from core.models import Role

from .customers import mask_phone
from .models import OutboxMessage, OutboxStatus
from .outbox import list_outbox, requeue_message
from .views import CRM_ROLES, bp


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
