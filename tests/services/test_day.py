"""The manager's day: today's deliveries and failed attempts of the open rounds (by the
local day of the deployment's time zone), parcels in transit per dispatched manifest,
follow-ups waiting per round, and parcels flagged after three failed attempts; each figure
in one query, however many rounds, manifests and parcels there are."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event

from kitlog.extensions import db
from kitlog.models import RoundStatus
from kitlog.services import day, manifests
from kitlog.services import distribution as dist
from tests.worlds import T0, ScanWorld

TODAY = date(2026, 12, 3)  # T0 is 3 December 2026, 14:02 in Jakarta


@pytest.fixture
def w(make) -> ScanWorld:
    return ScanWorld(make)


def figures(today: date = TODAY, timezone: str = "Asia/Jakarta") -> day.Day:
    return day.day_figures(db.session, today=today, timezone=timezone)


def test_an_open_round_with_nothing_done_shows_zeros(w):
    result = figures()
    assert [(r.name, r.warehouse, r.parcels) for r in result.rounds] == [("Round 1", "SBY-01", 4)]
    (round_,) = result.rounds
    assert (round_.delivered, round_.delivered_today, round_.follow_ups, round_.flagged) == (
        0,
        0,
        0,
        0,
    )
    assert result.failures == {} and result.manifests == [] and result.flagged == []
    assert (result.delivered_today, result.failed_today, result.in_transit) == (0, 0, 0)


def test_todays_deliveries_count_by_the_local_day_of_the_phones_clock(w):
    today_early, yesterday_late, today_now, _ = w.parcels
    w.on_the_road(w.parcels)
    # 3 December 00:30 and 2 December 23:59 in Jakarta
    w.scan(today_early, "deliver", scanned_at=datetime(2026, 12, 2, 17, 30, tzinfo=UTC))
    w.scan(yesterday_late, "deliver", scanned_at=datetime(2026, 12, 2, 16, 59, tzinfo=UTC))
    w.scan(today_now, "deliver", scanned_at=T0)
    (round_,) = figures().rounds
    assert (round_.delivered, round_.delivered_today) == (3, 2)
    # in Makassar (WITA, UTC+8) 2 December 23:59 in Jakarta is already 3 December
    (round_,) = figures(timezone="Asia/Makassar").rounds
    assert round_.delivered_today == 3
    assert figures(today=TODAY + timedelta(days=1)).delivered_today == 0


def test_failed_attempts_today_are_counted_by_reason_and_follow_ups_per_round(w):
    nobody, moved, late, delivered = w.parcels
    w.on_the_road(w.parcels)
    w.scan(nobody, "fail", reason="nobody_home", scanned_at=T0)
    w.scan(moved, "fail", reason="moved", scanned_at=T0)
    w.scan(late, "fail", reason="nobody_home", scanned_at=T0 - timedelta(days=1))
    w.scan(late, "deliver", scanned_at=T0)  # delivered after all: no longer a follow-up
    w.scan(delivered, "deliver", scanned_at=T0)
    result = figures()
    assert result.failures == {"nobody_home": 1, "moved": 1}
    assert result.failed_today == 2
    (round_,) = result.rounds
    assert (round_.follow_ups, round_.delivered_today) == (2, 2)
    assert result.follow_ups == 2


def test_a_replayed_failed_scan_counts_once(w):
    parcel = w.parcels[0]
    w.on_the_road([parcel])
    w.scan(parcel, "fail", reason="refused", scanned_at=T0, idem="same-key")
    w.scan(parcel, "fail", reason="refused", scanned_at=T0, idem="same-key")
    assert figures().failures == {"refused": 1}


def test_parcels_in_transit_are_counted_per_dispatched_manifest(w):
    a, b, c, d = w.parcels
    first = w.on_the_road([a, b])
    second = w.on_the_road([c])
    w.scan(a, "deliver", scanned_at=T0)
    w.scan(c, "fail", reason="wrong_address", scanned_at=T0)
    w.scan(d, "pack")
    w.manifest([d])  # open, not dispatched: not on the road
    rows = {m.number: m for m in figures().manifests}
    assert set(rows) == {first.number, second.number}
    one, two = rows[first.number], rows[second.number]
    assert (one.parcels, one.in_transit, one.delivered, one.failed) == (2, 1, 1, 0)
    assert (two.parcels, two.in_transit, two.delivered, two.failed) == (1, 0, 0, 1)
    assert figures().in_transit == 1
    manifests.close_manifest(db.session, first, reason="Back early", user=w.admin, now=T0)
    db.session.commit()
    assert [m.number for m in figures().manifests] == [second.number]


def test_a_parcel_that_failed_three_times_and_is_still_owed_is_flagged(w):
    stubborn, twice, *_ = w.parcels
    for trip in range(3):
        manifest = w.on_the_road([stubborn, twice] if trip < 2 else [stubborn])
        w.scan(stubborn, "fail", reason="nobody_home", scanned_at=T0)
        if trip < 2:
            w.scan(twice, "fail", reason="moved", scanned_at=T0)
        manifests.close_manifest(db.session, manifest, reason="Not found", user=w.admin, now=T0)
        db.session.commit()
    result = figures()
    assert [(p.code, p.failed_attempts, p.round_id) for p in result.flagged] == [
        (stubborn.short_code, 3, w.round.id)
    ]
    assert result.rounds[0].flagged == 1
    manifest = w.on_the_road([stubborn])
    w.scan(stubborn, "deliver", scanned_at=T0)
    assert figures().flagged == []


def test_only_open_rounds_are_in_progress(w, make):
    w.on_the_road([w.parcels[0]])
    w.scan(w.parcels[0], "fail", reason="moved", scanned_at=T0)
    draft = dist.create_round(
        db.session,
        name="Draft",
        batches=[w.batch],
        warehouse=w.warehouse,
        entitlement=1,
        user=w.admin,
    )
    db.session.commit()
    assert [r.name for r in figures().rounds] == ["Round 1"]
    assert draft.status == RoundStatus.DRAFT
    w.round.status = RoundStatus.CLOSED
    db.session.commit()
    result = figures()
    assert result.rounds == [] and result.failures == {}


def test_the_figures_take_the_same_number_of_queries_however_many_rounds(w, make):
    def count() -> int:
        seen = []

        def record(_connection, _cursor, statement, *_args):
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            figures()
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        return len([statement for statement in seen if statement.startswith("SELECT")])

    w.on_the_road(w.parcels[:2])
    assert count() <= 5  # one query for each figure (the card mismatches' is the fifth)
    for n in range(3):
        round_ = dist.create_round(
            db.session,
            name=f"More {n}",
            batches=[w.batch],
            warehouse=w.warehouse,
            entitlement=1,
            user=w.admin,
        )
        dist.open_round(db.session, round_, user=w.admin)
    db.session.commit()
    w.on_the_road(w.parcels[2:])
    assert len(figures().rounds) == 4
    assert count() <= 5
