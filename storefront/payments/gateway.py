"""Stripe, behind one door: the only module that imports ``stripe``.

It creates, reads and cancels PaymentIntents, refunds, lists intents for reconciliation
and verifies webhooks. Amounts are integers in fen (Stripe's minor units for CNY). SDK
errors become ``PaymentGatewayError`` (or ``InvalidSignature``); nothing here touches the
database, so callers can run it outside their transactions.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

import stripe
from flask import current_app

from ..errors import InvalidSignature, PaymentGatewayError, PaymentsUnavailable


@dataclass(frozen=True)
class Intent:
    """What the shop needs to know of a PaymentIntent."""

    id: str
    status: str
    amount: int
    currency: str
    client_secret: str | None
    #: the order's public id, from the intent's metadata
    order_public_id: str | None
    method_type: str | None
    failure_message: str | None
    created: datetime | None


def enabled() -> bool:
    """Whether online payment is configured (a secret key is set)."""
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def _client() -> stripe.StripeClient:
    config = current_app.config
    if not enabled():
        raise PaymentsUnavailable()
    base = config.get("STRIPE_API_BASE")
    return stripe.StripeClient(
        config["STRIPE_SECRET_KEY"], base_addresses={"api": base} if base else None,
        max_network_retries=config.get("STRIPE_MAX_NETWORK_RETRIES", 2))


def _get(obj, key, default=None):
    try:
        value = obj[key]
    except (KeyError, TypeError, IndexError):
        return default
    return default if value is None else value


def _intent(pi) -> Intent:
    error = _get(pi, "last_payment_error")
    types = _get(pi, "payment_method_types", [])
    charge = _get(pi, "latest_charge")
    details = _get(charge, "payment_method_details") if not isinstance(charge, str) else None
    method = _get(details, "type") or (types[0] if len(types) == 1 else None)
    created = _get(pi, "created")
    return Intent(
        id=pi["id"], status=pi["status"], amount=int(pi["amount"]),
        currency=str(pi["currency"]).upper(), client_secret=_get(pi, "client_secret"),
        order_public_id=_get(_get(pi, "metadata", {}), "order"), method_type=method,
        failure_message=_get(error, "message"),
        created=datetime.fromtimestamp(int(created), UTC) if created else None,
    )


def intent_from_event(obj: dict) -> Intent:
    """The intent as an event carried it (trusted only where order does not matter)."""
    return _intent(obj)


def _call(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except stripe.StripeError as err:
        current_app.logger.warning("Stripe refused or did not answer: %s", err)
        raise PaymentGatewayError(extra={"stripe_code": getattr(err, "code", None)}) from None


def create_intent(*, amount: int, currency: str, order_public_id: str,
                  idempotency_key: str) -> Intent:
    """A PaymentIntent for an order; the key makes a retried request return the same one."""
    types = current_app.config["STRIPE_PAYMENT_METHOD_TYPES"]
    params = {
        "amount": amount, "currency": currency.lower(), "payment_method_types": types,
        "metadata": {"order": order_public_id},
    }
    if "wechat_pay" in types:
        params["payment_method_options"] = {"wechat_pay": {"client": "web"}}
    pi = _call(_client().v1.payment_intents.create, params=params,
               options={"idempotency_key": idempotency_key})
    return _intent(pi)


def retrieve_intent(intent_id: str) -> Intent:
    """The intent as Stripe sees it now."""
    return _intent(_call(_client().v1.payment_intents.retrieve, intent_id))


def cancel_intent(intent_id: str) -> Intent:
    """Cancel an intent; one that can no longer be cancelled is returned as it stands."""
    client = _client()
    try:
        return _intent(client.v1.payment_intents.cancel(intent_id))
    except stripe.InvalidRequestError:
        # Already succeeded, processing or cancelled: say how it stands instead.
        return retrieve_intent(intent_id)
    except stripe.StripeError as err:
        current_app.logger.warning("Stripe did not cancel %s: %s", intent_id, err)
        raise PaymentGatewayError() from None


def refund(*, intent_id: str, amount: int, idempotency_key: str, reason: str) -> tuple[str, str]:
    """Refund part or all of an intent's charge; returns Stripe's (refund id, status)."""
    result = _call(_client().v1.refunds.create,
                   params={"payment_intent": intent_id, "amount": amount,
                           "metadata": {"reason": reason[:500]}},
                   options={"idempotency_key": idempotency_key})
    return result["id"], result["status"]


def list_intents(since: datetime):
    """Every intent created since ``since``, newest first (following Stripe's pages)."""
    params = {"limit": 100}
    stamp = int(since.timestamp())
    if current_app.config.get("STRIPE_LIST_FILTERS_CREATED", True):
        params["created"] = {"gte": stamp}
    page = _call(_client().v1.payment_intents.list, params=params)
    try:
        for pi in page.auto_paging_iter():
            if int(_get(pi, "created", stamp)) >= stamp:
                yield _intent(pi)
    except stripe.StripeError:
        raise PaymentGatewayError() from None


def verify_event(payload: bytes, signature: str | None) -> dict:
    """The event in a webhook body, if its ``Stripe-Signature`` is good and fresh."""
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret or not signature:
        raise InvalidSignature()
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret)
    except (stripe.SignatureVerificationError, ValueError):
        raise InvalidSignature() from None
    return event.to_dict() if hasattr(event, "to_dict") else dict(event)


def publishable_key() -> str | None:
    return current_app.config.get("STRIPE_PUBLISHABLE_KEY")
