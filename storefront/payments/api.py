"""JSON routes of online payment: an order's PaymentIntent, and Stripe's webhook."""

from flask import g, request
from marshmallow import Schema, fields

from core.api import api_blueprint, ok, route
from core.auth import api_auth
from core.errors import NotFound
from core.extensions import db
from core.inputs import signed_body
from fulfillment.schemas import plain_key

from .. import orders
from . import billing, gateway, refunds, webhooks

bp = api_blueprint("payments_api", __name__)


class PaymentIntentSchema(Schema):
    client_secret = fields.String(metadata={"description": "For Stripe.js in the shopper's app."})
    payment_intent_id = fields.String()
    publishable_key = fields.String(allow_none=True)


class WebhookAnswerSchema(Schema):
    received = fields.Boolean()
    outcome = fields.String(metadata={"example": "paid"})


@route(bp, "/orders/<public_id>/payment-intent", ("POST",), tag="payments",
       summary="The Stripe PaymentIntent to pay an order online with (created once)",
       response=PaymentIntentSchema,
       errors=("404:not_found", "409:illegal_transition", "502:payment_gateway_error",
               "503:payments_unavailable"))
@api_auth()
def payment_intent(public_id: str):
    if not plain_key(public_id):
        raise NotFound()
    order = orders.get_order(public_id)
    intent = billing.open_intent(order, g.api_user)
    db.session.commit()
    return ok({"client_secret": intent.client_secret, "payment_intent_id": intent.id,
               "publishable_key": gateway.publishable_key()})


@route(bp, "/payments/stripe/webhook", ("POST",), tag="payments",
       summary="Stripe's events, verified by Stripe-Signature and applied once",
       response=WebhookAnswerSchema, auth=False,
       errors=("400:invalid_signature", "502:payment_gateway_error"))
@signed_body
def stripe_webhook():
    event = gateway.verify_event(request.get_data(), request.headers.get("Stripe-Signature"))
    fresh = webhooks.fresh_intent_for(event)  # before any row is touched
    outcome = webhooks.handle_event(event, fresh)
    order_ids = webhooks.orders_with_pending_refunds_for(event)
    db.session.commit()
    for order_id in order_ids:
        refunds.execute_pending_refunds(order_id)
    return ok({"received": True, "outcome": outcome})
