"""HTML pages of storefront."""

from flask import Blueprint

bp = Blueprint("storefront", __name__)
