"""stock pages."""

from flask import Blueprint

bp = Blueprint("stock", __name__)

from kitlog.blueprints.stock import routes  # noqa: E402,F401
