"""Label sheets for a round's parcels, and the label printers they are tuned for."""

from flask import Blueprint

bp = Blueprint("printing", __name__)

from kitlog.blueprints.printing import routes  # noqa: E402,F401
