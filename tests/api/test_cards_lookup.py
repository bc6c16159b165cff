"""docs/api.md, Distribution sites: `GET /api/v1/cards/{card}` finds a card's household
and its parcels still owed (field and admin with names; the warehouse without; a donor
refused; a replaced card 409 with its date; an unknown one 404), and the sites of a
round with today's count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import AuditEvent, Collector
from kitlog.services import cards
from kitlog.services.parcel_codes import format_short_code
from tests.api.helpers import assert_problem
from tests.conftest import ApiClient
from tests.worlds import SEDAYU, SiteWorld


@pytest.fixture
def w(make) -> SiteWorld:
    world = SiteWorld(make, day=datetime.now(UTC).date())
    household = world.parcels[0].household
    db.session.add(
        Collector(
            household_id=household.id,
            name="Dewi Lestari",
            relation="neighbour",
            nik=make.nik(),
            phone="+6281299990000",
        )
    )
    db.session.commit()
    return world


@pytest.fixture
def as_user(client, make):
    def build(user, language="en") -> ApiClient:
        return ApiClient(client, make.token(user), language)

    return build


def card_url(w, index=0) -> str:
    return f"/api/v1/cards/{w.card_of(w.parcels[index])}"


def test_a_field_officer_gets_the_household_its_collectors_and_its_parcels(w, as_user):
    first = w.parcels[0]
    w.site_manifest_on_the_road(w.parcels[:2])
    response = as_user(w.siti).get(card_url(w))
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    household = answer["household"]
    assert household["code"] == first.household.code and household["village"] == "Sedayu"
    assert household["head_name"] == first.household.head_name
    (collector,) = household["collectors"]
    assert collector["name"] == "Dewi Lestari" and collector["relation"] == "neighbour"
    assert "nik" not in collector and "phone" not in collector
    card = w.cards[first.household_id]
    assert answer["card"]["short_code"] == cards.shown_code(card)
    (parcel,) = answer["parcels"]
    assert parcel["code"] == format_short_code(first.short_code)
    assert parcel["status"] == "dispatched" and parcel["kits"] == 1
    assert parcel["round"] == {
        "id": w.round.id,
        "name": "Round 1",
        "verification": "none",
        "mode": "site",
    }
    assert parcel["actions"] == ["deliver", "fail"]  # a field officer takes no returns
    looks = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "card.lookup")).all()
    assert [e.object_ref for e in looks] == [first.household.code]


def test_the_short_code_typed_finds_the_card_too_and_today_s_delivery_shows(w, as_user):
    first = w.parcels[0]
    w.site_manifest_on_the_road(w.parcels[:1])
    w.scan(first, "deliver", card=w.card_of(first), at=datetime.now(UTC))
    typed = cards.shown_code(w.cards[first.household_id]).lower()
    answer = as_user(w.siti).get(f"/api/v1/cards/{typed}").get_json()
    assert [(p["status"], p["actions"]) for p in answer["parcels"]] == [("delivered", [])]


def test_the_warehouse_gets_no_names(w, as_user):
    w.site_manifest_on_the_road(w.parcels[:1])
    answer = as_user(w.budi).get(card_url(w)).get_json()
    assert set(answer["household"]) == {"code", "village"}
    assert w.parcels[0].household.head_name not in str(answer)
    assert "Dewi" not in str(answer)
    assert answer["parcels"][0]["actions"] == ["return"]


def test_a_donor_is_refused(w, api):
    assert_problem(api("donor").get(card_url(w)), 403)


def test_a_replaced_card_is_refused_with_its_date_and_an_unknown_card_is_not_found(w, as_user):
    household = w.parcels[0].household
    old = w.card_of(w.parcels[0])
    cards.issue_card(db.session, household, user=None, now=datetime(2026, 12, 5, 3, tzinfo=UTC))
    db.session.commit()
    response = as_user(w.siti).get(f"/api/v1/cards/{old}")
    assert_problem(response, 409)
    assert response.get_json()["detail"] == "Card replaced on 5 Dec 2026."
    response = as_user(w.siti, "id").get(f"/api/v1/cards/{old}")
    assert response.get_json()["detail"] == "Kartu diganti pada 5 Des 2026."
    assert_problem(as_user(w.siti).get("/api/v1/cards/AAAAAAAAAAAAAAAA"), 404)
    assert_problem(as_user(w.siti).get("/api/v1/cards/ABC-DEF-GHJ"), 404)


def test_a_card_url_scanned_whole_finds_the_card(w, as_user):
    card = w.cards[w.parcels[0].household_id]
    url = cards.card_url(card, "https://kitlog.example.org")
    answer = as_user(w.siti).get(f"/api/v1/cards/{url}").get_json()
    assert answer["household"]["code"] == w.parcels[0].household.code


def test_sites_of_a_round_are_listed_created_and_read_with_todays_count(w, as_user):
    w.site_manifest_on_the_road(w.parcels[:3])
    w.scan(w.parcels[0], "deliver", at=datetime.now(UTC))
    admin = as_user(w.admin)
    (site,) = admin.get(f"/api/v1/rounds/{w.round.id}/sites").get_json()["items"]
    assert site["name"] == "Balai Desa Turen" and site["place"] == "Turen"
    assert site["today"]["served"] == 1 and site["today"]["expected"] == 3
    assert len(site["manifests"]) == 1
    today = datetime.now(UTC).date()
    body = {"name": "SD Sedayu", "place_code": SEDAYU, "start_date": today.isoformat()}
    response = admin.post(f"/api/v1/rounds/{w.round.id}/sites", json=body)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["place"] == "Sedayu, Turen" and created["end_date"] == today.isoformat()
    assert as_user(w.budi).get(f"/api/v1/sites/{created['id']}").status_code == 200
    assert_problem(as_user(w.budi).post(f"/api/v1/rounds/{w.round.id}/sites", json=body), 403)
    bad = admin.post(
        f"/api/v1/rounds/{w.round.id}/sites",
        json=body | {"end_date": (today - timedelta(days=1)).isoformat()},
    )
    assert_problem(bad, 422)
    assert_problem(admin.get("/api/v1/sites/99999"), 404)


def test_a_door_round_has_no_sites(w, as_user):
    w.round.mode = "door"
    db.session.commit()
    body = {"name": "SD Sedayu", "place_code": SEDAYU, "start_date": "2026-12-03"}
    response = as_user(w.admin).post(f"/api/v1/rounds/{w.round.id}/sites", json=body)
    assert_problem(response, 409)
    assert "door to door" in response.get_json()["detail"]


def test_the_sites_day_for_a_phone_holds_hashes_and_is_the_field_s_only(w, as_user):
    w.site_manifest_on_the_road(w.parcels[:3])
    response = as_user(w.siti).get(f"/api/v1/sites/{w.site.id}/day")
    assert response.status_code == 200, response.get_json()
    day = response.get_json()
    assert day["expected"] == 3 and len(day["households"]) == 3
    card = w.cards[w.parcels[0].household_id]
    assert card.token not in str(day) and card.short_code not in str(day)
    assert "+6281299990000" not in str(day)
    assert_problem(as_user(w.budi).get(f"/api/v1/sites/{w.site.id}/day"), 403)
