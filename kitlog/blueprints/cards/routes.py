"""Views; see the package docstring."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from kitlog.blueprints.cards import bp
from kitlog.blueprints.cards.forms import ReissueCardForm
from kitlog.extensions import db
from kitlog.security import can, public, require
from kitlog.services import card_prints, cards
from kitlog.services import households as household_service
from kitlog.services.locking import transaction

# The address holds the card's token: it is kept out of search engines, of other sites'
# logs (no Referer) and of any cache.
NO_INDEX = {
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@bp.route("/h/<token>")
@public
def card(token: str):
    """The page a household card's QR code opens: the household's page for staff who may
    read households; for anyone else, only that this is a kitlog card, and the way to the
    household's feedback page."""
    if not current_user.is_authenticated:
        # The same page whatever the token, looked up or not: it tells a finder nothing
        # about the household, nor whether the card exists or still works.
        page = render_template(
            "cards/public.html",
            login_next=f"/h/{token[:64]}",
            feedback_url=url_for("public_feedback.feedback", token=token[:64]),
        )
        return page, 200, NO_INDEX
    if not can("households.read"):
        abort(403)
    found = cards.find_card(db.session(), token)
    if found is None:
        detail = _("No household card has this code. Check that the whole code was scanned.")
        page = render_template("errors/error.html", status=404, title=_("Not found"), detail=detail)
        return page, 404, NO_INDEX
    refusal = cards.card_refusal(found)
    if refusal is not None:
        flash(
            _(
                "%(refusal)s This card no longer works: the household holds a newer one.",
                refusal=refusal,
            ),
            "error",
        )
    return redirect(url_for("households.show", code=found.household.code)), 302, NO_INDEX


@bp.route("/households/<code>/card.pdf")
@require("cards.print")
def household_card_pdf(code: str):
    """The household's card as a PDF of the card's size; issued first when it has none."""
    with transaction(db.session(), write=True):  # a GET that may issue a card (see api.cards)
        household = household_service.get_household(db.session(), code)
        sheet = card_prints.print_card(
            db.session(),
            household,
            base_url=current_app.config["BASE_URL"],
            user=current_user,
            address=request.remote_addr,
        )
    return Response(
        sheet.pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{sheet.filename}"'},
    )


@bp.route("/households/<code>/card", methods=["POST"])
@require("cards.print")
def reissue(code: str):
    """Issue the household a new card; the card it held stops working at once."""
    household = household_service.get_household(db.session(), code)
    form = ReissueCardForm()
    if not form.validate_on_submit():
        abort(400)
    replaced = household.card
    card = cards.issue_card(db.session(), household, user=current_user, address=request.remote_addr)
    if replaced is not None:
        message = _(
            "Card %(new)s is issued: card %(old)s no longer works. Print the new card and"
            " give it to the household.",
            new=cards.shown_code(card),
            old=cards.shown_code(replaced),
        )
    else:
        message = _(
            "Card %(new)s is issued. Print it and give it to the household.",
            new=cards.shown_code(card),
        )
    flash(message, "success")
    return redirect(url_for("households.show", code=household.code, _anchor="card-heading"))
