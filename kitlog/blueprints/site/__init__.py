"""The distribution site station: a household's card, its parcels, the handover."""

from flask import Blueprint

bp = Blueprint("site", __name__)

from kitlog.blueprints.site import routes  # noqa: E402,F401
