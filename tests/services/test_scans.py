"""Rule 3 of docs/design.md and the parcel state machine: pack, load, deliver, fail, return.

Every allowed transition happens and is recorded; every forbidden one is refused with
who did what before and when; a replayed idempotency key repeats the first answer and
changes nothing; every attempt is a Scan row.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from kitlog.extensions import db
from kitlog.models import (
    MovementKind,
    Parcel,
    ParcelEvent,
    ParcelStatus,
    Scan,
    StockMovement,
)
from kitlog.services import distribution as dist
from kitlog.services import stock
from kitlog.services.errors import InvalidValues
from kitlog.services.scans import ScanInput, allowed_actions, record_scan
from tests.worlds import T0, ScanWorld, events, key


@pytest.fixture
def w(make) -> ScanWorld:
    return ScanWorld(make)


def english(result) -> str:
    return result.detail


def scans_of(parcel=None) -> int:
    query = select(func.count()).select_from(Scan)
    if parcel is not None:
        query = query.where(Scan.parcel_id == parcel.id)
    return db.session.scalar(query)


def in_english(fn, *args, **kwargs):
    with force_locale("en"):
        return fn(*args, **kwargs)


# -- allowed transitions -------------------------------------------------------------------


def test_packing_an_allocated_parcel_packs_it_and_records_who_when_and_the_scan(w):
    parcel = w.parcels[0]
    result = w.scan(parcel, "pack", lat=-7.25, lon=112.75, scanned_at=T0 - timedelta(hours=3))
    assert (result.outcome, result.status, result.detail) == ("ok", 200, "")
    assert parcel.status == ParcelStatus.PACKED
    event = db.session.scalars(
        select(ParcelEvent).where(ParcelEvent.parcel_id == parcel.id).order_by(ParcelEvent.id)
    ).all()[-1]
    assert (event.from_status, event.status, event.user_id) == ("allocated", "packed", w.budi.id)
    assert (event.lat, event.lon, event.scan_id) == (-7.25, 112.75, result.scan.id)
    scan = result.scan
    assert (scan.outcome, scan.status_code, scan.from_status, scan.to_status) == (
        "ok",
        200,
        "allocated",
        "packed",
    )
    # the device's clock is kept as given, even three hours wrong
    assert scan.scanned_at.replace(tzinfo=scan.scanned_at.tzinfo or UTC) == T0 - timedelta(hours=3)


def test_a_whole_trip_pack_load_dispatch_deliver(w):
    parcel = w.parcels[0]
    w.scan(parcel, "pack")
    manifest = w.manifest()
    result = w.scan(parcel, "load", manifest=manifest.number)
    assert result.outcome == "ok" and parcel.manifest_id == manifest.id
    assert parcel.status == ParcelStatus.PACKED
    load_event = db.session.scalars(
        select(ParcelEvent).where(ParcelEvent.parcel_id == parcel.id).order_by(ParcelEvent.id)
    ).all()[-1]
    assert (load_event.from_status, load_event.status) == ("packed", "packed")
    assert manifest.number in load_event.note
    w.dispatch(manifest)
    assert parcel.status == ParcelStatus.DISPATCHED
    result = w.scan(
        parcel,
        "deliver",
        recipient_name="  Siti   Aminah ",
        recipient_relation="wife",
        lat=-8.1,
        lon=112.7,
    )
    assert result.outcome == "ok" and parcel.status == ParcelStatus.DELIVERED
    assert result.scan.recipient_name == "Siti Aminah"
    assert events(parcel) == [
        (None, "allocated"),
        ("allocated", "packed"),
        ("packed", "packed"),
        ("packed", "dispatched"),
        ("dispatched", "delivered"),
    ]


def test_a_manifest_loads_by_its_id_as_well_as_its_number(w):
    parcel = w.parcels[0]
    w.scan(parcel, "pack")
    manifest = w.manifest()
    assert w.scan(parcel, "load", manifest=str(manifest.id)).outcome == "ok"


def test_a_failed_delivery_records_its_reason_and_may_still_be_delivered_on_that_trip(w):
    parcel = w.parcels[0]
    w.on_the_road([parcel])
    result = w.scan(parcel, "fail", reason="nobody_home", note="Neighbour says back at 5")
    assert result.outcome == "ok" and parcel.status == ParcelStatus.FAILED
    assert result.scan.reason == "nobody_home"
    assert events(parcel)[-1] == ("dispatched", "failed")
    assert w.scan(parcel, "deliver", at=T0 + timedelta(hours=3)).outcome == "ok"
    assert parcel.status == ParcelStatus.DELIVERED


def test_a_returned_parcel_goes_back_on_the_shelf_and_can_be_packed_for_a_later_trip(w):
    parcel = w.parcels[0]
    first = w.on_the_road([parcel])
    level = stock.stock_level(db.session, batch_id=w.batch.id, warehouse_id=w.warehouse.id)
    assert (level.on_hand, level.reserved) == (49, 3)
    w.scan(parcel, "fail", reason="moved")
    result = w.scan(parcel, "return")
    assert result.outcome == "ok" and parcel.status == ParcelStatus.RETURNED
    movement = db.session.scalars(
        select(StockMovement).where(StockMovement.kind == MovementKind.RETURN)
    ).one()
    assert (movement.quantity, movement.warehouse_id, movement.manifest_id) == (
        1,
        w.warehouse.id,
        first.id,
    )
    level = stock.stock_level(db.session, batch_id=w.batch.id, warehouse_id=w.warehouse.id)
    assert (level.on_hand, level.reserved) == (50, 4)  # reserved for it again
    assert allowed_actions(parcel) == ["pack"]
    second = w.on_the_road([parcel], at=T0 + timedelta(days=1))
    assert parcel.manifest_id == second.id and parcel.status == ParcelStatus.DISPATCHED
    assert w.scan(parcel, "deliver").outcome == "ok"
    assert stock.reconciliation_problems(db.session) == []


def test_a_dispatched_parcel_can_be_returned_without_a_failed_attempt(w):
    parcel = w.parcels[0]
    w.on_the_road([parcel])
    assert w.scan(parcel, "return").outcome == "ok"
    assert events(parcel)[-1] == ("dispatched", "returned")


def test_a_returned_parcel_may_be_packed_again(w):
    parcel = w.parcels[0]
    w.on_the_road([parcel])
    w.scan(parcel, "return")
    assert w.scan(parcel, "pack").outcome == "ok"
    assert events(parcel)[-1] == ("returned", "packed")


# -- refusals: what happened before, when and by whom ----------------------------------------


def test_a_second_delivery_is_refused_saying_when_and_by_whom_it_was_delivered(w):
    parcel = w.parcels[0]
    w.on_the_road([parcel])
    w.scan(parcel, "deliver")
    result = in_english(w.scan, parcel, "deliver", at=T0 + timedelta(hours=1))
    assert (result.outcome, result.status) == ("refused", 409)
    assert result.detail == "Already delivered on 3 Dec 14:02 by Siti Rahayu."
    assert parcel.status == ParcelStatus.DELIVERED
    assert events(parcel).count(("dispatched", "delivered")) == 1
    refused = result.scan
    assert (refused.outcome, refused.status_code, refused.detail) == (
        "refused",
        409,
        result.detail,
    )
    assert refused.to_status is None and refused.from_status == "delivered"


def test_a_refusal_dates_in_indonesian_by_default(w):
    parcel = w.parcels[0]
    w.on_the_road([parcel])
    w.scan(parcel, "deliver")
    result = w.scan(parcel, "deliver")
    assert "3 Des 14:02" in result.detail and "Siti Rahayu" in result.detail


def test_packing_twice_is_refused_naming_the_first_packer(w):
    parcel = w.parcels[0]
    w.scan(parcel, "pack")
    result = in_english(w.scan, parcel, "pack", at=T0 + timedelta(minutes=5))
    assert result.status == 409
    assert result.detail == "Already packed on 3 Dec 14:02 by Budi."
    assert scans_of(parcel) == 2


def test_a_refusal_names_the_year_when_it_was_not_this_year(w):
    parcel = w.parcels[0]
    w.scan(parcel, "pack")
    result = in_english(w.scan, parcel, "pack", at=T0 + timedelta(days=60))
    assert result.detail == "Already packed on 3 Dec 2026 14:02 by Budi."


REFUSED = [
    # (how far the parcel got, action, the English refusal)
    ("allocated", "load", "Not packed yet (allocated on 3 Dec 14:02 by Admin User): pack it"),
    ("allocated", "deliver", "Not dispatched: it was allocated on 3 Dec 14:02 by Admin User."),
    ("allocated", "fail", "Not dispatched: it was allocated on 3 Dec 14:02"),
    ("allocated", "return", "Not dispatched: it was allocated"),
    ("packed", "pack", "Already packed on 3 Dec 14:02 by Budi."),
    ("packed", "deliver", "Not dispatched: it was packed on 3 Dec 14:02 by Budi."),
    ("packed", "fail", "Not dispatched: it was packed"),
    ("packed", "return", "Not dispatched: it was packed"),
    (
        "dispatched",
        "pack",
        "Already dispatched on 3 Dec 14:02 by Budi on manifest SBY-01/2026/0001",
    ),
    ("dispatched", "load", "Already dispatched on 3 Dec 14:02 by Budi."),
    ("delivered", "pack", "Already delivered on 3 Dec 14:02 by Siti Rahayu."),
    ("delivered", "load", "Already delivered on 3 Dec 14:02 by Siti Rahayu."),
    ("delivered", "deliver", "Already delivered on 3 Dec 14:02 by Siti Rahayu."),
    ("delivered", "fail", "Already delivered on 3 Dec 14:02 by Siti Rahayu."),
    ("delivered", "return", "Already delivered on 3 Dec 14:02 by Siti Rahayu."),
    ("failed", "pack", "Its delivery failed on 3 Dec 14:02 by Siti Rahayu: scan it back in"),
    ("failed", "load", "Its delivery failed on 3 Dec 14:02 by Siti Rahayu."),
    ("failed", "fail", "A failed delivery was already recorded on 3 Dec 14:02 by Siti Rahayu."),
    ("returned", "load", "Returned to the warehouse on 3 Dec 14:02 by Budi: pack it again"),
    ("returned", "deliver", "Not dispatched: it was returned on 3 Dec 14:02 by Budi."),
    ("returned", "fail", "Not dispatched: it was returned"),
    ("returned", "return", "Not dispatched: it was returned on 3 Dec 14:02 by Budi."),
    ("cancelled", "pack", "This parcel was cancelled on 3 Dec 14:02 by Admin User."),
    ("cancelled", "load", "This parcel was cancelled on 3 Dec 14:02"),
    ("cancelled", "deliver", "This parcel was cancelled"),
    ("cancelled", "fail", "This parcel was cancelled"),
    ("cancelled", "return", "This parcel was cancelled"),
]


def _bring(w, parcel, state, manifest_holder):
    if state == "allocated":
        return
    if state == "cancelled":
        dist.cancel_parcel(db.session, parcel, user=w.admin, now=T0)
        db.session.commit()
        return
    w.scan(parcel, "pack")
    if state == "packed":
        return
    manifest_holder.append(w.manifest([parcel]))
    w.dispatch(manifest_holder[-1])
    if state == "dispatched":
        return
    if state == "delivered":
        w.scan(parcel, "deliver")
        return
    w.scan(parcel, "fail", reason="refused")
    if state == "returned":
        w.scan(parcel, "return")


@pytest.mark.parametrize(("state", "action", "message"), REFUSED)
def test_every_forbidden_transition_is_refused_saying_what_happened_when_and_by_whom(
    w, state, action, message
):
    parcel = w.parcels[0]
    held: list = []
    _bring(w, parcel, state, held)
    open_manifest = w.manifest()  # for the load scans
    before = events(parcel)
    values = {"reason": "other"} if action == "fail" else {}
    if action == "load":
        values["manifest"] = open_manifest.number
    result = in_english(w.scan, parcel, action, at=T0 + timedelta(hours=2), **values)
    assert (result.outcome, result.status) == ("refused", 409), result.detail
    assert result.detail.startswith(message), result.detail
    assert parcel.status == state and events(parcel) == before
    assert result.scan.outcome == "refused" and result.scan.detail == result.detail
    assert stock.reconciliation_problems(db.session) == []


def test_a_parcel_cancelled_by_closing_its_round_says_so(w):
    parcel = w.parcels[0]
    dist.close_round(db.session, w.round, user=w.admin, now=T0)
    db.session.commit()
    result = in_english(w.scan, parcel, "pack")
    assert result.detail == (
        "This parcel was cancelled on 3 Dec 14:02 by Admin User, when its round closed."
    )


def test_a_draft_rounds_parcel_is_not_packed_until_the_round_opens(make):
    w = ScanWorld(make, opened=False)
    parcel = w.parcels[0]
    assert allowed_actions(parcel) == []
    result = in_english(w.scan, parcel, "pack")
    assert (result.outcome, result.status) == ("refused", 409)
    assert result.detail == (
        "Its round Round 1 is not open yet: the administrator opens it to release its"
        " parcels to the warehouse."
    )
    assert parcel.status == ParcelStatus.ALLOCATED and result.scan.outcome == "refused"
    with force_locale("id"):
        assert "belum dibuka" in w.scan(parcel, "pack").detail

    dist.open_round(db.session, w.round, user=w.admin, now=T0)
    db.session.commit()
    assert allowed_actions(parcel) == ["pack"]
    assert w.scan(parcel, "pack").outcome == "ok"


@pytest.mark.parametrize(
    ("state", "action"),
    [
        ("allocated", "pack"),
        ("returned", "pack"),
        ("packed", "load"),
        ("dispatched", "deliver"),
        ("dispatched", "fail"),
        ("dispatched", "return"),
        ("failed", "deliver"),
        ("failed", "return"),
    ],
)
def test_a_closed_round_refuses_every_scan(w, state, action):
    """Closing waits for every parcel to be delivered or cancelled; a parcel caught in
    any other state (an older database) is still scanned no more."""
    parcel = w.parcels[0]
    if state != "allocated":
        w.scan(parcel, "pack")
    open_manifest = w.manifest()
    if state in ("dispatched", "failed", "returned"):
        w.dispatch(w.manifest([parcel]))
    if state in ("failed", "returned"):
        w.scan(parcel, "fail", reason="nobody_home")
    if state == "returned":
        w.scan(parcel, "return")
    assert parcel.status == state
    w.round.status = "closed"  # closing is tested elsewhere; here only its status matters
    db.session.commit()
    before = events(parcel)
    values = {"reason": "other"} if action == "fail" else {}
    if action == "load":
        values["manifest"] = open_manifest.number
    result = in_english(w.scan, parcel, action, **values)
    assert (result.outcome, result.status, result.detail) == (
        "refused",
        409,
        "Its round Round 1 is closed.",
    )
    assert parcel.status == state and events(parcel) == before
    assert allowed_actions(parcel) == []


def test_a_failed_parcel_cannot_be_delivered_once_its_manifest_is_off_the_road(w):
    parcel = w.parcels[0]
    manifest = w.on_the_road([parcel])
    w.scan(parcel, "fail", reason="wrong_address")
    manifest.status = "closed"  # closing is tested elsewhere; here only its status matters
    db.session.commit()
    result = in_english(w.scan, parcel, "deliver")
    assert result.status == 409
    assert result.detail.startswith(
        "Its delivery failed on 3 Dec 14:02 by Siti Rahayu and manifest SBY-01/2026/0001 is closed"
    )
    assert allowed_actions(parcel) == ["return"]


# -- loading -------------------------------------------------------------------------------


def test_loading_onto_a_manifest_that_is_not_open_is_refused(w):
    first, second = w.parcels[:2]
    manifest = w.on_the_road([first])
    w.scan(second, "pack")
    result = in_english(w.scan, second, "load", manifest=manifest.number)
    assert result.status == 409
    assert result.detail == (
        "Manifest SBY-01/2026/0001 is dispatched: only an open manifest can be loaded."
    )
    assert second.manifest_id is None


def test_loading_a_parcel_of_another_warehouse_is_refused(w, make):
    jakarta = make.warehouse("JKT-01")
    parcel = w.parcels[0]
    w.scan(parcel, "pack")
    manifest = w.manifest(warehouse=jakarta)
    result = in_english(w.scan, parcel, "load", manifest=manifest.number)
    assert result.detail == (
        "This parcel is packed in SBY-01; manifest JKT-01/2026/0001 leaves from JKT-01."
    )


def test_loading_a_parcel_already_on_an_open_manifest_names_it_and_who_loaded_it(w):
    parcel = w.parcels[0]
    w.scan(parcel, "pack")
    first = w.manifest()
    second = w.manifest()
    w.scan(parcel, "load", manifest=first.number)
    for manifest in (first, second):
        result = in_english(
            w.scan, parcel, "load", manifest=manifest.number, at=T0 + timedelta(hours=1)
        )
        assert (
            result.detail == "Already loaded onto manifest SBY-01/2026/0001 on 3 Dec 14:02 by Budi."
        )
    assert parcel.manifest_id == first.id


def test_an_unknown_manifest_is_an_invalid_value_not_a_scan(w):
    parcel = w.parcels[0]
    w.scan(parcel, "pack")
    with pytest.raises(InvalidValues) as error:
        w.scan(parcel, "load", manifest="SBY-01/2026/9999")
    assert [e.field for e in error.value.errors] == ["manifest"]
    with pytest.raises(InvalidValues) as error:
        w.scan(parcel, "load")
    assert [e.field for e in error.value.errors] == ["manifest"]
    assert scans_of(parcel) == 1


# -- idempotency ---------------------------------------------------------------------------


def test_the_same_key_twice_repeats_the_first_answer_and_changes_nothing(w):
    parcel = w.parcels[0]
    w.on_the_road([parcel])
    first = w.scan(parcel, "deliver", idem="00000000-0000-4000-8000-000000000001")
    again = w.scan(
        parcel, "deliver", idem="00000000-0000-4000-8000-000000000001", at=T0 + timedelta(hours=1)
    )
    assert (first.outcome, again.outcome) == ("ok", "duplicate")
    assert again.status == 200 and again.scan.id == first.scan.id
    assert again.parcel.status == ParcelStatus.DELIVERED
    assert events(parcel).count(("dispatched", "delivered")) == 1
    assert (
        db.session.scalar(select(func.count()).select_from(Scan).where(Scan.action == "deliver"))
        == 1
    )


def test_a_refused_scan_replayed_repeats_its_refusal(w):
    parcel = w.parcels[0]
    first = in_english(w.scan, parcel, "deliver", idem="refused-key-1")
    again = w.scan(parcel, "deliver", idem="refused-key-1")
    assert (first.status, again.status, again.outcome) == (409, 409, "duplicate")
    assert again.detail == first.detail
    assert scans_of(parcel) == 1


def test_a_replay_answers_with_the_parcel_as_it_is_now(w):
    parcel = w.parcels[0]
    w.scan(parcel, "pack", idem="pack-key-01")
    manifest = w.on_the_road([w.parcels[1]])
    assert manifest  # another parcel's trip does not matter
    again = w.scan(parcel, "pack", idem="pack-key-01")
    assert again.outcome == "duplicate" and again.parcel.status == ParcelStatus.PACKED


def test_a_replay_by_another_code_of_the_same_parcel_is_a_duplicate(w):
    parcel = w.parcels[0]
    w.scan(parcel, "pack", idem="same-parcel-1")
    again = w.scan(parcel, "pack", idem="same-parcel-1", code=f"http://x/p/{parcel.token}")
    assert again.outcome == "duplicate"


def test_the_same_key_with_another_code_or_action_is_invalid(w):
    first, second = w.parcels[:2]
    w.scan(first, "pack", idem="reused-key-1")
    for parcel, action in ((second, "pack"), (first, "return")):
        with pytest.raises(InvalidValues) as error:
            w.scan(parcel, action, idem="reused-key-1")
        assert [e.field for e in error.value.errors] == ["idempotency_key"]
    assert scans_of() == 1


def test_an_unknown_code_is_recorded_as_an_unknown_scan(w):
    result = w.scan(None, "pack", code="ABC-DEF-GHJ", idem="unknown-key-1")
    assert (result.outcome, result.status, result.parcel) == ("unknown", 404, None)
    scan = result.scan
    assert (scan.outcome, scan.status_code, scan.parcel_id, scan.code) == (
        "unknown",
        404,
        None,
        "ABC-DEF-GHJ",
    )
    assert scan.detail
    again = w.scan(None, "pack", code="ABC-DEF-GHJ", idem="unknown-key-1")
    assert (again.outcome, again.status) == ("duplicate", 404)
    assert scans_of() == 1


# -- invalid input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"action": "steal"}, "action"),
        ({"idempotency_key": "short"}, "idempotency_key"),
        ({"idempotency_key": "has space in it"}, "idempotency_key"),
        ({"idempotency_key": "x" * 65}, "idempotency_key"),
        ({"code": "  "}, "code"),
        ({"action": "fail"}, "reason"),
        ({"action": "fail", "reason": "lazy"}, "reason"),
        ({"lat": 91.0}, "lat"),
        ({"lon": -180.5}, "lon"),
        ({"lat": float("nan")}, "lat"),
        ({"recipient_name": "x" * 121, "action": "deliver"}, "recipient_name"),
        ({"recipient_relation": "x" * 41, "action": "deliver"}, "recipient_relation"),
        ({"note": "bell\x07"}, "note"),
        ({"scanned_at": datetime(2026, 12, 3, 14, 2)}, "scanned_at"),  # no offset
    ],
)
def test_invalid_values_are_refused_before_anything_is_recorded(w, values, field):
    parcel = w.parcels[0]
    data = {"code": parcel.short_code, "action": "pack", "idempotency_key": key(), **values}
    with pytest.raises(InvalidValues) as error:
        record_scan(db.session, ScanInput(**data), user=w.budi, now=T0)
    assert field in [e.field for e in error.value.errors]
    db.session.rollback()
    assert scans_of() == 0 and parcel.status == ParcelStatus.ALLOCATED


# -- what a parcel allows --------------------------------------------------------------------


def test_allowed_actions_follow_the_state(w):
    first, second, third = w.parcels[:3]
    assert allowed_actions(first) == ["pack"]
    w.scan(first, "pack")
    assert allowed_actions(first) == ["load"]
    manifest = w.manifest([first])
    assert allowed_actions(first) == []  # on an open manifest: waiting for dispatch
    w.dispatch(manifest)
    assert allowed_actions(first) == ["deliver", "fail", "return"]
    w.scan(first, "fail", reason="other")
    assert allowed_actions(first) == ["deliver", "return"]
    w.scan(first, "deliver")
    assert allowed_actions(first) == []
    dist.cancel_parcel(db.session, second, user=None)
    assert allowed_actions(second) == []
    assert third.status == "allocated"


# -- the ledger reconciles -----------------------------------------------------------------


def test_after_dispatch_deliveries_and_returns_every_batch_reconciles(w, make):
    for _ in range(4):
        make.household()
    dist.allocate(db.session, w.round, user=w.admin, today=date(2026, 12, 1), now=T0)
    db.session.commit()
    parcels = list(db.session.scalars(select(Parcel).where(Parcel.round_id == w.round.id)))
    assert len(parcels) == 8
    w.on_the_road(parcels[:6])
    w.scan(parcels[0], "deliver")
    w.scan(parcels[1], "deliver")
    w.scan(parcels[2], "fail", reason="nobody_home")
    w.scan(parcels[3], "fail", reason="moved")
    w.scan(parcels[3], "return")
    w.scan(parcels[4], "return")
    w.scan(parcels[6], "pack")
    summary = stock.batch_summaries(db.session)[w.batch.id]
    # 50 received; 6 dispatched, 2 returned: on hand 46; delivered 2; in transit 2 (one
    # dispatched, one failed); reserved: 2 returned + 1 packed + 1 allocated
    assert (summary.on_hand, summary.delivered, summary.in_transit, summary.reserved) == (
        46,
        2,
        2,
        4,
    )
    assert summary.reconciled
    assert stock.reconciliation_problems(db.session) == []
