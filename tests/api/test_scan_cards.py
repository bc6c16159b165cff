"""docs/api.md, Scans: a delivery on a round that asks for the household's card carries
it (token, card URL or short code) and may name the collector who took it; another
household's card, a replaced card, no card and another household's collector are
refused (409) saying why; a card refused for a delivery the phone accepted offline
flags the parcel for follow-up."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import Collector, Parcel, Scan
from kitlog.services import cards
from kitlog.services.parcel_codes import format_short_code
from tests.api.helpers import assert_problem
from tests.conftest import ApiClient
from tests.worlds import ScanWorld

DAY1 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
DAY2 = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def w(make) -> ScanWorld:
    world = ScanWorld(make)
    world.round.verification = "card"
    db.session.commit()
    world.on_the_road(world.parcels[:3])
    return world


@pytest.fixture
def siti(w, client, make) -> ApiClient:
    return ApiClient(client, make.token(w.siti), "en")


_keys = iter(range(1, 10_000))


def deliver(parcel, **values) -> dict:
    return {
        "code": parcel.short_code,
        "action": "deliver",
        "idempotency_key": f"card-scan-{next(_keys):05d}",
        **values,
    }


def card_of(household, now=DAY1):
    card = cards.issue_card(db.session, household, user=None, now=now)
    db.session.commit()
    return card


def collector_of(household, name="Dewi Lestari", relation="spouse") -> Collector:
    collector = Collector(household_id=household.id, name=name, relation=relation, active=True)
    db.session.add(collector)
    db.session.commit()
    return collector


def fresh(parcel) -> Parcel:
    db.session.commit()
    return db.session.get(Parcel, parcel.id, populate_existing=True)


@pytest.mark.parametrize("form", ["token", "url", "short_code"])
def test_a_delivery_carries_the_card_by_token_url_or_short_code(w, siti, form):
    parcel = w.parcels[0]
    card = card_of(parcel.household)
    text = {
        "token": card.token.lower(),
        "url": cards.card_url(card, "https://kitlog.example.org"),
        "short_code": cards.shown_code(card).lower(),
    }[form]
    response = siti.post("/api/v1/scans", json=deliver(parcel, card=text, recipient_name="Agus"))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["parcel"]["status"] == "delivered"
    scan = db.session.scalars(select(Scan).where(Scan.action == "deliver")).one()
    assert (scan.card_id, scan.outcome) == (card.id, "ok")


def test_a_card_round_refuses_a_delivery_without_the_card(w, siti):
    parcel = w.parcels[0]
    card_of(parcel.household)
    answer = assert_problem(siti.post("/api/v1/scans", json=deliver(parcel)), 409)
    assert answer["outcome"] == "refused"
    assert answer["detail"] == "Round Round 1 needs the household's card: scan it with the parcel."
    assert fresh(parcel).status == "dispatched"


def test_another_households_card_is_refused_naming_the_parcels_household(w, siti):
    parcel, neighbour = w.parcels[0], w.parcels[1]
    card_of(parcel.household)
    theirs = card_of(neighbour.household)
    answer = assert_problem(
        siti.post("/api/v1/scans", json=deliver(parcel, card=theirs.token)), 409
    )
    code = format_short_code(parcel.short_code)
    assert answer["detail"] == (
        f"This is another household's card: parcel {code} is for household {parcel.household.code}."
    )
    assert fresh(parcel).flag is None  # checked online: nobody took it


def test_a_replaced_card_is_refused_with_the_day_it_was_replaced(w, siti, client, make):
    parcel = w.parcels[0]
    old = card_of(parcel.household, DAY1)
    card_of(parcel.household, DAY2)
    answer = assert_problem(siti.post("/api/v1/scans", json=deliver(parcel, card=old.token)), 409)
    assert answer["detail"] == "Card replaced on 5 Dec 2026."
    in_indonesian = ApiClient(client, make.token(w.siti), "id")
    answer = assert_problem(
        in_indonesian.post("/api/v1/scans", json=deliver(parcel, card=old.token)), 409
    )
    assert answer["detail"] == "Kartu diganti pada 5 Des 2026."


def test_an_unknown_card_is_refused_saying_its_code(w, siti):
    parcel = w.parcels[0]
    card_of(parcel.household)
    answer = assert_problem(
        siti.post("/api/v1/scans", json=deliver(parcel, card="ABC-DEF-GHJ")), 409
    )
    assert answer["detail"] == "No household card has the code ABC-DEF-GHJ."


def test_a_collector_takes_the_parcel_and_another_households_collector_is_refused(w, siti):
    parcel = w.parcels[0]
    card = card_of(parcel.household)
    stranger = collector_of(w.parcels[1].household, "Tono", "parent")
    answer = assert_problem(
        siti.post("/api/v1/scans", json=deliver(parcel, card=card.token, collector=stranger.id)),
        409,
    )
    assert answer["detail"] == (
        f"Household {parcel.household.code} named no such collector: choose one of its"
        " collectors, the head, or someone else by name."
    )
    mine = collector_of(parcel.household, "Dewi Lestari", "spouse")
    response = siti.post("/api/v1/scans", json=deliver(parcel, card=card.token, collector=mine.id))
    assert response.status_code == 200, response.get_json()
    delivered = fresh(parcel)
    assert (delivered.status, delivered.recipient_kind) == ("delivered", "collector")
    scan = db.session.scalars(select(Scan).where(Scan.outcome == "ok", Scan.action == "deliver"))
    assert [(s.collector_id, s.recipient_name, s.recipient_kind) for s in scan] == [
        (mine.id, "Dewi Lestari", "collector")
    ]


def test_a_collector_and_a_recipient_name_together_are_a_422(w, siti):
    parcel = w.parcels[0]
    card = card_of(parcel.household)
    mine = collector_of(parcel.household)
    response = siti.post(
        "/api/v1/scans",
        json=deliver(parcel, card=card.token, collector=mine.id, recipient_name="Agus"),
    )
    answer = assert_problem(response, 422, field="collector")
    messages = [e["message"] for e in answer["errors"]]
    assert "Name either a collector or someone else who took the parcel, not both." in messages
    assert fresh(parcel).status == "dispatched"


def test_a_wrong_card_checked_offline_flags_the_parcel_for_follow_up(w, siti):
    parcel = w.parcels[0]
    old = card_of(parcel.household, DAY1)
    card_of(parcel.household, DAY2)  # replaced while the officer was on the road
    response = siti.post(
        "/api/v1/scans/batch",
        json={"scans": [deliver(parcel, card=old.token, checked_offline=True)]},
    )
    assert response.status_code == 200, response.get_json()
    [result] = response.get_json()["results"]
    assert (result["outcome"], result["status"]) == ("refused", 409)
    assert result["detail"] == "Card replaced on 5 Dec 2026."
    flagged = fresh(parcel)
    assert (flagged.status, flagged.flag) == ("dispatched", "card_mismatch")
    assert flagged.flagged_at is not None


def test_the_right_card_checked_offline_is_delivered_and_not_flagged(w, siti):
    parcel = w.parcels[0]
    card = card_of(parcel.household)
    response = siti.post(
        "/api/v1/scans/batch",
        json={
            "scans": [
                deliver(
                    parcel, card=cards.shown_code(card), checked_offline=True, recipient_name="Agus"
                )
            ]
        },
    )
    [result] = response.get_json()["results"]
    assert result["outcome"] == "ok", result
    delivered = fresh(parcel)
    assert (delivered.status, delivered.flag) == ("delivered", None)
