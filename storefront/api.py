"""JSON API of storefront (under /api/v1)."""

from core.api import api_blueprint

bp = api_blueprint("storefront_api", __name__)
