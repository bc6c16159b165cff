"""A round's distribution sites, managed from the round's page: add or correct a site,
make the manifest that takes its parcels there, and end its day. Thin views over
`services.sites`, which keeps every rule (a site round only, a place of the round's
area, days within the round's, what becomes of the parcels nobody collected).

The round's page shows the section through `site_section` (a template global, so that
the round's own view stays as it is): `templates/distribution/_sites.html`."""

from __future__ import annotations

from dataclasses import dataclass

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import distinct, func, select

from kitlog.blueprints.distribution import bp
from kitlog.blueprints.distribution.site_forms import (
    FOLLOW_UP,
    EndDayForm,
    SiteForm,
    SiteManifestForm,
)
from kitlog.blueprints.web import form_page
from kitlog.extensions import db
from kitlog.models import DistributionSite, Manifest, ManifestStatus, Round, RoundMode
from kitlog.models.distribution import RoundStatus
from kitlog.names import PLACE_LEVEL_IN_TEXT
from kitlog.security import require
from kitlog.services import places, sites
from kitlog.services.errors import NotFound

SECTION = "sites"  # the anchor of the round page's section


@dataclass(frozen=True)
class SiteRow:
    """One site as the round's page lists it."""

    site: DistributionSite
    place: str
    level: str
    households: int
    today: sites.SiteCount
    manifests: list[Manifest]

    @property
    def on_the_road(self) -> list[Manifest]:
        return [m for m in self.manifests if m.status == ManifestStatus.DISPATCHED]


def _households(site: DistributionSite) -> int:
    """The round's households the site serves: those living in its place."""
    parcels = sites.site_parcels_query(site).subquery()
    return db.session.scalar(select(func.count(distinct(parcels.c.household_id)))) or 0


def site_row(site: DistributionSite) -> SiteRow:
    return SiteRow(
        site=site,
        place=sites.place_name(site),
        level=str(PLACE_LEVEL_IN_TEXT[places.level_of(site.place_code)]),
        households=_households(site),
        today=sites.site_count(db.session, site),
        manifests=sites.site_manifests(db.session, site),
    )


def _blank_form(round_: Round) -> SiteForm:
    """The "Add a site" form, its province and regency those of the round's area."""
    return SiteForm(formdata=None, province=round_.province or "", regency=round_.regency or "")


def site_section(round_: Round) -> dict | None:
    """What the round's page shows of its sites; None for a door-to-door round."""
    if round_.mode != RoundMode.SITE:
        return None
    return {
        "rows": [site_row(s) for s in sites.round_sites(db.session, round_)],
        "form": _blank_form(round_) if round_.status != RoundStatus.CLOSED else None,
    }


def _round_or_404(round_id: int) -> Round:
    return db.get_or_404(Round, round_id)


def _site_or_404(round_id: int, site_id: int) -> DistributionSite:
    site = sites.get_site(db.session, site_id)
    if site.round_id != round_id:
        raise NotFound(_("No distribution site has the id %(id)s.", id=site_id))
    return site


def _place_names(code: str) -> dict[str, str]:
    """A place's name and its parents' names, by level: the form's text fields."""
    listed = places.gazetteer()
    names: dict[str, str] = {}
    place = listed.get(code)
    while place is not None:
        names[place.level] = place.name
        place = listed.get(place.parent)
    return names


def _back_to_round(round_: Round):
    return redirect(url_for(".round", round_id=round_.id, _anchor=SECTION))


@bp.route("/<int:round_id>/sites/new", methods=["GET", "POST"])
@require("sites.write")
def new_site(round_id: int):
    """Add a distribution site to a round collected at sites."""
    round_ = _round_or_404(round_id)
    form = SiteForm() if request.method == "POST" else _blank_form(round_)
    if form.validate_on_submit():
        site = form.save(
            lambda: sites.create_site(db.session, round_, form.site_values(), user=current_user)
        )
        if site is not None:
            flash(_("The site “%(name)s” is added to the round.", name=site.name), "success")
            return _back_to_round(round_)
    return form_page("distribution/site_form.html", form, round=round_, site=None)


@bp.route("/<int:round_id>/sites/<int:site_id>/edit", methods=["GET", "POST"])
@require("sites.write")
def edit_site(round_id: int, site_id: int):
    """Correct a site's name, place or days."""
    site = _site_or_404(round_id, site_id)
    if request.method == "POST":
        form = SiteForm()
    else:
        form = SiteForm(formdata=None, obj=site, **_place_names(site.place_code))
    if form.validate_on_submit():
        saved = form.save(
            lambda: sites.update_site(db.session, site, form.site_values(), user=current_user)
        )
        if saved is not None:
            flash(_("The site “%(name)s” is saved.", name=saved.name), "success")
            return _back_to_round(site.round)
    return form_page("distribution/site_form.html", form, round=site.round, site=site)


@bp.route("/<int:round_id>/sites/<int:site_id>/manifest", methods=["GET", "POST"])
@require("sites.write")
def site_manifest(round_id: int, site_id: int):
    """Make the manifest that takes a site's packed parcels there."""
    site = _site_or_404(round_id, site_id)
    form = SiteManifestForm()
    if form.validate_on_submit():
        made = form.save(
            lambda: sites.create_site_manifest(
                db.session,
                site,
                vehicle=form.vehicle.data,
                driver_name=form.driver_name.data,
                driver_phone=form.driver_phone.data or "",
                user=current_user,
            )
        )
        if made is not None:
            manifest, loaded = made
            flash(_loaded_message(site, manifest, loaded), "success" if loaded else "warning")
            return redirect(url_for("manifests.show", manifest_id=manifest.id))
    return form_page("distribution/site_manifest.html", form, round=site.round, row=site_row(site))


def _loaded_message(site: DistributionSite, manifest: Manifest, loaded: int) -> str:
    if not loaded:
        return _(
            "Manifest %(number)s is made for %(site)s, but no parcel was loaded: none of its"
            " households' parcels is packed and waiting. Pack them, then load them at the"
            " scan station.",
            number=manifest.number,
            site=site.name,
        )
    return ngettext(
        "Manifest %(number)s is made for %(site)s: %(num)s parcel was loaded.",
        "Manifest %(number)s is made for %(site)s: %(num)s parcels were loaded.",
        loaded,
        number=manifest.number,
        site=site.name,
    )


@bp.route("/<int:round_id>/sites/<int:site_id>/end-day", methods=["GET", "POST"])
@require("sites.write")
def end_site_day(round_id: int, site_id: int):
    """End a site's day: first say how many parcels nobody collected, then do what the
    user chose with them (follow-ups, or back to stock)."""
    site = _site_or_404(round_id, site_id)
    row = site_row(site)
    form = EndDayForm()
    if form.validate_on_submit():
        closing = [m.number for m in row.on_the_road]
        left = form.save(
            lambda: sites.end_site_day(
                db.session,
                site,
                outcome=form.outcome.data,
                reason=form.reason.data or "",
                user=current_user,
            )
        )
        if left is not None:
            flash(_ended_message(site, form.outcome.data, len(left), closing), "success")
            return _back_to_round(site.round)
    return form_page("distribution/site_end_day.html", form, round=site.round, row=row)


def _ended_message(site: DistributionSite, outcome: str, count: int, closed: list[str]) -> str:
    if outcome == FOLLOW_UP:
        return ngettext(
            "The day at %(site)s is ended: %(num)s parcel nobody collected is a follow-up.",
            "The day at %(site)s is ended: %(num)s parcels nobody collected are follow-ups.",
            count,
            site=site.name,
        )
    return ngettext(
        "The day at %(site)s is ended: %(num)s parcel nobody collected went back to stock"
        " (manifest %(numbers)s closed).",
        "The day at %(site)s is ended: %(num)s parcels nobody collected went back to stock"
        " (manifest %(numbers)s closed).",
        count,
        site=site.name,
        numbers=", ".join(closed),
    )
