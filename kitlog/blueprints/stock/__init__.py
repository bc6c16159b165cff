"""Stock pages: batches, receiving, transfers, losses and adjustments, the ledger."""

from flask import Blueprint

bp = Blueprint("stock", __name__, url_prefix="/stock")

from kitlog.blueprints.stock import routes  # noqa: E402,F401
