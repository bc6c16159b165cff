"""Importing households from a spreadsheet: upload, preview, confirm, progress."""

from flask import render_template

from kitlog.blueprints.households import bp
from kitlog.security import require


@bp.route("/imports/new", methods=["GET", "POST"])
@require("households.import")
def import_upload():
    """Upload a spreadsheet of households (placeholder until the import lands)."""
    return render_template("households/index.html")
