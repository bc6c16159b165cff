"""Post-distribution monitoring: a round's random sample, its results, and the survey
a field officer fills in with each sampled household."""

from flask import Blueprint

bp = Blueprint("pdm", __name__, url_prefix="/pdm")

from kitlog.blueprints.pdm import routes  # noqa: E402,F401
