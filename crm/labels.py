"""The customer center's words for the shop's codes: an order's state (the shop's own words),
and its shorter words for a member's tier and how an order reached the customer."""

from flask_babel import lazy_gettext as _l

from fulfillment.models import Method
from storefront.labels import ORDER_STATUS_LABELS
from storefront.loyalty.models import Tier

__all__ = ["METHOD_LABELS", "ORDER_STATUS_LABELS", "TIER_LABELS"]

TIER_LABELS = {Tier.CLASSIC: _l("Classic"), Tier.SILVER: _l("Silver"), Tier.GOLD: _l("Gold"),
               Tier.DIAMOND: _l("Diamond")}
METHOD_LABELS = {Method.PICKUP: _l("Pickup"), Method.DELIVERY: _l("Delivery"),
                 Method.COURIER: _l("Courier shipment")}
