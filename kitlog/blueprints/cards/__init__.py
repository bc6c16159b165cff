"""Household cards on the pages: the page a card's QR code opens (/h/<token>), and
printing and reissuing a household's card from its page."""

from flask import Blueprint

bp = Blueprint("cards", __name__)

from kitlog.blueprints.cards import routes  # noqa: E402,F401
