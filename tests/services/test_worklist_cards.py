"""A trip saved on the phone checks households' cards with no signal: it holds each card's
hashes, never its token or short code, the round's verification, and the collectors the
household named (their names and relations, never their NIK or phone)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from kitlog.extensions import db
from kitlog.models import Collector
from kitlog.services import cards, worklist
from kitlog.services.parcel_codes import format_short_code
from tests.conftest import ApiClient
from tests.worlds import DoorWorld

DAY1 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
DAY2 = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def world(make) -> DoorWorld:
    world = DoorWorld(make)
    world.round.verification = "card"
    db.session.commit()
    return world


def _collector(household, name, relation, *, active=True, **values) -> Collector:
    collector = Collector(
        household_id=household.id,
        name=name,
        relation=relation,
        active=active,
        deactivated_at=None if active else DAY2,
        **values,
    )
    db.session.add(collector)
    db.session.commit()
    return collector


def test_a_short_code_hash_is_the_sha256_of_its_nine_symbols_however_typed():
    expected = hashlib.sha256(b"ABCDEFGHJ").hexdigest()
    for typed in ("ABCDEFGHJ", "abc-def-ghj", " Abc def GHJ "):
        assert cards.short_code_hash(typed) == expected
    assert cards.token_hash("abcdefghijklmnop") == hashlib.sha256(b"ABCDEFGHIJKLMNOP").hexdigest()


def test_the_worklist_holds_each_households_current_card_and_active_collectors(world):
    first, second, third = world.households
    old = cards.issue_card(db.session, first, user=None, now=DAY1)
    card = cards.issue_card(db.session, first, user=None, now=DAY2)  # replaces the old one
    db.session.commit()
    wife = _collector(first, "Dewi Lestari", "spouse", nik="3507120101850009", phone="+6281234")
    _collector(first, "Joko", "sibling", active=False)
    manifest = world.dispatch(world.parcels)
    work = worklist.worklist(db.session, manifest)
    by_household = {item.household.id: item for item in work.items}
    assert by_household[first.id].card.id == card.id != old.id
    assert [c.id for c in by_household[first.id].collectors] == [wife.id]
    assert by_household[second.id].card is None
    assert by_household[third.id].collectors == []


def test_the_saved_trip_holds_card_hashes_never_the_codes(world, client, make):
    household = world.households[0]
    old = cards.issue_card(db.session, household, user=None, now=DAY1)
    card = cards.issue_card(db.session, household, user=None, now=DAY2)
    others = [cards.issue_card(db.session, h, user=None, now=DAY1) for h in world.households[1:]]
    db.session.commit()
    wife = _collector(
        household, "Dewi Lestari", "spouse", nik="3507120101859999", phone="+6281298765432"
    )
    manifest = world.dispatch(world.parcels)

    officer = ApiClient(client, make.token(make.user("field")), "en")
    # what deliver.js saves: the manifest's detail and its work-list
    detail = officer.get(f"/api/v1/manifests/{manifest.id}")
    work = officer.get(f"/api/v1/manifests/{manifest.id}/worklist")
    assert (detail.status_code, work.status_code) == (200, 200)
    saved = detail.get_data(as_text=True) + work.get_data(as_text=True)
    for held in (card, old, *others):
        for secret in (held.token, held.short_code, format_short_code(held.short_code)):
            assert secret not in saved
            assert secret.lower() not in saved.lower()
    assert "3507120101859999" not in saved and "81298765432" not in saved

    item = next(i for i in work.get_json()["items"] if i["household"]["code"] == household.code)
    assert item["verification"] == "card"
    assert item["card"] == {
        "token_hash": hashlib.sha256(card.token.encode()).hexdigest(),
        "short_code_hash": hashlib.sha256(card.short_code.encode()).hexdigest(),
    }
    assert item["collectors"] == [{"id": wife.id, "name": "Dewi Lestari", "relation": "spouse"}]


def test_a_round_without_cards_and_a_household_without_one_say_so(make, client):
    world = DoorWorld(make)  # verification "none"
    manifest = world.dispatch(world.parcels[:1])

    body = (
        ApiClient(client, make.token(make.user("field")), "en")
        .get(f"/api/v1/manifests/{manifest.id}/worklist")
        .get_json()
    )
    [item] = body["items"]
    assert (item["verification"], item["card"], item["collectors"]) == ("none", None, [])


def test_staff_who_may_not_read_households_get_collectors_without_names(world, client, make):
    _collector(world.households[0], "Dewi Lestari", "spouse")
    manifest = world.dispatch(world.parcels[:1])

    body = (
        ApiClient(client, make.token(make.user("warehouse")), "en")
        .get(f"/api/v1/manifests/{manifest.id}/worklist")
        .get_json()
    )
    [item] = body["items"]
    assert [set(c) for c in item["collectors"]] == [{"id", "relation"}]
