"""Login, logout, language, and the user's own profile: language, password, API tokens."""

from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from kitlog.blueprints.auth import bp
from kitlog.blueprints.auth.forms import (
    LanguageForm,
    LoginForm,
    PasswordChangeForm,
    RevokeTokenForm,
    TokenForm,
)
from kitlog.blueprints.web import form_page
from kitlog.extensions import db
from kitlog.models import LANGUAGES, ApiToken
from kitlog.security import public, require
from kitlog.services import users as user_service
from kitlog.services.locking import transaction

T = TypeVar("T")


def _safe_next(target: str | None) -> str:
    """Only redirect within this site after login, to a path without control characters
    (a line break cannot go into the Location header)."""
    if target and target.isprintable():
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
            and "\\" not in target
        ):
            return target
    return url_for("main.dashboard")


def _throttled_check(email: str, check: Callable[[], T]) -> T:
    """Check a password under the login throttle; raises LoginThrottled (429).

    The attempt is counted as a failure in a transaction of its own, committed before the
    password is checked, so that simultaneous attempts from other workers see it; a right
    password then takes it back, in another. Whatever the request answers (a wrong
    password, 429), the count stands.
    """
    address = request.remote_addr or "unknown"
    rules = user_service.ThrottleRules.from_config(current_app.config)
    with transaction(db.session, write=True):
        user_service.reserve_login_attempt(db.session, email=email, address=address, rules=rules)
    with transaction(db.session, write=True):
        user_service.forget_old_login_counters(db.session, window_s=rules.window_s)
    with transaction(db.session, write=True):
        result = check()
        if result:
            user_service.forgive_login_attempt(db.session, email=email, address=address)
    return result


@bp.route("/", methods=["GET", "POST"])
@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """The login form, reached from /; repeated failures answer 429 with Retry-After."""
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = _throttled_check(
                form.email.data,
                lambda: user_service.authenticate(db.session, form.email.data, form.password.data),
            )
        except user_service.LoginThrottled as throttled:
            page = render_template("auth/login.html", form=form, throttled=throttled)
            return page, 429, {"Retry-After": str(throttled.retry_after)}
        if user is None:
            form.form_errors.append(_("Wrong email or password."))
            return render_template("auth/login.html", form=form), 200
        if current_user.is_authenticated:  # logging in again ends the session it replaces
            user_service.end_session(db.session, current_user.session_key)
        config = current_app.config
        remember = bool(form.remember.data)
        lifetime = config["REMEMBER_COOKIE_DURATION" if remember else "LOGIN_SESSION_DURATION"]
        user_service.start_session(db.session, user, remember=remember, lifetime=lifetime)
        login_user(user, remember=remember, duration=config["REMEMBER_COOKIE_DURATION"])
        session.pop("lang", None)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@public
def logout():
    """Log out on this device: its session ends on the server, and a copy of the cookie
    stops working; the user's other devices stay logged in."""
    if current_user.is_authenticated:
        user_service.end_session(db.session, current_user.session_key)
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language", methods=["POST"])
@public
def set_language():
    """Switch the language; a logged-in user keeps it on their profile."""
    language = request.form.get("language", "")
    if language in LANGUAGES:
        if current_user.is_authenticated:
            user_service.set_language(db.session, current_user, language)
        else:
            session["lang"] = language
    return redirect(_safe_next(request.form.get("next")))


def _profile(**forms):
    """The profile page with its four forms; the one just submitted keeps its errors."""
    forms.setdefault("language_form", LanguageForm(formdata=None, language=current_user.language))
    forms.setdefault("password_form", PasswordChangeForm(formdata=None))
    forms.setdefault("token_form", TokenForm(formdata=None))
    forms.setdefault("revoke_form", RevokeTokenForm(formdata=None))
    tokens = sorted(current_user.tokens, key=lambda t: (t.revoked_at is not None, -t.id))
    return form_page("auth/profile.html", tokens=tokens, active_nav="auth.profile", **forms)


@bp.route("/profile")
@require("authenticated")
def profile():
    """Your account: language, password and API tokens."""
    return _profile()


@bp.route("/profile/language", methods=["POST"])
@require("authenticated")
def profile_language():
    """Keep a new language on your profile."""
    form = LanguageForm()
    if not form.validate_on_submit():
        return _profile(language_form=form)
    saved = form.save(
        lambda: user_service.set_language(db.session, current_user, form.language.data)
    )
    if saved is None:
        return _profile(language_form=form)
    flash(_("Your language is saved."), "success")
    return redirect(url_for(".profile"))


@bp.route("/profile/password", methods=["POST"])
@require("authenticated")
def profile_password():
    """Change your own password: the current one first, then the new one twice."""
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        return _profile(password_form=form)
    user = current_user._get_current_object()
    try:
        right = _throttled_check(
            user.email, lambda: user_service.verify_password(user, form.current_password.data)
        )
    except user_service.LoginThrottled as throttled:
        form.current_password.errors.append(str(throttled))
        page, _status = _profile(password_form=form)
        return page, 429, {"Retry-After": str(throttled.retry_after)}
    if not right:
        form.current_password.errors.append(_("This is not your current password."))
        return _profile(password_form=form)
    saved = form.save(
        lambda: user_service.set_password(
            db.session,
            user,
            form.password.data,
            keep_session=user.session_key,  # this session goes on
            keep_tokens=form.keep_tokens.data,
        )
    )
    if saved is None:
        return _profile(password_form=form)
    flash(_("Your password is changed."), "success")
    return redirect(url_for(".profile"))


@bp.route("/profile/tokens", methods=["POST"])
@require("authenticated")
def create_token():
    """Create an API token; it is shown this once and never again."""
    form = TokenForm()
    if not form.validate_on_submit():
        return _profile(token_form=form)
    record, token = user_service.create_token(db.session, current_user, form.name.data.strip())
    response = render_template(
        "auth/token_created.html", record=record, token=token, active_nav="auth.profile"
    )
    return response, 201, {"Cache-Control": "no-store"}


@bp.route("/profile/tokens/<int:token_id>/revoke", methods=["POST"])
@require("authenticated")
def revoke_token(token_id: int):
    """Revoke one of your own API tokens; it stops working at once."""
    form = RevokeTokenForm()
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    if not form.validate_on_submit():
        return _profile(revoke_form=form)
    if token.revoked_at is None:
        user_service.revoke_token(db.session, token)
    flash(_("The token “%(name)s” is revoked.", name=token.name), "success")
    return redirect(url_for(".profile"))
