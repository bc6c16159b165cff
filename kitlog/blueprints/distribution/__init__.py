"""Distribution pages: rounds, their allocation, parcels and distribution sites."""

from flask import Blueprint

bp = Blueprint("distribution", __name__, url_prefix="/rounds")

from kitlog.blueprints.distribution import routes, sites  # noqa: E402,F401
