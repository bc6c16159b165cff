"""A site round's distribution sites, managed from the round's page: the administrator
adds and corrects a site (refusals next to their fields, in the user's language, with
what was typed kept), makes the manifest that takes its parcels there, and ends its day
(uncollected parcels become follow-ups, or go back to stock), after a page saying how
many parcels that concerns. The warehouse and the field officers see the sites and may
change none of them; a door-to-door round has no sites section."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import DistributionSite, Manifest, ManifestStatus, ParcelStatus, RoundMode
from tests.web.conftest import csrf_token, field_errors, text_of
from tests.worlds import SiteWorld


@pytest.fixture
def w(make) -> SiteWorld:
    today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Jakarta")).date()
    return SiteWorld(make, day=today)


def round_page(w) -> str:
    return f"/rounds/{w.round.id}"


def site_path(w, action: str) -> str:
    return f"/rounds/{w.round.id}/sites/{w.site.id}/{action}"


def post(client, page: str, data: dict, action: str | None = None):
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(action or page, data={**data, "csrf_token": token})


def flashes(response) -> list[str]:
    html = response.get_data(as_text=True)
    return [
        unescape(re.sub(r"\s+", " ", m)).strip()
        for m in re.findall(r'<p class="flash flash-\w+"[^>]*>(.*?)</p>', html, re.S)
    ]


def site_card(response, name: str) -> str:
    """The words of one site's card on the round's page."""
    text = text_of(response)
    start = text.index(name)
    end = text.find("Add a site", start)
    return text[start : end if end != -1 else None]


def test_the_rounds_page_lists_its_sites_with_their_place_days_and_households(w, client, auth):
    w.site_manifest_on_the_road(w.parcels[:2])
    auth.login("admin", language="en")
    page = client.get(round_page(w))
    assert page.status_code == 200
    card = site_card(page, "Balai Desa Turen")
    assert "Turen (district)" in card
    # three of the four households live in Turen: the fourth moved to Gondanglegi
    assert "Households served here 3" in card
    assert "0 handed over of 2 expected" in card
    for button in ("Correct", "Manifest for this site", "End the day"):
        assert button in card


def test_an_administrator_adds_a_site_by_its_names(w, client, auth):
    auth.login("admin", language="en")
    first = w.site.start_date
    answer = post(
        client,
        round_page(w),
        {
            "name": "SD Negeri 1 Sedayu",
            "province": "Jawa Timur",
            "regency": "Kab. Malang",
            "district": "Turen",
            "village": "sedayu",
            "start_date": first.isoformat(),
            "end_date": "",
        },
        action=f"/rounds/{w.round.id}/sites/new",
    )
    assert answer.status_code == 302 and answer.headers["Location"].endswith("#sites")
    page = client.get(answer.headers["Location"])
    assert "The site “SD Negeri 1 Sedayu” is added to the round." in flashes(page)
    card = site_card(page, "SD Negeri 1 Sedayu")
    assert "Sedayu, Turen (village)" in card
    assert "Households served here 0" in card or "Households served here 1" in card
    db.session.expire_all()
    added = db.session.scalars(
        select(DistributionSite).where(DistributionSite.name == "SD Negeri 1 Sedayu")
    ).one()
    assert (added.place_code, added.start_date, added.end_date) == ("35.07.09.1008", first, first)


def test_a_refused_site_is_shown_in_indonesian_next_to_its_fields_keeping_what_was_typed(
    w, client, auth
):
    auth.login("admin", language="id")
    first = w.site.start_date
    answer = post(
        client,
        f"/rounds/{w.round.id}/sites/new",
        {
            "name": "Posko Kecamatan",
            "province": "Jawa Timur",
            "regency": "Kab. Malang",
            "district": "Turen",
            "start_date": first.isoformat(),
            "end_date": (first - timedelta(days=1)).isoformat(),
        },
    )
    assert answer.status_code == 422
    assert field_errors(answer, "site-end_date") == "Hari terakhir harus sesudah hari pertama."
    html = answer.get_data(as_text=True)
    assert 'value="Posko Kecamatan"' in html and 'value="Turen"' in html
    assert "Belum ada yang disimpan" in text_of(answer)
    # a place the gazetteer does not know, on the place's own field
    answer = post(
        client,
        f"/rounds/{w.round.id}/sites/new",
        {
            "name": "Posko",
            "province": "Jawa Timur",
            "regency": "Kab. Malang",
            "district": "Kecamatan Tidak Ada",
            "start_date": first.isoformat(),
        },
    )
    assert answer.status_code == 422
    assert field_errors(answer, "site-district")
    assert db.session.scalars(select(DistributionSite)).all() == [w.site]


def test_a_site_is_corrected_with_the_same_form(w, client, auth):
    auth.login("admin", language="en")
    form = client.get(site_path(w, "edit"))
    html = form.get_data(as_text=True)
    assert form.status_code == 200
    assert 'value="Balai Desa Turen"' in html and 'value="Turen"' in html
    answer = post(
        client,
        site_path(w, "edit"),
        {
            "name": "Balai Kecamatan Turen",
            "province": "Jawa Timur",
            "regency": "Kabupaten Malang",
            "district": "Turen",
            "start_date": w.site.start_date.isoformat(),
            "end_date": w.site.end_date.isoformat(),
        },
    )
    assert answer.status_code == 302
    page = client.get(answer.headers["Location"])
    assert "The site “Balai Kecamatan Turen” is saved." in flashes(page)
    assert "Balai Kecamatan Turen" in text_of(page)


def test_the_manifest_for_a_site_loads_its_packed_parcels_and_says_how_many(w, client, auth):
    for parcel in w.parcels[:2]:
        w.scan(parcel, "pack")
    auth.login("admin", language="en")
    answer = post(
        client,
        site_path(w, "manifest"),
        {"vehicle": "N 1234 AB", "driver_name": "Joko Susilo", "driver_phone": ""},
    )
    assert answer.status_code == 302
    manifest = db.session.scalars(select(Manifest).where(Manifest.site_id == w.site.id)).one()
    assert answer.headers["Location"].endswith(f"/manifests/{manifest.id}")
    page = client.get(answer.headers["Location"])
    assert f"Manifest {manifest.number} is made for Balai Desa Turen: 2 parcels were loaded." in (
        flashes(page)
    )
    assert manifest.destination == "Balai Desa Turen"


def test_a_site_manifest_with_nothing_to_load_says_so(w, client, auth):
    auth.login("admin", language="en")
    answer = post(
        client, site_path(w, "manifest"), {"vehicle": "N 1234 AB", "driver_name": "Joko Susilo"}
    )
    page = client.get(answer.headers["Location"])
    (message,) = flashes(page)
    assert "but no parcel was loaded: none of its households' parcels is packed" in message


def test_a_site_manifest_form_refuses_a_missing_driver_next_to_the_field(w, client, auth):
    auth.login("admin", language="en")
    answer = post(client, site_path(w, "manifest"), {"vehicle": "N 1234 AB", "driver_name": ""})
    assert answer.status_code == 422
    assert field_errors(answer, "driver_name") == "This field is required."
    assert 'value="N 1234 AB"' in answer.get_data(as_text=True)


def test_ending_the_day_makes_the_uncollected_parcels_follow_ups(w, client, auth):
    first, second, third = w.parcels[:3]
    w.site_manifest_on_the_road([first, second, third])
    w.scan(first, "deliver", card=w.card_of(first))
    auth.login("admin", language="en")
    confirm = client.get(site_path(w, "end-day"))
    assert confirm.status_code == 200
    assert "2 parcels nobody collected" in text_of(confirm)
    refused = post(client, site_path(w, "end-day"), {})
    assert refused.status_code == 422
    assert field_errors(refused, "outcome") == "Choose what becomes of the parcels."
    answer = post(client, site_path(w, "end-day"), {"outcome": "follow_up"})
    assert answer.status_code == 302
    page = client.get(answer.headers["Location"])
    assert (
        "The day at Balai Desa Turen is ended: 2 parcels nobody collected are follow-ups."
        in flashes(page)
    )
    db.session.expire_all()
    assert (second.status, third.status) == (ParcelStatus.FAILED, ParcelStatus.FAILED)


def test_ending_the_day_returns_the_uncollected_parcels_to_stock_with_a_reason(w, client, auth):
    first, second = w.parcels[:2]
    manifest, _ = w.site_manifest_on_the_road([first, second])
    w.scan(first, "deliver", card=w.card_of(first))
    auth.login("admin", language="en")
    refused = post(client, site_path(w, "end-day"), {"outcome": "return"})
    assert refused.status_code == 422
    assert "A discrepancy needs a reason" in field_errors(refused, "reason")
    assert re.search(r'<input checked[^>]*value="return"', refused.get_data(as_text=True))
    answer = post(
        client, site_path(w, "end-day"), {"outcome": "return", "reason": "Nobody came back"}
    )
    page = client.get(answer.headers["Location"])
    assert (
        "The day at Balai Desa Turen is ended: 1 parcel nobody collected went back to stock"
        f" (manifest {manifest.number} closed)." in flashes(page)
    )
    db.session.expire_all()
    assert manifest.status == ManifestStatus.CLOSED and second.status == ParcelStatus.RETURNED
    # nothing is on the road any more: no day to end
    assert "End the day" not in site_card(page, "Balai Desa Turen")
    assert "there is no day to end" in text_of(client.get(site_path(w, "end-day")))


@pytest.mark.parametrize("role", ["warehouse", "field"])
def test_the_warehouse_and_field_officers_see_the_sites_but_may_not_change_them(
    w, client, auth, role
):
    auth.login(role, language="en")
    page = client.get(round_page(w))
    card = site_card(page, "Balai Desa Turen")
    assert "Turen (district)" in card and "Correct" not in card
    assert "Add a site" not in text_of(page)
    token = csrf_token(page.get_data(as_text=True))
    added = client.post(
        f"/rounds/{w.round.id}/sites/new",
        data={
            "csrf_token": token,
            "name": "Posko",
            "district": "Turen",
            "start_date": "2026-12-03",
        },
    )
    assert added.status_code == 403
    for action in ("manifest", "end-day"):
        assert client.post(site_path(w, action), data={"csrf_token": token}).status_code == 403


def test_a_door_to_door_round_has_no_sites_section(w, client, auth):
    w.round.mode = RoundMode.DOOR
    db.session.commit()
    auth.login("admin", language="en")
    page = client.get(round_page(w))
    assert page.status_code == 200 and "Distribution sites" not in text_of(page)


def test_a_site_of_another_round_is_not_found(w, client, auth):
    auth.login("admin", language="en")
    assert client.get(f"/rounds/{w.round.id + 1}/sites/{w.site.id}/edit").status_code == 404
