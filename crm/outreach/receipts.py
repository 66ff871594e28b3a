"""The e-receipt of a sale at a store's counter: an SMS to the member's phone, else an
e-mail, through the outbox (written with the sale, delivered after the commit)."""

from flask import current_app
from flask_babel import gettext as _

from core.extensions import db
from core.i18n import in_locale, localized
from core.models import User
from core.money import format_money
from fulfillment.models import Center
from storefront.loyalty.membership import membership_of
from storefront.models import Order

from .models import OutboxMessage
from .outbox import enqueue


def send_counter_receipt(order: Order) -> OutboxMessage | None:
    """Queue the receipt of a member's counter sale, once per order (None: no way to reach
    them, or queued before). The text says what was bought, what was paid and where."""
    user = db.session.get(User, order.user_id) if order.user_id is not None else None
    if user is None:
        return None
    membership = membership_of(user)
    phone = (membership.phone if membership else None) or user.phone
    center = db.session.get(Center, order.center_id)
    locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    with in_locale(locale):
        items = "、".join(f"{line.name_zh}×{line.quantity}" for line in order.lines)
        values = {"shop": current_app.config["SHOP_NAME"], "number": order.number,
                  "center": localized(center, "name"), "items": items,
                  "total": format_money(order.total_amount, order.currency, locale)}
        subject = _("[%(shop)s] Your receipt %(number)s", **values)
        body = _("Thank you for shopping at %(center)s. Receipt %(number)s: %(items)s, "
                 "paid %(total)s. It is under My orders in your account.", **values)
    if phone:
        return enqueue(channel="sms", kind="receipt", subject=subject,
                       body=f"【{values['shop']}】{body}", user_id=user.id, to=phone,
                       dedupe_key=f"receipt:{order.id}")
    if user.email:
        return enqueue(channel="email", kind="receipt", subject=subject, body=body,
                       user_id=user.id, to=user.email, dedupe_key=f"receipt:{order.id}")
    return None
