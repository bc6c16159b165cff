"""Donor reports: the page, its exports, and read-only share links."""

from flask import Blueprint

bp = Blueprint("reports", __name__)

from kitlog.blueprints.reports import exports, routes  # noqa: E402,F401,I001
