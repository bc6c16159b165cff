"""Donor reports: the page, its exports, and read-only share links."""

from flask import Blueprint

bp = Blueprint("reports", __name__)

from kitlog.blueprints.reports import routes  # noqa: E402,F401
