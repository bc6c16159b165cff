"""Manifests (waybills): the truck trips parcels are loaded onto and dispatched with."""

from flask import Blueprint

bp = Blueprint("manifests", __name__, url_prefix="/manifests")

from kitlog.blueprints.manifests import routes  # noqa: E402,F401
