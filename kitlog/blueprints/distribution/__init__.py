"""Distribution pages: rounds, their allocation, and parcels."""

from flask import Blueprint

bp = Blueprint("distribution", __name__, url_prefix="/rounds")

from kitlog.blueprints.distribution import routes  # noqa: E402,F401
