"""HTML pages of fulfillment."""

from flask import Blueprint

bp = Blueprint("fulfillment", __name__)
