"""At the household's door: the parcel page a label's QR code opens, and delivery."""

from flask import Blueprint

bp = Blueprint("door", __name__)

from kitlog.blueprints.door import routes  # noqa: E402,F401
