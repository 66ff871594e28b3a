"""Pages of online payment: the Payment Element page, Stripe's return, switching to offline.

The return page asks Stripe how the payment stands (never the URL's word), records it,
and shows the order. Stripe is only called with no transaction open.
"""

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.errors import DomainError, NotFound
from core.extensions import db
from fulfillment.schemas import plain_key

from .. import orders
from ..errors import PaymentGatewayError, PaymentsUnavailable
from ..models import Order, OrderStatus
from . import billing, gateway, records, refunds
from .models import PaymentStatus

bp = Blueprint("payments", __name__)


@bp.app_template_global()
def payments_enabled() -> bool:
    return gateway.enabled()


@bp.app_template_global()
def payment_timeline(order: Order):
    return records.timeline(order)


@bp.app_template_global()
def last_online_payment(order: Order):
    return records.latest_stripe_payment(order)


def _own_order(public_id: str) -> Order:
    if not plain_key(public_id):
        raise NotFound()
    order = orders.get_order(public_id)
    if order.user_id != current_user.id:
        raise NotFound()
    return order


@bp.route("/orders/<public_id>/pay")
@login_required
def pay(public_id: str):
    """The Payment Element for a pending online order (or why it cannot be shown)."""
    order = _own_order(public_id)
    if order.status != OrderStatus.PENDING_PAYMENT:
        return redirect(url_for("storefront.order", public_id=public_id))
    intent, problem = None, None
    try:
        intent = billing.open_intent(order, current_user._get_current_object())
        db.session.commit()
    except (PaymentsUnavailable, PaymentGatewayError) as err:
        db.session.rollback()
        problem = str(err.message)
    order = orders.get_order(public_id)
    payment = records.latest_stripe_payment(order)
    locale = str(get_locale() or "zh_CN")
    return render_template(
        "storefront/pay.html", order=order, intent=intent, problem=problem,
        failure=payment.failure_message if payment is not None
        and payment.status == PaymentStatus.FAILED else None,
        publishable_key=gateway.publishable_key(),
        stripe_js_url=current_app.config["STRIPE_JS_URL"],
        stripe_locale="zh" if locale.startswith("zh") else "en",
        return_url=url_for("payments.payment_return", public_id=public_id, _external=True),
    ), (503 if problem else 200)


@bp.route("/orders/<public_id>/payment-return")
@login_required
def payment_return(public_id: str):
    """Where Stripe sends the shopper back: ask Stripe, record what it says, show the order."""
    order = _own_order(public_id)
    payment = records.latest_stripe_payment(order)
    if payment is None or not gateway.enabled():
        return redirect(url_for("storefront.order", public_id=public_id))
    intent_id, order_id = payment.stripe_payment_intent_id, order.id
    db.session.commit()
    try:
        intent = gateway.retrieve_intent(intent_id)
    except PaymentGatewayError as err:
        flash(str(err.message), "warning")
        return redirect(url_for("storefront.order", public_id=public_id))
    outcome = billing.apply_intent(db.session.get(Order, order_id), intent)
    db.session.commit()
    refunds.execute_pending_refunds(order_id)
    if intent.status == "succeeded" and outcome in ("paid", "revived", "ignored"):
        flash(_("Thank you! Your payment is received."), "success")
    elif intent.status == "processing":
        flash(_("Your payment is being processed. This page shows it as soon as it is confirmed."),
              "info")
    elif intent.status == "succeeded":
        flash(_("Your payment arrived after the order closed, so it is refunded in full."),
              "warning")
    else:
        flash(_("The payment did not go through. You can try again or pay offline."), "error")
    return redirect(url_for("storefront.order", public_id=public_id))


@bp.route("/orders/<public_id>/pay-offline", methods=["POST"])
@login_required
def pay_offline(public_id: str):
    """Give up paying online: pay at pickup or on delivery instead."""
    order = _own_order(public_id)
    try:
        intent_ids = billing.switch_to_offline(order, current_user._get_current_object())
        order_id = order.id
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        flash(str(err.message), "error")
        return redirect(url_for("storefront.order", public_id=public_id))
    billing.cancel_intents(order_id, intent_ids)
    flash(_("Fine: you pay when you receive your order. Your items stay reserved."), "success")
    return redirect(url_for("storefront.order", public_id=public_id))
