"""The dashboard, and the template helpers every page uses."""

from flask import Blueprint

from kitlog.blueprints.web import register_template_helpers

bp = Blueprint("main", __name__)
register_template_helpers(bp)

from kitlog.blueprints.main import routes  # noqa: E402,F401
