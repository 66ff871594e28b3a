"""JSON API of crm (under /api/v1): the customer list, the 360 view, the follow-up queue."""

import sqlalchemy as sa
from flask import g

from core.api import api_blueprint, load_body, load_query, ok, route
from core.auth import api_auth
from core.errors import NotFound
from core.extensions import db
from core.i18n import localized
from core.models import Role
from storefront.models import Order
from storefront.schemas import MembershipSchema, OrderSummarySchema

from .care import complaints
from .customers import merging
from .customers.services import customer_360, get_customer, search_customers
from .followups import queue
from .schemas import (
    ComplaintCreateSchema,
    ComplaintListSchema,
    ComplaintSchema,
    ComplaintTransitionSchema,
    Customer360Schema,
    CustomerComplaintSchema,
    CustomerListItemSchema,
    CustomerPageSchema,
    CustomerQuerySchema,
    FiguresSchema,
    FollowUpCompleteSchema,
    FollowUpListSchema,
    FollowUpQuerySchema,
    FollowUpSchema,
    MergeSchema,
    ProfileSchema,
)

bp = api_blueprint("crm_api", __name__)

CRM_ROLES = (Role.CRM, Role.ADMIN)


def _public_ids(order_ids) -> dict[int, str]:
    """``{order id: public id}`` in one query."""
    ids = list({i for i in order_ids if i is not None})
    if not ids:
        return {}
    return dict(db.session.execute(
        sa.select(Order.id, Order.public_id).where(Order.id.in_(ids))).all())


@route(bp, "/crm/customers", summary="Customers and prospects, searched", tag="crm",
       query=CustomerQuerySchema, response=CustomerPageSchema, auth="crm, admin",
       errors=("400:validation_error",))
@api_auth(*CRM_ROLES)
def customer_list():
    args = load_query(CustomerQuerySchema())
    items, pages = search_customers(args.get("q"), user_id=args.get("user_id"),
                                    page=args["page"])
    return ok({"items": CustomerListItemSchema(many=True).dump(items),
               "page": min(args["page"], pages), "pages": pages})


@route(bp, "/crm/customers/<int:customer_id>", summary="Customer 360 (the look is logged)",
       tag="crm", response=Customer360Schema, auth="crm, admin", errors=("404:not_found",))
@api_auth(*CRM_ROLES)
def customer_detail(customer_id: int):
    body = _body_360(get_customer(customer_id))
    db.session.commit()
    return ok(body)


@route(bp, "/crm/customers/<int:customer_id>/merge", ("POST",),
       summary="Merge another profile into this one (both histories kept; the other is "
       "removed)", tag="crm", body=MergeSchema, response=Customer360Schema, auth="crm, admin",
       errors=("400:validation_error", "404:not_found", "409:cannot_merge"))
@api_auth(*CRM_ROLES)
def customer_merge(customer_id: int):
    keep = get_customer(customer_id)
    data = load_body(MergeSchema())
    merging.merge_customers(keep, get_customer(data["from_id"]), actor=g.api_user)
    body = _body_360(keep)
    db.session.commit()
    return ok(body)


def _body_360(customer) -> dict:
    """The 360 of ``customer`` as the API gives it (the look is logged)."""
    view = customer_360(customer, g.api_user, channel="api")
    refs = _public_ids([f.order_id for f in view["followups"]]
                       + [c.order_id for c in view["complaints"]])
    figures = {
        "recency_days": view["recency_days"], "frequency": customer.frequency,
        "monetary_amount": customer.monetary_amount, "lifetime_amount": customer.lifetime_amount,
        "orders_count": customer.orders_count, "first_order_at": customer.first_order_at,
        "last_order_at": customer.last_order_at, "segment": view["segment"],
        "avg_basket_amount": customer.avg_basket_amount,
        "favourite_center_id": customer.favourite_center_id,
        "favourite_center": (localized(view["favourite_center"], "name")
                             if view["favourite_center"] is not None else None),
        "favourite_category_id": customer.favourite_category_id,
        "favourite_category": (localized(view["favourite_category"], "name")
                               if view["favourite_category"] is not None else None),
        "r_score": customer.r_score, "f_score": customer.f_score, "m_score": customer.m_score,
        "rfm_segment": customer.rfm_segment,
    }
    return {
        "id": customer.id, "user_id": customer.user_id,
        "profile": ProfileSchema().dump(customer),
        "membership": (MembershipSchema().dump(view["membership"])
                       if view["membership"] is not None else None),
        "figures": FiguresSchema().dump(figures),
        "orders": OrderSummarySchema(many=True).dump(view["orders"]),
        "followups": FollowUpSchema(many=True, order_refs=refs).dump(view["followups"]),
        "complaints": ComplaintSchema(many=True, order_refs=refs).dump(view["complaints"]),
        "possible_duplicates": [d["customer"].id for d in merging.possible_duplicates(customer)],
    }


@route(bp, "/crm/followups", summary="Follow-ups due, soonest first", tag="crm",
       query=FollowUpQuerySchema, response=FollowUpListSchema, auth="crm, admin",
       errors=("400:validation_error",))
@api_auth(*CRM_ROLES)
def followup_list():
    args = load_query(FollowUpQuerySchema())
    items = queue.due_followups(due_before=args.get("due_before"), status=args["status"],
                                kind=args.get("kind"))
    refs = _public_ids(f.order_id for f in items)
    return ok({"items": FollowUpSchema(many=True, order_refs=refs).dump(items)})


@route(bp, "/crm/followups/<int:followup_id>/complete", ("POST",),
       summary="Record a follow-up call's outcome", tag="crm", body=FollowUpCompleteSchema,
       response=FollowUpSchema, auth="crm",
       errors=("400:validation_error", "404:not_found", "409:illegal_transition"))
@api_auth(Role.CRM)
def complete_followup(followup_id: int):
    followup = queue.get_followup(followup_id)
    data = load_body(FollowUpCompleteSchema())
    queue.complete_followup(followup, g.api_user, outcome=data["outcome"],
                            notes=data.get("notes") or None,
                            satisfaction=data.get("satisfaction"))
    body = FollowUpSchema(order_refs=_public_ids([followup.order_id])).dump(followup)
    db.session.commit()
    return ok(body)


# --- complaints ------------------------------------------------------------------------------


def _complaint_schema(user, **kwargs):
    """The customer sees their complaint without the customer center's notes
    (``CustomerComplaintSchema``); staff see all of it."""
    if user.role == Role.CUSTOMER:
        return CustomerComplaintSchema(**kwargs)
    return ComplaintSchema(**kwargs)


def _complaint_body(complaint, user) -> dict:
    return _complaint_schema(user, order_refs=_public_ids([complaint.order_id])).dump(complaint)


def _visible(complaint, user) -> bool:
    if user.role in CRM_ROLES:
        return True
    return complaint.customer.user_id == user.id


@route(bp, "/crm/complaints", ("POST",), summary="Log a complaint (staff) or file one about "
       "your own order (customer)", tag="crm", body=ComplaintCreateSchema,
       response=ComplaintSchema, status=201, auth="crm, admin, or the order's customer",
       errors=("400:validation_error", "403:forbidden", "404:not_found"))
@api_auth(Role.CRM, Role.ADMIN, Role.CUSTOMER)
def complaint_create():
    data = load_body(ComplaintCreateSchema())
    user = g.api_user
    order = None
    if data.get("order_id"):
        order = db.session.execute(sa.select(Order).where(
            Order.public_id == data["order_id"])).scalar_one_or_none()
        if order is None or (user.role == Role.CUSTOMER and order.user_id != user.id):
            raise NotFound()
    customer = None
    if data.get("customer_id") and user.role != Role.CUSTOMER:
        customer = get_customer(data["customer_id"])
    complaint = complaints.open_complaint(
        actor=user, customer=customer, order=order, category=data["category"],
        description=data["description"], severity=data["severity"], channel=data["channel"],
        product_id=data.get("product_id"))
    body = _complaint_body(complaint, user)
    db.session.commit()
    return ok(body, 201)


@route(bp, "/crm/complaints", summary="Complaints: the customer's own, or (staff) the "
       "unresolved ones, deadline first", tag="crm", response=ComplaintListSchema,
       auth="crm, admin, customer")
@api_auth(Role.CRM, Role.ADMIN, Role.CUSTOMER)
def complaint_list():
    user = g.api_user
    items = (complaints.complaints_of_user(user) if user.role == Role.CUSTOMER
             else complaints.list_complaints(status="unresolved"))
    refs = _public_ids(c.order_id for c in items)
    return ok({"items": _complaint_schema(user, many=True, order_refs=refs).dump(items)})


@route(bp, "/crm/complaints/<int:complaint_id>", summary="One complaint and its status",
       tag="crm", response=ComplaintSchema, auth="crm, admin, or its customer",
       errors=("404:not_found",))
@api_auth(Role.CRM, Role.ADMIN, Role.CUSTOMER)
def complaint_detail(complaint_id: int):
    complaint = complaints.get_complaint(complaint_id)
    if not _visible(complaint, g.api_user):
        raise NotFound()
    return ok(_complaint_body(complaint, g.api_user))


@route(bp, "/crm/complaints/<int:complaint_id>/transition", ("POST",),
       summary="Move a complaint one step (acknowledge, investigate, resolve, close, reopen)",
       tag="crm", body=ComplaintTransitionSchema, response=ComplaintSchema, auth="crm",
       errors=("400:validation_error", "400:insufficient_stock", "404:not_found",
               "409:illegal_transition"))
@api_auth(Role.CRM)
def complaint_transition(complaint_id: int):
    complaint = complaints.get_complaint(complaint_id)
    data = load_body(ComplaintTransitionSchema())
    complaints.transition(complaint, g.api_user, to=data["to"], note=data.get("note"),
                          remedy=data.get("remedy"), remedy_amount=data.get("remedy_amount"),
                          root_cause=data.get("root_cause"), prevention=data.get("prevention"),
                          replacement_quantity=data.get("replacement_quantity"))
    body = _complaint_body(complaint, g.api_user)
    db.session.commit()
    return ok(body)
