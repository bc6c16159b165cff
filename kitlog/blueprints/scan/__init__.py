"""The warehouse scan station, the service worker and the offline page."""

from flask import Blueprint

bp = Blueprint("scan", __name__)

from kitlog.blueprints.scan import routes  # noqa: E402,F401
