"""Views; see the package docstring."""

from __future__ import annotations

from flask import Response, current_app, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from kitlog.blueprints.cards.routes import NO_INDEX
from kitlog.blueprints.public_feedback import bp
from kitlog.blueprints.public_feedback.forms import PublicFeedbackForm
from kitlog.extensions import db
from kitlog.security import public
from kitlog.services import feedback as service
from kitlog.services.errors import DomainError
from kitlog.unit_of_work import discard


@bp.after_request
def _private(response: Response) -> Response:
    """The address holds the card's token: kept out of search engines, other sites' logs
    and any cache, on every answer (the form, the thanks, a refusal)."""
    response.headers.update(NO_INDEX)
    return response


def _form_page(form: PublicFeedbackForm, token: str, status: int = 200):
    return render_template("public_feedback/form.html", form=form, token=token[:64]), status


def _thanks(number: str):
    return render_template("public_feedback/thanks.html", number=number)


@bp.route("/f/<token>", methods=["GET", "POST"])
@public
def feedback(token: str):
    """The household's feedback form, and what sending it answers: its number to quote."""
    form = PublicFeedbackForm()
    if request.method != "POST":
        return _form_page(form, token)
    if form.website.data:
        # a robot filled the honeypot: thanked like anyone, and nothing is stored
        return _thanks(service.likely_next_number(db.session()))
    if not form.validate():
        return _form_page(form, token, 422)
    try:
        entry = service.record_public_feedback(
            db.session(),
            {"category": form.category.data, "text": form.text.data},
            card_token=token,
            source_key=service.source_key(current_app.config["SECRET_KEY"], request.remote_addr),
        )
    except service.TooMuchFeedback as refusal:
        discard()
        page = render_template("public_feedback/too_many.html", message=refusal.message)
        return page, 429, {"Retry-After": str(refusal.retry_after)}
    except DomainError as error:
        discard()
        form.show_error(error)
        return _form_page(form, token, 422)
    return _thanks(entry.number)


@bp.errorhandler(CSRFError)
def _expired(_error: CSRFError):
    """A form kept open too long (or its cookie lost): shown again with what was written,
    to send once more, rather than an error page."""
    discard()
    form = PublicFeedbackForm()
    form.form_errors.append(
        _("The page was open for too long. Check your message and send it again.")
    )
    return _form_page(form, (request.view_args or {}).get("token", ""), 422)
