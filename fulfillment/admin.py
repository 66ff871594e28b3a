"""Back office: centers and staff accounts."""

from flask import Blueprint

bp = Blueprint("fulfillment_admin", __name__, url_prefix="/admin")
