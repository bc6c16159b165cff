"""Reference data pages: donors, kit types with their contents, warehouses."""

from flask import Blueprint

bp = Blueprint("reference", __name__)

from kitlog.blueprints.reference import routes  # noqa: E402,F401
