"""Replacement orders: the goods again, free of charge, when the first ones failed the shopper.

A replacement is an order like any other (stock reserved at the center, the desk's queue,
pickup code or delivery), priced at 0 and marked as replacing the original order.
"""

from flask_babel import lazy_gettext as _l

from core.errors import ValidationFailed
from core.extensions import db
from core.models import User
from fulfillment.models import Center, Method

from .models import Order, OrderLine, OrderStatus, PaymentMethod, Product
from .orders import MAX_QUANTITY, record_order, write_order


def replacement_line(original: Order, product_id: int | None) -> OrderLine | None:
    """The original's line of ``product_id``; its only (or first) line without one."""
    if product_id is None:
        return original.lines[0] if original.lines else None
    return next((ln for ln in original.lines if ln.product_id == product_id), None)


def place_replacement(original: Order, *, actor: User, product_id: int | None = None,
                      quantity: int | None = None, note: str | None = None) -> Order:
    """A free order of ``quantity`` units of ``product_id`` (default: the original's line)
    for the original's shopper, from the original's center by the same method.

    A delivery or courier shipment goes to the original's address; without one (or from a
    center that no longer delivers) it waits for pickup at the original's center. Stock is
    reserved as for any order: ``InsufficientStock`` when the center lacks it, nothing
    written. ``actor`` is who asked for it (the ledger's "who").
    """
    line = replacement_line(original, product_id)
    if line is None:
        raise ValidationFailed(errors={"product_id": [str(_l("Not a product of this order."))]})
    quantity = line.quantity if quantity is None else quantity
    if not 0 < quantity <= MAX_QUANTITY:
        raise ValidationFailed(errors={"quantity": [str(_l(
            "Between 1 and %(n)d.", n=MAX_QUANTITY))]})
    product = db.session.get(Product, line.product_id)
    center = db.session.get(Center, original.center_id)
    shipped = original.fulfillment.address if original.fulfillment is not None else None
    method = original.fulfillment_method
    if method != Method.PICKUP and not (shipped and center.active):
        method = Method.PICKUP
    if method == Method.PICKUP and not (center.active and center.is_pickup):
        raise ValidationFailed(errors={"remedy": [str(_l(
            "The order's center cannot hand over a replacement."))]})
    order = Order(
        user_id=original.user_id, status=OrderStatus.CONFIRMED, currency=original.currency,
        subtotal_amount=0, delivery_fee_amount=0, total_amount=0,
        payment_method=(PaymentMethod.PAY_AT_PICKUP if method == Method.PICKUP
                        else PaymentMethod.CASH_ON_DELIVERY),
        fulfillment_method=method, center_id=center.id, contact_name=original.contact_name,
        contact_phone=original.contact_phone, note=note, replacement_of_id=original.id)
    write_order(order, [OrderLine(product_id=product.id, sku=product.sku,
                                  name_zh=product.name_zh, name_en=product.name_en,
                                  quantity=quantity, unit_price_amount=0, line_total_amount=0)])
    return record_order(order, [(product, quantity)], center=center,
                        address=shipped if method != Method.PICKUP else None,
                        actor_id=actor.id,
                        routing={"center_id": center.id, "code": center.code,
                                 "reason": "replacement", "runners_up": []})
