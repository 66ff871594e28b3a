"""JSON API of the VIP club for a mini-program (under /api/v1/member): card, points ledger,
content and events with registration and cancellation."""

import sqlalchemy as sa
from flask import g
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from core.api import api_blueprint, load_body, load_query, ok, route
from core.auth import api_auth
from core.errors import Forbidden, NotFound
from core.extensions import db
from core.i18n import localized
from storefront.loyalty import points as points_ledger
from storefront.loyalty.membership import membership_of
from storefront.loyalty.tiers import tier_progress
from storefront.pages import stored_image_url

from . import content, events
from .models import EventRegistration, RegistrationStatus

bp = api_blueprint("club_api", __name__)


class NotMember(NotFound):
    code = "not_member"
    message = _l("Join the VIP club first.")


class MembersOnly(Forbidden):
    code = "members_only"
    message = _l("This article is for VIP members: join the club to read it.")


class CardSchema(Schema):
    card_number = fields.String()
    tier = fields.String()
    tier_name = fields.String()
    points = fields.Integer()
    qr_text = fields.String(metadata={"description": "what the card's QR code encodes"})
    spend_12_months = fields.Integer()
    next_tier = fields.String(allow_none=True)
    next_tier_remaining = fields.Integer()


class LedgerQuerySchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))


class LedgerEntrySchema(Schema):
    kind = fields.String()
    delta = fields.Integer()
    balance_after = fields.Integer()
    reason = fields.String()
    order_id = fields.Integer(allow_none=True)
    expires_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class LedgerSchema(Schema):
    balance = fields.Integer()
    items = fields.List(fields.Nested(LedgerEntrySchema))


class ContentQuerySchema(Schema):
    q = fields.String(load_default=None, validate=validate.Length(max=100))


class ArticleOutSchema(Schema):
    id = fields.String(attribute="public_id")
    title = fields.String()
    summary = fields.String()
    cover_image = fields.String(allow_none=True)
    cover_url = fields.Function(lambda a: stored_image_url(a.cover_image), allow_none=True,
                                metadata={"description": "Where the cover is served (a path)."})
    published_at = fields.DateTime(attribute="publish_from")


class VenueSchema(Schema):
    name = fields.String(allow_none=True, metadata={"description": "the store's name, for an "
                                                    "event at a center"})
    address = fields.String(allow_none=True)


class ArticleDetailSchema(ArticleOutSchema):
    body_html = fields.String(metadata={"description": "The body rendered from Markdown and "
                                                       "sanitized: safe to show as HTML."})


class EventOutSchema(Schema):
    id = fields.String(attribute="public_id")
    title = fields.String()
    description = fields.String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime(allow_none=True)
    city = fields.String()
    address = fields.String(allow_none=True)
    center_id = fields.Integer(allow_none=True)
    venue = fields.Nested(VenueSchema, metadata={
        "description": "where: the store's name and address, or the address given"})
    capacity = fields.Integer()
    seats_left = fields.Method("_seats_left")

    def get_attribute(self, obj, attr, default):
        if attr == "venue":
            return events.venue_of(obj)
        return super().get_attribute(obj, attr, default)

    def _seats_left(self, event) -> int:
        return max(event.capacity - event.seats_taken, 0)


class ContentSchema(Schema):
    articles = fields.List(fields.Nested(ArticleOutSchema))
    events = fields.List(fields.Nested(EventOutSchema))


class EventSignupSchema(Schema):
    attendees = fields.Integer(strict=True, load_default=1,
                               validate=validate.Range(min=1, max=10))
    waitlist = fields.Boolean(load_default=False)


class RegistrationOutSchema(Schema):
    event_id = fields.Method("_event_id")
    attendees = fields.Integer()
    status = fields.String()
    checked_in_at = fields.DateTime(allow_none=True)

    def _event_id(self, reg) -> str:
        return reg.event.public_id


class RegistrationListSchema(Schema):
    items = fields.List(fields.Nested(RegistrationOutSchema))


def _membership():
    membership = membership_of(g.api_user)
    if membership is None:
        raise NotMember()
    return membership


@route(bp, "/member/card", summary="My VIP card, tier and the way to the next tier",
       tag="member", response=CardSchema, errors=("404:not_member",))
@api_auth()
def card():
    membership = _membership()
    progress = tier_progress(membership)
    return ok(CardSchema().dump({
        "card_number": membership.card_number, "tier": membership.tier,
        "tier_name": localized(progress.current, "name") if progress.current else membership.tier,
        "points": membership.points, "qr_text": membership.card_number,
        "spend_12_months": progress.spend,
        "next_tier": progress.next.code if progress.next else None,
        "next_tier_remaining": progress.remaining}))


@route(bp, "/member/points", summary="My points ledger, newest first", tag="member",
       query=LedgerQuerySchema, response=LedgerSchema,
       errors=("400:validation_error", "404:not_member"))
@api_auth()
def points():
    membership = _membership()
    args = load_query(LedgerQuerySchema())
    return ok({"balance": membership.points, "items": LedgerEntrySchema(many=True).dump(
        points_ledger.ledger(membership, page=args["page"]))})


@route(bp, "/member/content", summary="Articles and events for my tier, baby stage and "
       "interests", tag="member", query=ContentQuerySchema, response=ContentSchema,
       errors=("400:validation_error", "404:not_member"))
@api_auth()
def member_content():
    membership = _membership()
    args = load_query(ContentQuerySchema())
    return ok({"articles": ArticleOutSchema(many=True).dump(
                   content.articles_for(membership, q=args.get("q"))),
               "events": EventOutSchema(many=True).dump(events.upcoming_for(membership))})


@route(bp, "/member/content/<public_id>", summary="One article with its body as safe HTML "
       "(counts a view); a bearer token of a member is needed to read it", tag="member",
       response=ArticleDetailSchema, auth=False,
       errors=("403:members_only", "404:not_found"))
@api_auth(optional=True)
def article(public_id: str):
    item = content.get_live_article(public_id[:24])
    membership = membership_of(g.api_user) if g.api_user is not None else None
    if membership is None:
        raise MembersOnly(extra={"title": item.title})
    if not content.readable_by(item, membership):
        raise NotFound()
    content.count_view(item)
    db.session.commit()
    body = ArticleDetailSchema().dump(item)
    body["body_html"] = content.render_markdown(item.body_md)
    return ok(body)


@route(bp, "/member/events/<public_id>/register", ("POST",), summary="Register for an event",
       tag="member", body=EventSignupSchema, response=RegistrationOutSchema, status=201,
       errors=("400:validation_error", "404:not_found", "409:event_full",
               "409:already_registered", "409:illegal_transition"))
@api_auth()
def register(public_id: str):
    membership = _membership()
    data = load_body(EventSignupSchema())
    event = events.get_published_event(public_id[:24])
    reg = events.register(event, membership, attendees=data["attendees"],
                          waitlist=data["waitlist"])
    db.session.commit()
    return ok(RegistrationOutSchema().dump(reg), 201)


@route(bp, "/member/events/<public_id>/cancel", ("POST",), summary="Cancel my registration",
       tag="member", response=RegistrationOutSchema,
       errors=("404:not_found", "409:illegal_transition"))
@api_auth()
def cancel(public_id: str):
    membership = _membership()
    event = events.get_event(public_id[:24])
    reg = events.registration_of(event, membership)
    if reg is None:
        raise NotFound()
    events.cancel_registration(reg)
    db.session.commit()
    return ok(RegistrationOutSchema().dump(reg))


@route(bp, "/member/events", summary="My event registrations", tag="member",
       response=RegistrationListSchema, errors=("404:not_member",))
@api_auth()
def my_registrations():
    membership = _membership()
    regs = db.session.execute(sa.select(EventRegistration).where(
        EventRegistration.membership_id == membership.id,
        EventRegistration.status != RegistrationStatus.CANCELLED)).scalars()
    return ok({"items": RegistrationOutSchema(many=True).dump(regs)})
