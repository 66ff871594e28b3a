"""JSON API of fulfillment (under /api/v1)."""

from core.api import api_blueprint

bp = api_blueprint("fulfillment_api", __name__)
