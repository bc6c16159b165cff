"""A round's verification (the label only, or the household's card too) and its mode (door
to door, or at distribution sites): what they start as, what is refused, when they change."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from kitlog.extensions import db
from kitlog.models import Round
from kitlog.services import cards
from kitlog.services import distribution as dist
from kitlog.services.errors import Conflict, InvalidValues
from tests.worlds import ScanWorld


def _round(make, **kw) -> Round:
    batch = make.batch()
    round_ = dist.create_round(
        db.session,
        name="Covid-19 round 1",
        batches=[batch],
        warehouse=batch.warehouse,
        entitlement=1,
        user=None,
        **kw,
    )
    db.session.commit()
    return round_


def test_a_round_needs_only_the_label_and_goes_door_to_door_unless_told(make):
    round_ = _round(make)
    assert (round_.verification, round_.mode) == ("none", "door")


def test_a_round_may_ask_for_the_card_and_hand_over_at_sites(make):
    round_ = _round(make, verification="card", mode="site")
    db.session.expire_all()
    assert (round_.verification, round_.mode) == ("card", "site")


def test_an_unknown_verification_or_mode_is_refused_naming_the_choices(make):
    batch = make.batch()
    with pytest.raises(InvalidValues) as error:
        dist.create_round(
            db.session,
            name="Round",
            batches=[batch],
            warehouse=batch.warehouse,
            entitlement=1,
            verification="fingerprint",
            mode="drone",
            user=None,
        )
    with force_locale("en"):
        messages = {e.field: str(e.message) for e in error.value.errors}
    assert messages == {
        "verification": "Choose one of the verifications none, card.",
        "mode": "Choose one of the modes door, site.",
    }


def test_an_open_round_may_turn_to_cards_and_sites_like_its_proof(make):
    round_ = _round(make)
    dist.open_round(db.session, round_, user=None)
    dist.update_round(db.session, round_, verification="card", mode="site", user=None)
    db.session.commit()
    db.session.expire_all()
    assert (round_.verification, round_.mode) == ("card", "site")
    dist.update_round(db.session, round_, name="Round 1 (renamed)", user=None)
    assert (round_.verification, round_.mode) == ("card", "site")  # left out: kept


def test_a_closed_round_keeps_its_verification_and_mode(make):
    round_ = _round(make)
    dist.open_round(db.session, round_, user=None)
    dist.close_round(db.session, round_, user=None)
    with pytest.raises(Conflict):
        dist.update_round(db.session, round_, verification="card", user=None)
    with pytest.raises(Conflict):
        dist.update_round(db.session, round_, mode="site", user=None)


def test_households_still_owed_a_parcel_without_a_current_card_are_counted(make):
    w = ScanWorld(make, households=4)
    first, second, third, fourth = w.parcels
    cards.issue_card(db.session, first.household, user=w.admin)
    reissued = cards.issue_card(db.session, second.household, user=w.admin)
    cards.issue_card(db.session, second.household, user=w.admin)  # the first one replaced
    db.session.commit()
    db.session.refresh(reissued)
    assert reissued.replaced
    w.on_the_road([third])
    w.scan(third, "deliver")  # delivered: no longer waiting for a card
    assert dist.households_without_card(db.session, w.round) == 1  # the fourth
    dist.cancel_parcel(db.session, fourth, user=w.admin)
    db.session.commit()
    assert dist.households_without_card(db.session, w.round) == 0
