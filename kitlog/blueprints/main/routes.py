"""The dashboard."""

from flask import render_template

from kitlog.blueprints.main import bp
from kitlog.security import require


@bp.route("/dashboard")
@require("dashboard")
def dashboard():
    """Stock per warehouse and batch, and batches close to expiry."""
    return render_template("main/dashboard.html")
