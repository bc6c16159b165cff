"""Follow-ups: parcels whose last attempt at the door failed, and the next trip for them."""

from flask import Blueprint

bp = Blueprint("follow_ups", __name__, url_prefix="/follow-ups")

from kitlog.blueprints.follow_ups import routes  # noqa: E402,F401
