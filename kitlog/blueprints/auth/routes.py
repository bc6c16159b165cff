"""Login, logout and language."""

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from kitlog.blueprints.auth import bp
from kitlog.blueprints.auth.forms import LoginForm
from kitlog.extensions import db
from kitlog.models import LANGUAGES
from kitlog.security import public, require
from kitlog.services import users as user_service


def _safe_next(target: str | None) -> str:
    """Only redirect within this site after login."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
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
            user_service.record_login_failure(db.session, email=form.email.data, address=address)
            db.session.commit()
            form.password.errors.append(_("Wrong email or password."))
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
