"""The order confirmation: once an order is placed (or, paid online, once it is paid) the
shopper gets its number and what happens next, by SMS to the order's phone and by e-mail to
the account's address, through the outbox (each once)."""

from flask import current_app

from core.extensions import db
from core.i18n import Words, in_locale, localtime_filter
from core.models import User
from storefront.models import Order, PaymentMethod

from .models import OutboxMessage
from .outbox import enqueue, enqueue_fresh


def _slot_words(f, _: Words) -> str:
    if f is None or f.slot_id is None:  # the key first: no loader for an empty window
        return ""
    with in_locale(_.locale):  # the times as that language writes them
        return _(" Time: %(start)s–%(end)s.",
                 start=localtime_filter(f.slot.starts_at, "MM-dd HH:mm"),
                 end=localtime_filter(f.slot.ends_at, "HH:mm"))


def _next_steps(order: Order, _: Words) -> str:
    """What happens next, by the way the order is fulfilled and paid."""
    f = order.fulfillment
    center = _.localized(f.center, "name") if f is not None and f.center is not None else ""
    if order.fulfillment_method == "pickup":
        address = _.localized(f.center, "address") if f is not None else ""
        steps = _("We will message you when it is ready at %(center)s (%(address)s); show the "
                  "pickup code at the desk. An order not collected within %(days)s days of "
                  "being ready is cancelled.", center=center, address=address,
                  days=current_app.config.get("PICKUP_NO_SHOW_DAYS", 7))
    elif order.fulfillment_method == "delivery":
        steps = _("%(center)s will deliver it to your address.", center=center)
    else:
        steps = _("It will be sent by courier from %(center)s; we will send you the tracking "
                  "number.", center=center)
    steps += _slot_words(f, _)
    due = order.total_amount - order.paid_amount
    if order.payment_method in PaymentMethod.OFFLINE and due > 0:
        steps += _(" Please pay %(amount)s on receipt.", amount=_.money(due, order.currency))
    return steps


def notify_order_confirmed(order: Order, *, new: bool = False) -> list[OutboxMessage]:
    """Queue the confirmation of ``order`` (nothing when it was queued before, nor for a sale
    at the counter: the shopper is there, and a member gets the e-receipt instead). ``new``:
    the order is being placed in this transaction, so nothing was queued for it yet."""
    if order.user_id is None or getattr(order, "channel", "web") == "store":
        return []
    user = db.session.get(User, order.user_id)
    phone = order.contact_phone or (user.phone if user else None)
    _ = Words(current_app.config["BABEL_DEFAULT_LOCALE"])  # the shop's language
    shop = current_app.config["SHOP_NAME"]
    subject = _("[%(shop)s] Order %(number)s received", shop=shop, number=order.number)
    body = _("Thank you! We have your order %(number)s (%(amount)s).",
             number=order.number, amount=_.money(order.total_amount, order.currency)
             ) + " " + _next_steps(order, _)
    messages = []
    if phone:
        messages.append(dict(channel="sms", kind="order_confirmed", subject=subject,
                             body=f"【{shop}】{body}", user_id=order.user_id, to=phone,
                             dedupe_key=f"confirmed:{order.id}:sms"))
    if user is not None and user.email:
        messages.append(dict(channel="email", kind="order_confirmed", subject=subject,
                             body=body, user_id=order.user_id, to=user.email,
                             dedupe_key=f"confirmed:{order.id}:email"))
    if new:  # a new order: nothing was queued for it yet, both go in one INSERT
        return enqueue_fresh(messages)
    made = [enqueue(**message) for message in messages]
    return [m for m in made if m is not None]
