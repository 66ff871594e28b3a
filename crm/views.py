"""HTML pages of crm."""

from flask import Blueprint

bp = Blueprint("crm", __name__)
