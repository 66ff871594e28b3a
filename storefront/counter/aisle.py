"""The endless aisle: the store lacks a product, the clerk sells it at the counter all the
same, paid now, and it reaches the customer from elsewhere, routed as a web order is:
delivered by the delivery center serving the address, or shipped by courier from the
nearest warehouse holding everything. The sale is a store-channel order of the clerk who
sold it; the center that delivers it fulfils it (the order's center), and the desk there
has nothing to collect."""

from flask_babel import lazy_gettext as _l

from core.errors import ValidationFailed
from core.extensions import db
from core.models import User
from fulfillment.courier import decide_courier
from fulfillment.errors import InsufficientStock
from fulfillment.models import Center, Method
from fulfillment.routing import courier_fee, decide_delivery
from fulfillment.zones import delivery_terms

from ..models import Order
from ..orders import _describe_shortage, record_order, resolve_lines
from .sales import by_sku, check_clerk, new_sale, record_tender

#: how a sale at the counter may reach the customer from elsewhere
ELSEWHERE = (Method.DELIVERY, Method.COURIER)


def sell_from_elsewhere(center: Center, clerk: User, lines: list[dict], *, method: str,
                        address: dict, member: User | None = None,
                        payments: list[dict] | None = None, points: int = 0,
                        note: str | None = None) -> Order:
    """Sell at ``clerk``'s store what another center sends to ``address`` (``method``
    delivery or courier; the address as checkout takes it: name, phone, province, city,
    district, street, lat/lng). The delivery or courier fee is added as for a web order and
    paid now with the rest. Returns the order, paid, its stock reserved at the routed
    center. Raises what ``sell_at_counter`` and checkout's routing raise
    (``NoCenterServesAddress``, ``InsufficientStock``, ``CourierUnavailable``,
    ``BelowMinimumOrder``); nothing is written then."""
    check_clerk(center, clerk)
    if method not in ELSEWHERE or not isinstance(address, dict):
        raise ValidationFailed(errors={"method": [str(_l(
            "Choose delivery or courier, with the address."))]})
    items = resolve_lines(by_sku(lines))
    pairs = [(p.id, q) for p, q in items]
    try:
        routed = (decide_courier(address, pairs) if method == Method.COURIER
                  else decide_delivery(address, pairs))
    except InsufficientStock as err:
        _describe_shortage(err, items, method, address)
        raise
    source = routed.center

    def fee(subtotal: int) -> int:
        return (courier_fee() if method == Method.COURIER
                else delivery_terms(source, address, subtotal))

    order, items, tender = new_sale(source.id, clerk, lines, member, payments, points=points,
                                    note=note, method=method, fee=fee, address=address)
    record_order(order, items, center=source, address=address, actor_id=clerk.id,
                 routing={**routed.as_record(), "sold_at": center.code})
    record_tender(order, tender, clerk)
    db.session.flush()
    return order
