"""Search, register and correct households; import them from a spreadsheet."""

from flask import render_template

from kitlog.blueprints.households import bp
from kitlog.security import require


@bp.route("/")
@require("households.read")
def index():
    """Search households by name, code, NIK or village."""
    return render_template("households/index.html")


@bp.route("/new", methods=["GET", "POST"])
@require("households.write")
def new():
    """Register a household (placeholder until the registration form lands)."""
    return render_template("households/index.html")
