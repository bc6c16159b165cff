"""The household's own feedback page, /f/<card token>, reached from the household's card:
no login, in Indonesian whatever the browser asks, nothing about the household on it."""

from flask import Blueprint

bp = Blueprint("public_feedback", __name__)

from kitlog.blueprints.public_feedback import routes  # noqa: E402,F401
