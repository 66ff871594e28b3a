"""Back office: products and categories."""

from flask import Blueprint

bp = Blueprint("storefront_admin", __name__, url_prefix="/admin")
