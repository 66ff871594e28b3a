"""JSON API of crm (under /api/v1)."""

from core.api import api_blueprint

bp = api_blueprint("crm_api", __name__)
