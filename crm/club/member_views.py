"""The VIP area (``/member``): card and QR, tier progress, points ledger, content, events,
preferences, data export and closing. Staff pages are in ``staff_views.py``."""

import json
from datetime import date

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from core.cache import cached_fragment, watch_tables
from core.clock import utcnow
from core.errors import DomainError, NotFound
from core.extensions import db
from core.forms import apply_domain_errors, form_status
from core.qr import qr_svg_response
from crm.customers.export import export_person_data
from storefront.loyalty import points as points_ledger
from storefront.loyalty.membership import membership_of
from storefront.loyalty.tiers import tier_progress

from . import content, events, members
from .audience import audience_of, fits
from .forms import CloseForm, ProfileForm, RegistrationForm
from .labels import POINTS_KIND_LABELS, REGISTRATION_STATUS_LABELS

bp = Blueprint("club", __name__)

HOME_ARTICLES = 4
#: the cache namespace of a member's home: any session write to memberships, tiers, points,
#: orders (the rolling spend), articles, events or registrations moves it on
MEMBER_NAMESPACE = "member-home"
watch_tables(MEMBER_NAMESPACE, "memberships", "tiers", "points_entries", "orders",
             "articles", "events", "event_registrations")


@bp.record_once
def _keep_the_old_endpoint(state):
    """``/member`` was storefront's page: templates may still build ``storefront.member``."""
    state.app.add_url_rule("/member", endpoint="storefront.member", view_func=member)


def _membership():
    return membership_of(current_user._get_current_object()) \
        if current_user.is_authenticated else None


def _member_or_join():
    membership = _membership()
    if membership is None:
        return None, (render_template("crm/member/join.html",
                                      titles=content.public_titles(limit=8)), 200)
    return membership, None


@bp.route("/member")
def member():
    membership, page = _member_or_join()
    if page:
        return page
    # This member's own home, kept until what it shows is written (MEMBER_NAMESPACE) and for
    # the minute it was made in (the rolling year of spend, the next event, birthdays).
    minute = utcnow().replace(second=0, microsecond=0).isoformat()
    body = cached_fragment("member-home", (MEMBER_NAMESPACE,), (membership.id, minute),
                           lambda: _home_body(membership))
    return render_template("crm/member/home.html", body=Markup(body))


def _home_body(membership) -> str:
    upcoming = events.upcoming_for(membership, limit=1)
    return render_template(
        "crm/member/_home_body.html", membership=membership,
        progress=tier_progress(membership), next_event=upcoming[0] if upcoming else None,
        articles=content.articles_for(membership, limit=HOME_ARTICLES),
        ledger=points_ledger.ledger(membership, per_page=3),
        birthday_double=points_ledger.birthday_double_active(membership))


@bp.route("/member/card.svg")
@login_required
def card_qr():
    membership = _membership()
    if membership is None:
        raise NotFound()
    return qr_svg_response(membership.card_number, scale=6)


@bp.route("/member/points")
@login_required
def member_points():
    membership, page = _member_or_join()
    if page:
        return page
    number = max(1, request.args.get("page", 1, type=int) or 1)
    return render_template("crm/member/points.html", membership=membership,
                           entries=points_ledger.ledger(membership, page=number), page=number)


@bp.route("/member/content")
def member_content():
    q = (request.args.get("q") or "").strip()[:100] or None
    membership = _membership()
    if membership is None:
        return render_template("crm/member/join.html", titles=content.public_titles(q=q), q=q)
    return render_template("crm/member/content.html", articles=content.articles_for(membership,
                                                                                     q=q), q=q)


@bp.route("/member/content/<public_id>")
def member_article(public_id: str):
    """A live article for a member it fits; a non-member sees its title and a call to join.
    A draft or an expired article is 404 for everyone: nothing of it shows."""
    article = content.get_live_article(public_id[:24])
    membership = _membership()
    if membership is None:
        return render_template("crm/member/join.html", titles=[article]), 403
    if not content.readable_by(article, membership):
        raise NotFound()
    content.count_view(article)
    db.session.commit()
    return render_template("crm/member/article.html", article=article,
                           body=content.render_markdown(article.body_md))


@bp.route("/member/events")
def member_events():
    membership, page = _member_or_join()
    if page:
        return page
    upcoming = events.upcoming_for(membership)
    mine = {e.id: events.registration_of(e, membership) for e in upcoming}
    return render_template("crm/member/events.html", events=upcoming, mine=mine)


def _event_page(event, membership, form, status=200):
    return render_template("crm/member/event.html", event=event, form=form,
                           registration=events.registration_of(event, membership)), status


@bp.route("/member/events/<public_id>", methods=["GET", "POST"])
@login_required
def member_event(public_id: str):
    membership, page = _member_or_join()
    if page:
        return page
    event = events.get_published_event(public_id[:24])
    if not fits(event, audience_of(membership)):
        raise NotFound()
    form = RegistrationForm()
    if request.method == "POST":
        if not form.validate():
            return _event_page(event, membership, form, 400)
        try:
            reg = events.register(event, membership, attendees=form.attendees.data,
                                  waitlist=form.waitlist.data)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            apply_domain_errors(form, err)
            return _event_page(event, membership, form, err.status)
        flash(_("You are registered.") if reg.status == "registered"
              else _("The event is full: you are on the waitlist."), "success")
        return redirect(url_for(".member_event", public_id=event.public_id))
    return _event_page(event, membership, form)


@bp.route("/member/events/<public_id>/cancel", methods=["POST"])
@login_required
def member_event_cancel(public_id: str):
    membership, page = _member_or_join()
    if page:
        return page
    event = events.get_event(public_id[:24])
    reg = events.registration_of(event, membership)
    if reg is None:
        raise NotFound()
    try:
        events.cancel_registration(reg)
        db.session.commit()
        flash(_("Your registration is cancelled."), "success")
    except DomainError as err:
        db.session.rollback()
        flash(str(err.message), "error")
    if not event.published:  # its page shows nothing of an unpublished event
        return redirect(url_for(".member_events"))
    return redirect(url_for(".member_event", public_id=event.public_id))


@bp.route("/member/profile", methods=["GET", "POST"])
@login_required
def member_profile():
    membership, page = _member_or_join()
    if page:
        return page
    if request.method == "POST":
        form = ProfileForm()
        if form.validate():
            try:
                members.update_profile(membership, form.data_for_service())
                db.session.commit()
                flash(_("Your preferences are saved."), "success")
                return redirect(url_for(".member_profile"))
            except DomainError as err:
                db.session.rollback()
                apply_domain_errors(form, err)
    else:
        children = [{"name": c.get("name", ""), "birth_date": _date(c.get("birth_date"))}
                    for c in membership.children or []]
        if not children and membership.baby_birthday:
            children = [{"name": "", "birth_date": membership.baby_birthday}]
        form = ProfileForm(data={
            "name": membership.name, "phone": membership.phone, "birthday": membership.birthday,
            "city": membership.city, "interests": membership.interests,
            "channels": membership.channels, "marketing_consent": membership.marketing_consent,
            "children": children + [{}] * max(0, 2 - len(children))})
    return render_template("crm/member/profile.html", form=form, close_form=CloseForm(),
                           membership=membership), form_status(form)


def _date(value):
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def _download(data: dict, filename: str) -> Response:
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "private, no-store"})


@bp.route("/member/data.json")
@login_required
def member_data():
    membership, page = _member_or_join()
    if page:
        return page
    return _download(members.export_member_data(membership), f"{membership.card_number}.json")


@bp.route("/account/data.json")
@login_required
def account_data():
    """Every shopper's copy of their data, member or not (linked from the account page)."""
    return _download(export_person_data(current_user._get_current_object()), "my-data.json")


@bp.route("/member/close", methods=["POST"])
@login_required
def member_close():
    membership, page = _member_or_join()
    if page:
        return page
    form = CloseForm()
    if not form.validate():
        flash(_("Please confirm that you want to close your membership."), "error")
        return redirect(url_for(".member_profile"))
    members.close_membership(membership)
    db.session.commit()
    flash(_("Your membership is closed. Your orders stay in your account."), "success")
    return redirect(url_for("storefront.account"))


@bp.app_template_global()
def points_kind_label(kind: str) -> str:
    return str(POINTS_KIND_LABELS.get(kind, kind))


@bp.app_template_global()
def registration_status_label(status: str) -> str:
    return str(REGISTRATION_STATUS_LABELS.get(status, status))


@bp.app_template_global()
def event_venue(event) -> str:
    return events.venue_text(event)


@bp.app_template_global()
def points_entry_label(entry) -> str:
    """A ledger line in words; an order's points doubled in the birthday month say so."""
    if entry.reason == points_ledger.BIRTHDAY_DOUBLE_REASON:
        return _("Earned on an order: birthday month, double points")
    return points_kind_label(entry.kind)
