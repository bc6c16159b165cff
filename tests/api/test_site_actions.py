"""docs/api.md, Distribution sites: `POST /api/v1/sites/{id}/manifest` makes the manifest
that takes a site's packed parcels there (201: its id, number and the parcels loaded) and
`POST /api/v1/sites/{id}/end-day` `{outcome}` ends its day (200 with the counts): the
parcels nobody collected become follow-ups, or go back to stock as its manifests close.
Only the administrator; refusals are problem+json in the caller's language."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import Manifest, ManifestStatus, ParcelStatus, RoundStatus
from tests.api.helpers import assert_problem
from tests.worlds import SiteWorld

TRUCK = {"vehicle": "N 1234 AB", "driver_name": "Joko Susilo"}


@pytest.fixture
def w(make) -> SiteWorld:
    return SiteWorld(make)


def test_the_manifest_for_a_site_takes_its_packed_parcels(w, api):
    for parcel in w.parcels:  # the fourth household lives elsewhere: not the site's
        w.scan(parcel, "pack")
    answer = api("admin").post(f"/api/v1/sites/{w.site.id}/manifest", json=TRUCK)
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    manifest = db.session.get(Manifest, body["id"])
    assert body == {"id": manifest.id, "number": manifest.number, "loaded": 3}
    assert (manifest.site_id, manifest.destination) == (w.site.id, "Balai Desa Turen")
    # a second one finds nothing left to load
    again = api("admin").post(f"/api/v1/sites/{w.site.id}/manifest", json=TRUCK)
    assert again.status_code == 201 and again.get_json()["loaded"] == 0


def test_a_site_manifest_needs_a_vehicle_and_a_driver(w, api):
    answer = api("admin", language="id").post(
        f"/api/v1/sites/{w.site.id}/manifest", json={"vehicle": "N 1"}
    )
    body = assert_problem(answer, 422, field="driver_name")
    assert body["detail"] != "Unprocessable Entity"
    assert db.session.scalars(select(Manifest)).all() == []


def test_no_manifest_for_a_site_of_a_closed_round(w, api):
    w.round.status = RoundStatus.CLOSED
    db.session.commit()
    answer = api("admin").post(f"/api/v1/sites/{w.site.id}/manifest", json=TRUCK)
    body = assert_problem(answer, 409)
    assert "is closed" in body["detail"]


def test_ending_the_day_makes_follow_ups_of_what_nobody_collected(w, api):
    first, second, third = w.parcels[:3]
    manifest, _ = w.site_manifest_on_the_road([first, second, third])
    w.scan(first, "deliver", card=w.card_of(first))
    answer = api("admin").post(f"/api/v1/sites/{w.site.id}/end-day", json={"outcome": "follow_up"})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == {
        "outcome": "follow_up",
        "parcels": 2,
        "follow_ups": 2,
        "returned": 0,
        "manifests_closed": [],
    }
    db.session.expire_all()
    assert (second.status, third.status) == (ParcelStatus.FAILED, ParcelStatus.FAILED)
    assert manifest.status == ManifestStatus.DISPATCHED


def test_ending_the_day_returns_what_nobody_collected_to_stock(w, api):
    first, second = w.parcels[:2]
    manifest, _ = w.site_manifest_on_the_road([first, second])
    admin = api("admin")
    refused = admin.post(f"/api/v1/sites/{w.site.id}/end-day", json={"outcome": "return"})
    body = assert_problem(refused, 409)
    assert "A discrepancy needs a reason" in body["detail"]
    answer = admin.post(
        f"/api/v1/sites/{w.site.id}/end-day", json={"outcome": "return", "reason": "Not collected"}
    )
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == {
        "outcome": "return",
        "parcels": 2,
        "follow_ups": 0,
        "returned": 2,
        "manifests_closed": [manifest.number],
    }
    db.session.expire_all()
    assert manifest.status == ManifestStatus.CLOSED
    assert (first.status, second.status) == (ParcelStatus.RETURNED, ParcelStatus.RETURNED)
    # nothing left on the road
    again = admin.post(f"/api/v1/sites/{w.site.id}/end-day", json={"outcome": "follow_up"})
    assert "has no manifest on the road" in assert_problem(again, 409)["detail"]


def test_ending_the_day_needs_one_of_the_two_outcomes(w, api):
    w.site_manifest_on_the_road(w.parcels[:1])
    answer = api("admin").post(f"/api/v1/sites/{w.site.id}/end-day", json={"outcome": "keep"})
    assert_problem(answer, 422, field="outcome")
    answer = api("admin").post(f"/api/v1/sites/{w.site.id}/end-day", json={})
    assert_problem(answer, 422, field="outcome")


@pytest.mark.parametrize("role", ["warehouse", "field", "donor"])
def test_only_the_administrator_makes_a_sites_manifest_or_ends_its_day(w, api, role):
    w.site_manifest_on_the_road(w.parcels[:1])
    client = api(role)
    assert client.post(f"/api/v1/sites/{w.site.id}/manifest", json=TRUCK).status_code == 403
    ended = client.post(f"/api/v1/sites/{w.site.id}/end-day", json={"outcome": "follow_up"})
    assert ended.status_code == 403
    db.session.expire_all()
    assert w.parcels[0].status == ParcelStatus.DISPATCHED


def test_an_unknown_site_is_404(w, api):
    answer = api("admin").post("/api/v1/sites/999/end-day", json={"outcome": "return"})
    assert_problem(answer, 404)
