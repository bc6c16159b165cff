"""Login, logout, language, and the user's own profile: language, password, API tokens."""

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


@bp.route("/", methods=["GET", "POST"])
@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """The login form, reached from /; repeated failures answer 429."""
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        address = request.remote_addr or "unknown"
        config = current_app.config
        if user_service.login_throttled(
            db.session,
            email=form.email.data,
            address=address,
            limit=config["LOGIN_FAILURE_LIMIT"],
            window_s=config["LOGIN_FAILURE_WINDOW_S"],
        ):
            return render_template("auth/login.html", form=form, throttled=True), 429
        user = user_service.authenticate(db.session, form.email.data, form.password.data)
        if user is None:
            user_service.record_login_failure(
                db.session,
                email=form.email.data,
                address=address,
                window_s=config["LOGIN_FAILURE_WINDOW_S"],
            )
            db.session.commit()
            form.form_errors.append(_("Wrong email or password."))
            return render_template("auth/login.html", form=form), 200
        db.session.commit()
        login_user(user, remember=True)
        session.pop("lang", None)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@public
def logout():
    """Log out and return to the login form."""
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
            db.session.commit()
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
    if not user_service.verify_password(current_user, form.current_password.data):
        form.current_password.errors.append(_("This is not your current password."))
        return _profile(password_form=form)
    saved = form.save(
        lambda: user_service.set_password(db.session, current_user, form.password.data)
    )
    if saved is None:
        return _profile(password_form=form)
    login_user(current_user._get_current_object(), remember=True)  # this session goes on
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
    db.session.commit()
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
        db.session.commit()
    flash(_("The token “%(name)s” is revoked.", name=token.name), "success")
    return redirect(url_for(".profile"))
