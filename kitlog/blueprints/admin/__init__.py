"""Administration pages: user accounts."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from kitlog.blueprints.admin import routes  # noqa: E402,F401
