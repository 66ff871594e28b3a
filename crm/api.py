"""JSON API of crm (under /api/v1): the customer list, the 360 view, the follow-up queue."""

import sqlalchemy as sa
from flask import g

from core.api import api_blueprint, load_body, load_query, ok, route
from core.auth import api_auth
from core.extensions import db
from core.models import Role
from storefront.models import Order
from storefront.schemas import MembershipSchema, OrderSummarySchema

from . import customers, followups
from .schemas import (
    ComplaintSchema,
    Customer360Schema,
    CustomerListItemSchema,
    CustomerPageSchema,
    CustomerQuerySchema,
    FiguresSchema,
    FollowUpCompleteSchema,
    FollowUpListSchema,
    FollowUpQuerySchema,
    FollowUpSchema,
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
    items, pages = customers.search_customers(args.get("q"), user_id=args.get("user_id"),
                                              page=args["page"])
    return ok({"items": CustomerListItemSchema(many=True).dump(items),
               "page": min(args["page"], pages), "pages": pages})


@route(bp, "/crm/customers/<int:customer_id>", summary="Customer 360 (the look is logged)",
       tag="crm", response=Customer360Schema, auth="crm, admin", errors=("404:not_found",))
@api_auth(*CRM_ROLES)
def customer_detail(customer_id: int):
    customer = customers.get_customer(customer_id)
    view = customers.customer_360(customer, g.api_user, channel="api")
    refs = _public_ids([f.order_id for f in view["followups"]]
                       + [c.order_id for c in view["complaints"]])
    figures = {
        "recency_days": view["recency_days"], "frequency": customer.frequency,
        "monetary_amount": customer.monetary_amount, "lifetime_amount": customer.lifetime_amount,
        "orders_count": customer.orders_count, "first_order_at": customer.first_order_at,
        "last_order_at": customer.last_order_at, "segment": view["segment"],
    }
    body = {
        "id": customer.id, "user_id": customer.user_id,
        "profile": ProfileSchema().dump(customer),
        "membership": (MembershipSchema().dump(view["membership"])
                       if view["membership"] is not None else None),
        "figures": FiguresSchema().dump(figures),
        "orders": OrderSummarySchema(many=True).dump(view["orders"]),
        "followups": FollowUpSchema(many=True, order_refs=refs).dump(view["followups"]),
        "complaints": ComplaintSchema(many=True, order_refs=refs).dump(view["complaints"]),
    }
    db.session.commit()
    return ok(body)


@route(bp, "/crm/followups", summary="Follow-ups due, soonest first", tag="crm",
       query=FollowUpQuerySchema, response=FollowUpListSchema, auth="crm, admin",
       errors=("400:validation_error",))
@api_auth(*CRM_ROLES)
def followup_list():
    args = load_query(FollowUpQuerySchema())
    items = followups.due_followups(due_before=args.get("due_before"), status=args["status"],
                                    kind=args.get("kind"))
    refs = _public_ids(f.order_id for f in items)
    return ok({"items": FollowUpSchema(many=True, order_refs=refs).dump(items)})


@route(bp, "/crm/followups/<int:followup_id>/complete", ("POST",),
       summary="Record a follow-up call's outcome", tag="crm", body=FollowUpCompleteSchema,
       response=FollowUpSchema, auth="crm",
       errors=("400:validation_error", "404:not_found", "409:illegal_transition"))
@api_auth(Role.CRM)
def complete_followup(followup_id: int):
    followup = followups.get_followup(followup_id)
    data = load_body(FollowUpCompleteSchema())
    followups.complete_followup(followup, g.api_user, outcome=data["outcome"],
                                notes=data.get("notes") or None,
                                satisfaction=data.get("satisfaction"))
    body = FollowUpSchema(order_refs=_public_ids([followup.order_id])).dump(followup)
    db.session.commit()
    return ok(body)
