"""Batches, stock, movements, transfers and adjustments (warehouse, admin)."""

from flask_smorest import Blueprint

blp = Blueprint("api_stock", __name__, description="Donor batches and the stock ledger")
