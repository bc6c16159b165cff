"""Household pages: search, registration on a phone, the household's parcels, imports."""

from flask import Blueprint

bp = Blueprint("households", __name__, url_prefix="/households")

from kitlog.blueprints.households import imports, routes  # noqa: E402,F401
