"""Languages: Bahasa Indonesia by default, English on request."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import get_locale, get_translations
from flask_login import current_user

from kitlog.extensions import babel

# Pages for the households themselves, not for staff: in Bahasa Indonesia whatever the
# browser asks (a cheap phone's browser is often set to English).
INDONESIAN_ONLY_BLUEPRINTS = frozenset({"public_feedback"})


def select_locale() -> str:
    """API: Accept-Language first. Pages: the user's profile, then the session's choice,
    then Accept-Language. Indonesian when nothing decides, and always on the households'
    own pages."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI and background work: the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if request.blueprint in INDONESIAN_ONLY_BLUEPRINTS:
        return "id"
    header_choice = request.accept_languages.best_match(languages)
    if request.path.startswith("/api/") and header_choice:
        return header_choice
    if getattr(current_user, "is_authenticated", False) and current_user.language in languages:
        return current_user.language
    if session.get("lang") in languages:
        return session["lang"]
    return header_choice or current_app.config["BABEL_DEFAULT_LOCALE"]


class FormTranslations:
    """WTForms' own messages, looked up in kitlog's catalog (WTForms ships no `id`)."""

    def gettext(self, string: str) -> str:
        return get_translations().gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        # WTForms fills in %(min)d / %(max)d itself: return the template unformatted.
        return get_translations().ngettext(singular, plural, n)


def readers_choice(*, remember: bool = False) -> str | None:
    """The language the reader of a share link chose: `?lang=` on this request (kept in
    their session when `remember`), else the one their session keeps. None when neither
    names one of kitlog's languages: any other value is ignored, and so is the browser's
    Accept-Language, because the link's own language decides then."""
    languages = current_app.config["LANGUAGES"]
    asked = request.args.get("lang")
    if asked in languages:
        if remember:
            session["lang"] = asked
        return asked
    kept = session.get("lang")
    return kept if kept in languages else None


def current_language() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", app.config["TIMEZONE"])
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(Path(__file__).parent / "translations")
    babel.init_app(app, locale_selector=select_locale)
