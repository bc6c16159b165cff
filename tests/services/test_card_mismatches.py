"""A parcel handed over offline whose household card did not match at sync stays a
follow-up, whatever its status, until a person resolves it with a short note (audited)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import AuditEvent, ParcelStatus
from kitlog.services import day
from kitlog.services import follow_ups as service
from kitlog.services.errors import Conflict, InvalidValues
from kitlog.services.parcel_codes import format_short_code
from tests.worlds import T0, ScanWorld


def flag(parcel, at) -> None:
    """As the sync does when it refuses a delivery's card."""
    parcel.flag = "card_mismatch"
    parcel.flagged_at = at


@pytest.fixture
def w(make) -> ScanWorld:
    """Parcel 0 delivered offline and flagged at sync; parcel 1 flagged while still
    allocated (an hour earlier); parcels 2 and 3 unflagged."""
    world = ScanWorld(make)
    delivered = world.parcels[0]
    world.on_the_road([delivered])
    world.scan(delivered, "deliver")
    flag(delivered, T0)
    flag(world.parcels[1], T0 - timedelta(hours=1))
    db.session.commit()
    return world


def test_flagged_parcels_are_listed_whatever_their_status_longest_waiting_first(w):
    listed = service.card_mismatches(db.session)
    delivered, allocated = w.parcels[0], w.parcels[1]
    assert [(m.code, m.status, m.flagged_at) for m in listed] == [
        (format_short_code(allocated.short_code), ParcelStatus.ALLOCATED, T0 - timedelta(hours=1)),
        (format_short_code(delivered.short_code), ParcelStatus.DELIVERED, T0),
    ]
    assert {m.flag for m in listed} == {"card_mismatch"}
    assert service.card_mismatches(db.session, round_id=w.round.id + 1) == []


def test_the_dashboard_counts_the_card_mismatches(w):
    assert day.card_mismatches(db.session) == 2


def test_resolving_clears_the_flag_and_audits_the_note(w):
    parcel = w.parcels[0]
    service.resolve_flag(
        db.session, parcel, note="  Head confirmed   the neighbour took it ", user=w.admin
    )
    db.session.commit()
    db.session.expire_all()
    assert (parcel.flag, parcel.flagged_at) == (None, None)
    assert parcel.status == ParcelStatus.DELIVERED  # its status is not the flag's
    [event] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "parcel.flag_resolved")
    ).all()
    assert (event.object_type, event.object_ref, event.user_id) == (
        "parcel",
        parcel.short_code,
        w.admin.id,
    )
    detail = json.loads(event.detail)
    assert detail["note"] == "Head confirmed the neighbour took it"
    assert detail["flag"] == "card_mismatch"
    assert [m.id for m in service.card_mismatches(db.session)] == [w.parcels[1].id]
    assert day.card_mismatches(db.session) == 1


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("   ", "Say in a few words how it was resolved."),
        ("x" * 201, "Keep this under 200 characters."),
    ],
)
def test_a_resolution_needs_a_short_note(w, note, message):
    with pytest.raises(InvalidValues) as error:
        service.resolve_flag(db.session, w.parcels[0], note=note, user=w.admin)
    with force_locale("en"):
        assert [(e.field, str(e.message)) for e in error.value.errors] == [("note", message)]
    db.session.rollback()
    assert w.parcels[0].flag == "card_mismatch"


def test_a_parcel_without_a_flag_has_nothing_to_resolve(w):
    with pytest.raises(Conflict) as error:
        service.resolve_flag(db.session, w.parcels[2], note="checked", user=w.admin)
    with force_locale("en"):
        assert "has nothing left to resolve" in str(error.value)
