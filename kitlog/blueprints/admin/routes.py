"""User administration: list, create, edit, reset a password; the audit log."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectField

from kitlog.blueprints.admin import bp
from kitlog.blueprints.admin.forms import PasswordResetForm, UserCreateForm, UserEditForm
from kitlog.blueprints.web import PER_PAGE, form_page, page_number, saved_redirect
from kitlog.extensions import db
from kitlog.forms import CHOOSE_FROM_LIST, FilterForm, IdSelectField, choice
from kitlog.models import Donor, User
from kitlog.names import AUDIT_ACTION_NAMES
from kitlog.security import require
from kitlog.services import audit, queries
from kitlog.services import users as user_service


class AuditFilterForm(FilterForm):
    action = SelectField(_l("Action"), default="", invalid_choice_message=CHOOSE_FROM_LIST)
    user = IdSelectField(_l("User"), blank=_l("Everyone"))


def _donor_options(form) -> None:
    form.donor.set_options(queries.donors_by_code(db.session), lambda d: f"{d.code} · {d.name}")


def _donor(donor_id: int | None) -> Donor | None:
    return db.session.get(Donor, donor_id) if donor_id is not None else None


@bp.route("/users")
@require("users.manage")
def users():
    """Every user account, with its role."""
    return render_template("admin/users.html", users=queries.users_by_name(db.session))


@bp.route("/users/new", methods=["GET", "POST"])
@require("users.manage")
def new_user():
    """Create a user with one role; a donor user is linked to one donor."""
    form = UserCreateForm()
    _donor_options(form)
    done = saved_redirect(
        form,
        lambda: user_service.create_user(
            db.session,
            email=form.email.data,
            password=form.password.data,
            role=form.role.data,
            name=form.name.data,
            donor=_donor(form.donor.data),
            language=form.language.data,
        ),
        lambda created: _("The account of %(email)s is created.", email=created.email),
        ".users",
    )
    return done or form_page("admin/user_new.html", form, active_nav="admin.users")


def _edit_page(user: User, form: UserEditForm, password_form: PasswordResetForm):
    return form_page(
        "admin/user_edit.html",
        form,
        user=user,
        password_form=password_form,
        active_nav="admin.users",
    )


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@require("users.manage")
def edit_user(user_id: int):
    """Change a user's name, role, donor, language, or whether they can log in."""
    user = db.get_or_404(User, user_id)
    form = UserEditForm(obj=user)
    _donor_options(form)
    if form.validate_on_submit():
        audit.user_change(
            db.session,
            user,
            role=form.role.data,
            active=form.active.data,
            user=current_user,
            address=request.remote_addr,
        )
        saved = form.save(
            lambda: user_service.update_user(
                db.session,
                user,
                name=form.name.data,
                role=form.role.data,
                donor=_donor(form.donor.data),
                language=form.language.data,
                active=form.active.data,
                acting=current_user,
            )
        )
        if saved is not None:
            flash(_("The account of %(email)s is saved.", email=user.email), "success")
            return redirect(url_for(".users"))
    return _edit_page(user, form, PasswordResetForm(formdata=None))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@require("users.manage")
def reset_password(user_id: int):
    """Give a user a new password (tell it to them by another channel); it ends their
    sessions and, unless kept by choice, revokes their API tokens."""
    user = db.get_or_404(User, user_id)
    form = PasswordResetForm()
    done = saved_redirect(
        form,
        lambda: user_service.set_password(
            db.session,
            user,
            form.password.data,
            keep_session=current_user.session_key if user.id == current_user.id else None,
            keep_tokens=form.keep_tokens.data,
        ),
        lambda _saved: _("The password of %(email)s is reset.", email=user.email),
        ".users",
    )
    if done:
        return done
    edit_form = UserEditForm(formdata=None, obj=user)
    _donor_options(edit_form)
    return _edit_page(user, edit_form, form)


@bp.route("/audit")
@require("audit.read")
def audit_log():
    """The audit log, newest first, by action and by user; nobody can change it."""
    form = AuditFilterForm(request.args)
    actions = sorted(set(AUDIT_ACTION_NAMES) | set(audit.logged_actions(db.session)))
    form.action.choices = [choice("", _l("Every action"))] + [
        choice(code, AUDIT_ACTION_NAMES.get(code, code)) for code in actions
    ]
    form.user.set_options(audit.logged_users(db.session), lambda u: f"{u.name} · {u.email}")
    filter_args = {k: v for k, v in request.args.items() if k in ("action", "user") and v}
    if not form.validate():
        return render_template(
            "admin/audit.html", form=form, page=None, filter_args=filter_args, labels={}
        ), 422
    page = db.paginate(
        audit.events_query(action=form.action.data or None, user_id=form.user.data),
        page=page_number(),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template(
        "admin/audit.html",
        form=form,
        page=page,
        filter_args=filter_args,
        labels=AUDIT_ACTION_NAMES,
        detail_of=audit.event_detail,
        active_nav="admin.audit_log",
    )
