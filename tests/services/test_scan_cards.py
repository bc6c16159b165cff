"""A delivery with the household's card and the person who took it, at the service: the
card need and the collector need of the table of parcel actions, who took the parcel, and
the follow-up flag of a card refused at sync. (The API's answers: tests/api/.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale

from kitlog.extensions import db
from kitlog.models import Collector, ParcelStatus, Verification
from kitlog.services import cards
from kitlog.services.errors import InvalidValues
from tests.worlds import T0, ScanWorld


@pytest.fixture
def world(make):
    w = ScanWorld(make, households=3)
    w.on_the_road(w.parcels)
    return w


def _card_round(w):
    w.round.verification = Verification.CARD
    db.session.commit()


def _collector(household, name="Wati", active=True):
    collector = Collector(
        household_id=household.id,
        name=name,
        relation="tetangga",
        active=active,
        deactivated_at=None if active else T0,
    )
    db.session.add(collector)
    db.session.commit()
    return collector


def test_a_card_round_refuses_a_delivery_without_the_card_and_changes_nothing(world):
    _card_round(world)
    parcel = world.parcels[0]
    with force_locale("en"):
        result = world.scan(parcel, "deliver")
        assert result.status == 409
        assert "needs the household's card" in result.detail
    db.session.refresh(parcel)
    assert parcel.status == ParcelStatus.DISPATCHED and parcel.flag is None


def test_the_households_current_card_by_url_token_or_short_code_delivers(world):
    _card_round(world)
    for parcel, form in zip(world.parcels, ("url", "token", "short"), strict=True):
        card = cards.issue_card(db.session, parcel.household, user=None, now=T0)
        db.session.commit()
        text = {
            "url": cards.card_url(card, "https://kitlog.example.org"),
            "token": card.token.lower(),
            "short": cards.shown_code(card),
        }[form]
        result = world.scan(parcel, "deliver", card=text)
        assert (result.status, result.outcome) == (200, "ok"), (form, result.detail)
        assert result.scan.card_id == card.id
        assert parcel.status == ParcelStatus.DELIVERED
        assert parcel.recipient_kind == "head"


def test_another_households_card_is_refused_naming_the_parcels_household(world):
    mine, theirs = world.parcels[0], world.parcels[1]
    other_card = cards.issue_card(db.session, theirs.household, user=None, now=T0)
    db.session.commit()
    # a round that does not ask for cards still refuses the wrong one when it is scanned
    with force_locale("en"):
        result = world.scan(mine, "deliver", card=other_card.token)
        assert result.status == 409
        assert mine.household.code in result.detail
        assert "another household's card" in result.detail
    assert result.scan.card_id == other_card.id  # the refused attempt names the card
    assert mine.status == ParcelStatus.DISPATCHED


def test_a_replaced_card_is_refused_with_the_day_it_was_replaced(world):
    _card_round(world)
    parcel = world.parcels[0]
    old = cards.issue_card(db.session, parcel.household, user=None, now=T0)
    cards.issue_card(db.session, parcel.household, user=None, now=T0 + timedelta(days=2))
    db.session.commit()
    with force_locale("en"):
        result = world.scan(parcel, "deliver", card=old.short_code)
        assert result.status == 409
        assert result.detail == "Card replaced on 5 Dec 2026."
    assert parcel.status == ParcelStatus.DISPATCHED


def test_an_unknown_card_is_refused_by_name(world):
    parcel = world.parcels[0]
    with force_locale("en"):
        result = world.scan(parcel, "deliver", card="https://kitlog.example.org/h/ABCDEFGHJKMNPQRS")
    assert result.status == 409 and "No household card has the code" in result.detail


def test_a_collector_of_the_household_takes_the_parcel(world):
    parcel = world.parcels[0]
    collector = _collector(parcel.household)
    result = world.scan(parcel, "deliver", collector=collector.id)
    assert result.status == 200
    assert result.scan.recipient_kind == "collector"
    assert result.scan.collector_id == collector.id
    assert (result.scan.recipient_name, result.scan.recipient_relation) == ("Wati", "tetangga")
    assert parcel.recipient_kind == "collector"


def test_another_households_or_a_removed_collector_is_refused(world):
    parcel, other = world.parcels[0], world.parcels[1]
    theirs = _collector(other.household, "Yanti")
    removed = _collector(parcel.household, "Rudi", active=False)
    with force_locale("en"):
        result = world.scan(parcel, "deliver", collector=theirs.id)
        assert result.status == 409 and "named no such collector" in result.detail
        result = world.scan(parcel, "deliver", collector=removed.id)
        assert result.status == 409 and "Rudi no longer collects" in result.detail
        result = world.scan(parcel, "deliver", collector=987654)
        assert result.status == 409
    assert parcel.status == ParcelStatus.DISPATCHED


def test_someone_else_by_name_or_the_head_by_name(world):
    first, second = world.parcels[0], world.parcels[1]
    result = world.scan(first, "deliver", recipient_name="Ani", recipient_relation="tetangga")
    assert result.scan.recipient_kind == "other" and first.recipient_kind == "other"
    head = second.household.head_name
    result = world.scan(second, "deliver", recipient_name=f"  {head.upper()} ")
    assert result.scan.recipient_kind == "head"


def test_a_collector_and_a_name_together_are_bad_input(world):
    parcel = world.parcels[0]
    collector = _collector(parcel.household)
    with pytest.raises(InvalidValues) as caught:
        world.scan(parcel, "deliver", collector=collector.id, recipient_name="Ani")
    assert [e.field for e in caught.value.errors] == ["collector"]


def test_a_card_refused_at_sync_flags_a_parcel_handed_over_offline(world):
    _card_round(world)
    offline, online = world.parcels[0], world.parcels[1]
    for parcel in (offline, online):
        old = cards.issue_card(db.session, parcel.household, user=None, now=T0)
        cards.issue_card(db.session, parcel.household, user=None, now=T0 + timedelta(hours=1))
        db.session.commit()
        parcel.old_card = old
    later = T0 + timedelta(hours=3)
    result = world.scan(
        offline, "deliver", card=offline.old_card.token, checked_offline=True, at=later
    )
    assert result.status == 409
    assert (offline.flag, offline.flagged_at is not None) == ("card_mismatch", True)
    # refused online, the officer saw it at the door: nothing left the van, no flag
    result = world.scan(online, "deliver", card=online.old_card.token, at=later)
    assert result.status == 409 and online.flag is None


def test_a_parcel_refused_for_another_reason_is_not_flagged(world):
    _card_round(world)
    parcel = world.parcels[0]
    card = cards.issue_card(db.session, parcel.household, user=None, now=T0)
    db.session.commit()
    assert world.scan(parcel, "deliver", card=card.token).status == 200
    # the second delivery is refused as already delivered, whatever the card says
    result = world.scan(parcel, "deliver", card="nonsense", checked_offline=True)
    assert result.status == 409 and parcel.flag is None
