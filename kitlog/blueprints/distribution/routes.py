"""Distribution rounds: plan, allocate, follow their parcels."""

from flask import render_template

from kitlog.blueprints.distribution import bp
from kitlog.security import require


@bp.route("/")
@require("rounds.read")
def rounds():
    """Every distribution round with its progress."""
    return render_template("distribution/rounds.html")


@bp.route("/new", methods=["GET", "POST"])
@require("rounds.write")
def new_round():
    """Plan a distribution round (placeholder until the round form lands)."""
    return render_template("distribution/rounds.html")
