"""Staff pages of the club (customer center): articles with a member preview, events with
registrations, check-in at the desk by the member's QR, attendee export, figures.

The customer center and admins reach every event. A store's clerk (role ``staff``) reaches
only the events of their own store (others answer 404, as if they did not exist), and
checks members in by the desk's rule: today's events at their store
(``desk.check_in_at_desk``)."""

import sqlalchemy as sa
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.auth import roles_required
from core.clock import utcnow
from core.errors import DomainError, NotFound
from core.extensions import db
from core.forms import apply_domain_errors, form_status, submit_form
from core.i18n import localized
from core.models import Role
from crm.outreach import uplift
from fulfillment.models import Center

from . import audience, content, desk, events
from .cards import get_membership_by_card
from .forms import ArticleForm, CheckInForm, EventForm, to_local
from .models import Article, Event

bp = Blueprint("club_staff", __name__, url_prefix="/crm/club")

CLUB_ROLES = (Role.CRM, Role.ADMIN)
#: the desk checks members in too
DESK_ROLES = (Role.CRM, Role.ADMIN, Role.STAFF)


def _article_or_404(article_id: int) -> Article:
    article = db.session.get(Article, article_id)
    if article is None:
        raise NotFound()
    return article


def _desk_center_id() -> int | None:
    """The store a clerk (role ``staff``) works at; None for the customer center and admins,
    who reach every event."""
    return current_user.center_id if current_user.role == Role.STAFF else None


def _event_or_404(event_id: int) -> Event:
    """The event; a clerk reaches only their own store's (another's answers 404)."""
    event = db.session.get(Event, event_id)
    center_id = _desk_center_id()
    if event is None or (current_user.role == Role.STAFF and (
            center_id is None or event.center_id != center_id)):
        raise NotFound()
    return event


@bp.route("/articles")
@roles_required(*CLUB_ROLES)
def articles():
    return render_template("crm/club/articles.html", articles=content.all_articles())


def _article_page(form, article, status=200):
    return render_template("crm/club/article_form.html", form=form, article=article), status


@bp.route("/articles/new", methods=["GET", "POST"])
@roles_required(*CLUB_ROLES)
def new_article():
    form = ArticleForm()
    if submit_form(form, lambda: content.save_article(None, form.data_for_service(),
                                                      current_user, cover=form.uploaded_cover()),
                   lambda a: _("Article “%(title)s” saved.", title=a.title)):
        return redirect(url_for(".articles"))
    return _article_page(form, None, form_status(form))


@bp.route("/articles/<int:article_id>/edit", methods=["GET", "POST"])
@roles_required(*CLUB_ROLES)
def edit_article(article_id: int):
    article = _article_or_404(article_id)
    if request.method == "POST":
        form = ArticleForm()
    else:
        form = ArticleForm(data={
            "title": article.title, "summary": article.summary,
            "body_md": article.body_md,
            "publish_from": to_local(article.publish_from),
            "publish_until": to_local(article.publish_until)})
        form.fill_audience(article)
    if submit_form(form, lambda: content.save_article(article, form.data_for_service(),
                                                      current_user, cover=form.uploaded_cover()),
                   lambda a: _("Article “%(title)s” saved.", title=a.title)):
        return redirect(url_for(".articles"))
    return _article_page(form, article, form_status(form))


@bp.route("/articles/<int:article_id>/preview")
@roles_required(*CLUB_ROLES)
def preview_article(article_id: int):
    """The article as it renders, and whether a given member (by card number) would see it."""
    article = _article_or_404(article_id)
    card = (request.args.get("card") or "").strip()[:20]
    preview_of, fits = None, None
    if card:
        try:
            membership = get_membership_by_card(card, current_user)
        except DomainError as err:
            flash(str(err.message), "error")
        else:
            preview_of = f"{membership.name} ({membership.card_number})"
            fits = audience.fits(article, audience.audience_of(membership))
            if not fits:
                flash(_("This member would not see this article: it is aimed elsewhere."),
                      "warning")
    return render_template("crm/member/article.html", article=article, preview_of=preview_of,
                           body=content.render_markdown(article.body_md))


# --- events -----------------------------------------------------------------------------------


def _center_choices(form: EventForm) -> None:
    centers = db.session.execute(sa.select(Center).where(Center.active.is_(True))
                                 .order_by(Center.code)).scalars()
    form.center_id.choices = [(0, _("— an address instead —"))] + [
        (c.id, f"{c.code} {localized(c, 'name')}") for c in centers]


@bp.route("/events")
@roles_required(*DESK_ROLES)
def events_list():
    """Every event for the customer center and admins; a clerk's store's for a clerk."""
    if current_user.role == Role.STAFF and current_user.center_id is None:
        rows = []
    else:
        rows = events.all_events(center_id=_desk_center_id())
    return render_template("crm/club/events.html", events=rows,
                           figures={e.id: events.event_figures(e) for e in rows})


def _event_form_page(form, event, status=200):
    return render_template("crm/club/event_form.html", form=form, event=event), status


@bp.route("/events/new", methods=["GET", "POST"])
@roles_required(*CLUB_ROLES)
def new_event():
    form = EventForm()
    _center_choices(form)
    if submit_form(form, lambda: events.save_event(None, form.data_for_service(), current_user),
                   lambda e: _("Event “%(title)s” saved.", title=e.title)):
        return redirect(url_for(".events_list"))
    return _event_form_page(form, None, form_status(form))


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@roles_required(*CLUB_ROLES)
def edit_event(event_id: int):
    event = _event_or_404(event_id)
    if request.method == "POST":
        form = EventForm()
    else:
        form = EventForm(data={
            "title": event.title, "description": event.description,
            "starts_at": to_local(event.starts_at), "ends_at": to_local(event.ends_at),
            "center_id": event.center_id or 0, "address": event.address, "city": event.city,
            "capacity": event.capacity, "published": event.published})
        form.fill_audience(event)
    _center_choices(form)
    if submit_form(form, lambda: events.save_event(event, form.data_for_service(), current_user),
                   lambda e: _("Event “%(title)s” saved.", title=e.title)):
        return redirect(url_for(".event_detail", event_id=event.id))
    return _event_form_page(form, event, form_status(form))


def _check_in(event: Event, card_number: str):
    """A clerk checks in by the desk's rule (today's events at their own store only); the
    customer center and admins at any event, any day."""
    center_id = _desk_center_id()
    if current_user.role != Role.STAFF:
        return events.check_in(event, card_number, current_user)
    membership = get_membership_by_card(card_number, current_user)
    return desk.check_in_at_desk(event, membership, center_id, current_user)


@bp.route("/events/<int:event_id>", methods=["GET", "POST"])
@roles_required(*DESK_ROLES)
def event_detail(event_id: int):
    """Registrations, figures, and the check-in form (the desk scans the member's QR)."""
    event = _event_or_404(event_id)
    form = CheckInForm()
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate():
            try:
                reg = _check_in(event, form.card_number.data)
                db.session.commit()
                flash(_("%(name)s checked in (%(n)d people).", name=reg.membership.name,
                        n=reg.attendees), "success")
                return redirect(url_for(".event_detail", event_id=event.id))
            except DomainError as err:
                db.session.rollback()
                apply_domain_errors(form, err)
                if not form.card_number.errors:
                    form.card_number.errors = [str(err.message)]
                status = err.status
    outcome = uplift.event_outcome(event, utcnow())
    return render_template("crm/club/event.html", event=event, form=form,
                           registrations=events.registrations(event),
                           figures=events.event_figures(event), outcome=outcome,
                           outcome_rows=uplift.outcome_rows(outcome)
                           if outcome["state"] == "done" else []), status


@bp.route("/events/<int:event_id>/attendees.csv")
@roles_required(*DESK_ROLES)
def attendees_csv(event_id: int):
    event = _event_or_404(event_id)
    return Response("\ufeff" + events.attendees_csv(event), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="event-{event.public_id}.csv"'})
