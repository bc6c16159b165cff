"""Login, logout, language and the user's own profile."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from kitlog.blueprints.auth import routes  # noqa: E402,F401
