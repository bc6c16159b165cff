"""Views; see the package docstring."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from kitlog.blueprints.reports import bp
from kitlog.blueprints.reports.common import (
    build_report,
    download_links,
    report_data,
    report_donor,
    shared_link_missing,
)
from kitlog.blueprints.reports.forms import RevokeShareLinkForm, ShareLinkForm
from kitlog.extensions import db
from kitlog.i18n import readers_choice
from kitlog.models import Role, ShareLink
from kitlog.security import public, require
from kitlog.services import reports as service
from kitlog.services import share_links
from kitlog.services.locking import transaction

NO_INDEX = {
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _chart_data(report) -> dict:
    """What static/js/report.js draws: the days, kits a day, the running total, the target."""
    return {
        "target": report.target,
        "days": [d.date.isoformat() for d in report.timeline],
        "delivered": [d.delivered for d in report.timeline],
        "cumulative": [d.cumulative for d in report.timeline],
    }


def _render_report(template: str, report, **context):
    return render_template(
        template,
        report=report,
        chart=_chart_data(report),
        data=report_data(report),
        **context,
    )


@bp.route("/reports/")
@require("reports.read")
def index():
    """Admin: every donor's report; a donor user goes straight to their own."""
    if current_user.role == Role.DONOR:
        if current_user.donor is None:
            abort(403)
        return redirect(url_for(".donor_report", code=current_user.donor.code))
    return render_template("reports/index.html", rows=service.donors_for_reports(db.session))


@bp.route("/reports/donors/<code>")
@require("reports.read")
def donor_report(code: str):
    """One donor's report: batches, reach, regions, deliveries over time, reconciliation."""
    donor = report_donor(code)
    return _render_report(
        "reports/donor_report.html",
        build_report(donor),
        can_share=True,
        **download_links("donor_report", code=donor.code),
    )


def _share_page(donor, form=None, revoke_form=None, status: int = 200):
    links = share_links.share_links_for(db.session, donor)
    return (
        render_template(
            "reports/share_links.html",
            donor=donor,
            links=links,
            form=form or ShareLinkForm(),
            revoke_form=revoke_form or RevokeShareLinkForm(),
            is_active=share_links.is_active,
            active_nav="reports.index",
        ),
        status,
    )


@bp.route("/reports/donors/<code>/share", methods=["GET"])
@require("reports.share")
def share_links_page(code: str):
    """The donor's share links: who each is for, when it expires, how often it was used."""
    return _share_page(report_donor(code))


@bp.route("/reports/donors/<code>/share", methods=["POST"])
@require("reports.share")
def create_share_link(code: str):
    """Create a read-only link to the report; its address is shown this once."""
    donor = report_donor(code)
    form = ShareLinkForm()
    if not form.validate_on_submit():
        return _share_page(donor, form=form, status=422)
    created = form.save(
        lambda: share_links.create_share_link(
            db.session,
            donor,
            label=form.label.data,
            days=form.days.data,
            language=form.language.data,
            user=current_user,
        )
    )
    if created is None:
        return _share_page(donor, form=form, status=422)
    link, token = created
    # The address kitlog is known by (KITLOG_BASE_URL, as in the QR codes), not the
    # host this request happened to arrive on.
    url = f"{current_app.config['BASE_URL']}/share/{token}"
    page = render_template(
        "reports/share_link_created.html",
        donor=donor,
        link=link,
        url=url,
        active_nav="reports.index",
    )
    return page, 201, {"Cache-Control": "no-store"}


@bp.route("/reports/donors/<code>/share/<int:link_id>/revoke", methods=["POST"])
@require("reports.share")
def revoke_share_link(code: str, link_id: int):
    """Revoke one of the donor's share links: it stops working at once."""
    donor = report_donor(code)
    link = db.session.get(ShareLink, link_id)
    if link is None or link.donor_id != donor.id:
        abort(404)
    form = RevokeShareLinkForm()
    if not form.validate_on_submit():
        return _share_page(donor, revoke_form=form, status=422)
    share_links.revoke_share_link(db.session, link, user=current_user)
    flash(
        _("The link “%(label)s” is revoked: it no longer opens the report.", label=link.label),
        "success",
    )
    return redirect(url_for(".share_links_page", code=donor.code))


@bp.route("/share/<token>")
@public
def shared_report(token: str):
    """The donor's aggregated report, read-only, for whoever holds an unexpired link, in
    the link's language unless the reader chose another (?lang=, kept for them)."""
    with transaction(db.session, write=True):  # the use is counted before the report is built
        link = share_links.open_share_link(db.session, token)
    if link is None:
        return shared_link_missing(), 404, NO_INDEX
    language = readers_choice(remember=True) or link.language
    with force_locale(language):
        page = _render_report(
            "reports/shared.html",
            build_report(link.donor),
            **download_links("shared_report", token=token, lang=language),
        )
    return page, 200, NO_INDEX
