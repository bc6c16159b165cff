"""The dashboard."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from kitlog.blueprints.main import routes  # noqa: E402,F401
