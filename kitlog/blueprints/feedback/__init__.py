"""Feedback and complaints, the staff's side: the list, one entry and its answer, and
recording a hotline call or an officer's entry."""

from flask import Blueprint

bp = Blueprint("feedback", __name__, url_prefix="/feedback")

from kitlog.blueprints.feedback import routes  # noqa: E402,F401
