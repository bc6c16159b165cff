"""admin pages."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from kitlog.blueprints.admin import routes  # noqa: E402,F401
