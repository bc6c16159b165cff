"""The card's buttons."""

from kitlog.forms import KitlogForm


class ReissueCardForm(KitlogForm):
    """The Reissue button: a CSRF token and nothing else (the household is in the URL)."""
