"""Rules 1 and 2 of docs/design.md for distribution rounds: entitlement, eligibility,
first-expiry-first-out, all-or-nothing allocation, reservations, cancelling."""

from __future__ import annotations

from datetime import date

import pytest
from flask_babel import force_locale
from sqlalchemy import event, func, insert, select
from sqlalchemy.exc import IntegrityError

from kitlog.extensions import db
from kitlog.models import (
    Household,
    Parcel,
    ParcelEvent,
    ParcelLine,
    ParcelStatus,
    Round,
    RoundStatus,
)
from kitlog.services import distribution as dist
from kitlog.services import stock
from kitlog.services.errors import Conflict, InvalidValues, NotFound, OutOfStock
from kitlog.services.parcel_codes import format_short_code
from tests.worlds import ScanWorld

TODAY = date(2021, 1, 10)


def _english(error) -> str:
    """A refusal's message as an English reader sees it (the default language is id)."""
    with force_locale("en"):
        return str(error.value)


def _round(make, batches, **kw) -> Round:
    warehouse = kw.pop("warehouse", None) or batches[0].warehouse
    values = {"name": "Covid-19 round 1", "entitlement": 1, **kw}
    round_ = dist.create_round(
        db.session, batches=batches, warehouse=warehouse, user=None, **values
    )
    db.session.commit()
    return round_


def _allocate(round_, **kw) -> dist.AllocationResult:
    result = dist.allocate(db.session, round_, user=None, today=TODAY, **kw)
    db.session.commit()
    return result


def _lines(household: Household) -> dict[str, int]:
    """The lots and kits of a household's live parcel."""
    parcel = db.session.scalars(
        select(Parcel).where(
            Parcel.household_id == household.id, Parcel.status != ParcelStatus.CANCELLED
        )
    ).one()
    return {line.batch.lot: line.kits for line in parcel.lines}


def _available(batch) -> int:
    return stock.stock_level(
        db.session, batch_id=batch.id, warehouse_id=batch.warehouse_id
    ).available


def _live_parcels(round_) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Parcel)
        .where(Parcel.round_id == round_.id, Parcel.status != ParcelStatus.CANCELLED)
    )


# -- the round -----------------------------------------------------------------------------


def test_a_round_needs_a_name_batches_an_entitlement_and_dates_in_order(make):
    batch = make.batch()
    with pytest.raises(InvalidValues) as error:
        dist.create_round(
            db.session,
            name="  ",
            batches=[],
            warehouse=batch.warehouse,
            entitlement=0,
            members_per_kit=51,
            province="Atlantis",
            start_date=date(2021, 2, 1),
            end_date=date(2021, 1, 1),
            user=None,
        )
    fields = {e.field for e in error.value.errors}
    assert fields == {"name", "batches", "entitlement", "members_per_kit", "province", "end_date"}


def test_a_round_draws_on_batches_of_one_kit_type(make):
    first = make.batch()
    other_kit = make.kit_type("HK-IND")
    second = stock.receive_batch(
        db.session,
        donor=first.donor,
        kit_type=other_kit,
        warehouse=first.warehouse,
        reference="AGR-2",
        lot="IND-1",
        expiry_date=None,
        quantity_pledged=10,
        quantity_received=10,
        received_date=date(2020, 12, 1),
        user=None,
    )
    with pytest.raises(InvalidValues) as error:
        _round(make, [first, second])
    assert [e.field for e in error.value.errors] == ["batches"]


def test_a_round_area_is_cleaned_like_a_household_address(make):
    round_ = _round(make, [make.batch()], province="jatim", regency="KABUPATEN  malang")
    assert (round_.province, round_.regency) == ("Jawa Timur", "Kabupaten Malang")
    assert round_.status == RoundStatus.DRAFT


def test_an_open_round_keeps_its_batches_and_entitlement_but_may_be_renamed(make):
    round_ = _round(make, [make.batch()])
    dist.open_round(db.session, round_, user=None)
    dist.update_round(db.session, round_, name="Round 1 (extended)", user=None)
    assert round_.name == "Round 1 (extended)"
    with pytest.raises(Conflict):
        dist.update_round(db.session, round_, entitlement=2, user=None)
    with pytest.raises(Conflict):
        dist.open_round(db.session, round_, user=None)


# -- entitlement ---------------------------------------------------------------------------


def test_a_fixed_entitlement_gives_every_household_the_same_kits(make):
    round_ = _round(make, [make.batch(received=100)], entitlement=2)
    small, large = make.household(members=1), make.household(members=9)
    result = _allocate(round_)
    assert result.allocated == 2 and result.kits == 4
    assert sum(_lines(small).values()) == sum(_lines(large).values()) == 2


@pytest.mark.parametrize(("members", "kits"), [(1, 1), (3, 1), (4, 2), (6, 2), (7, 3), (50, 3)])
def test_an_entitlement_by_household_size_is_capped(make, members, kits):
    round_ = _round(make, [make.batch(received=100)], entitlement=3, members_per_kit=3)
    household = make.household(members=members)
    _allocate(round_)
    assert sum(_lines(household).values()) == kits


# -- first expiry first out ----------------------------------------------------------------


def test_the_batch_that_expires_first_is_allocated_first(make):
    late = make.batch(received=10, lot="LATE", expiry=date(2031, 1, 1))
    early = make.batch(received=10, lot="EARLY", expiry=date(2030, 1, 1))
    undated = make.batch(received=10, lot="UNDATED", expiry=None)
    round_ = _round(make, [late, undated, early], entitlement=4)
    first, second, third = (make.household() for _ in range(3))
    _allocate(round_)
    assert _lines(first) == {"EARLY": 4}
    assert _lines(second) == {"EARLY": 4}
    assert _lines(third) == {"EARLY": 2, "LATE": 2}  # one parcel spans two batches
    assert (_available(early), _available(late), _available(undated)) == (0, 8, 10)


def test_an_expired_batch_is_never_allocated(make):
    expired = make.batch(received=50, lot="OLD", expiry=date(2021, 1, 9))
    fresh = make.batch(received=5, lot="NEW", expiry=date(2030, 1, 1))
    round_ = _round(make, [expired, fresh], entitlement=2)
    households = [make.household() for _ in range(2)]
    plan = dist.plan_allocation(db.session, round_, today=TODAY)
    assert [(b.batch.lot, b.available, b.expired) for b in plan.batches] == [
        ("OLD", 50, True),
        ("NEW", 5, False),
    ]
    assert (plan.kits_needed, plan.kits_available) == (4, 5)
    _allocate(round_)
    assert all(_lines(h) == {"NEW": 2} for h in households)
    assert _available(expired) == 50


def test_only_stock_in_the_rounds_warehouse_is_allocated(make):
    jakarta = make.warehouse("JKT-01")
    surabaya = make.warehouse("SBY-01")
    batch = make.batch(received=10, warehouse=jakarta)
    stock.transfer_stock(
        db.session,
        batch=batch,
        from_warehouse=jakarta,
        to_warehouse=surabaya,
        quantity=9,
        user=None,
    )
    db.session.commit()
    round_ = _round(make, [batch], warehouse=surabaya, entitlement=3)
    for _ in range(3):
        make.household()
    plan = dist.plan_allocation(db.session, round_, today=TODAY)
    assert (plan.kits_needed, plan.kits_available) == (9, 9)


# -- all or nothing, and never twice -------------------------------------------------------


def test_a_short_allocation_allocates_nothing_and_says_needed_and_available(make):
    round_ = _round(make, [make.batch(received=5)], entitlement=2)
    for _ in range(3):
        make.household()
    with pytest.raises(OutOfStock) as error:
        dist.allocate(db.session, round_, user=None, today=TODAY)
    db.session.rollback()
    assert (error.value.requested, error.value.available) == (6, 5)
    assert "6 kits needed, 5 available" in _english(error)
    assert _live_parcels(round_) == 0
    assert db.session.scalar(select(func.count()).select_from(ParcelEvent)) == 0


def test_allocating_again_gives_no_household_a_second_parcel(make):
    round_ = _round(make, [make.batch(received=100)])
    first = make.household()
    assert _allocate(round_).allocated == 1
    second = make.household()
    result = _allocate(round_)
    assert result.allocated == 1
    assert result.skipped == []  # over the whole area, households served before are not news
    assert _live_parcels(round_) == 2
    assert sum(_lines(second).values()) == 1
    named = dist.allocate(db.session, round_, household_codes=[first.code], user=None)
    assert named.allocated == 0
    assert [(s.household.code, s.reason) for s in named.skipped] == [
        (first.code, "already_allocated")
    ]
    assert _live_parcels(round_) == 2


def test_the_database_refuses_a_second_live_parcel_for_a_household(make):
    round_ = _round(make, [make.batch(received=100)])
    household = make.household()
    _allocate(round_)
    row = {
        "round_id": round_.id,
        "household_id": household.id,
        "kits": 1,
        "status": "allocated",
        "token": "A" * 16,
        "short_code": "222222222",
    }
    with pytest.raises(IntegrityError):
        db.session.execute(insert(Parcel), [row])
    db.session.rollback()
    parcel = db.session.scalars(select(Parcel)).one()
    dist.cancel_parcel(db.session, parcel, user=None)
    db.session.execute(insert(Parcel), [row])  # a cancelled parcel does not count
    db.session.commit()


def test_a_closed_round_allocates_nothing(make):
    round_ = _round(make, [make.batch()])
    dist.open_round(db.session, round_, user=None)
    dist.close_round(db.session, round_, user=None)
    make.household()
    with pytest.raises(Conflict):
        dist.allocate(db.session, round_, user=None, today=TODAY)


# -- eligibility ---------------------------------------------------------------------------


def test_ineligible_households_are_skipped_with_their_reason(make):
    round_ = _round(make, [make.batch()], province="Jawa Timur")
    eligible = make.household()
    inactive = make.household(status="inactive")
    no_consent = make.household(consent=False)
    elsewhere = make.household(province="Bali", regency="Badung", nik=make.nik("51"))
    result = _allocate(round_)
    assert result.allocated == 1
    assert {(s.household.code, s.reason) for s in result.skipped} == {
        (inactive.code, "inactive"),
        (no_consent.code, "no_consent"),
    }
    with force_locale("en"):
        assert "consent" in str(next(s for s in result.skipped if s.reason == "no_consent").message)
    assert _lines(eligible)
    live = {p.household_id for p in db.session.scalars(select(Parcel))}
    assert elsewhere.id not in live


def test_a_named_household_outside_the_area_is_skipped(make):
    round_ = _round(make, [make.batch()], regency="Kabupaten Malang")
    inside = make.household()
    outside = make.household(regency="Kota Batu")
    result = _allocate(round_, household_codes=[inside.code, outside.code.lower()])
    assert result.allocated == 1
    assert [(s.household.code, s.reason) for s in result.skipped] == [
        (outside.code, "outside_area")
    ]


def test_unknown_household_codes_are_each_listed(make):
    round_ = _round(make, [make.batch()])
    make.household()
    with pytest.raises(InvalidValues) as error:
        dist.allocate(db.session, round_, household_codes=["HH-999998", "HH-999999"], user=None)
    assert [e.field for e in error.value.errors] == ["households", "households"]
    with force_locale("en"):
        assert "HH-999999" in str(error.value.errors[1].message)


def test_a_vulnerable_first_round_serves_vulnerable_households_and_most_flags_first(make):
    round_ = _round(make, [make.batch(received=100)], vulnerable_first=True)
    plain = make.household()
    one = make.household(vulnerabilities=["elderly"])
    two = make.household(vulnerabilities=["pregnant", "under5"])
    plan = dist.plan_allocation(db.session, round_, today=TODAY)
    assert [h.code for h, _kits in plan.households] == [two.code, one.code]
    assert [(s.household.code, s.reason) for s in plan.skipped] == [(plain.code, "not_vulnerable")]
    _allocate(round_)
    skips, total = dist.skipped_households(db.session, round_)
    assert total == 1 and [s.reason for s in skips] == ["not_vulnerable"]
    round_.vulnerable_first = False  # the admin extends the round to everyone
    db.session.commit()
    assert _allocate(round_).allocated == 1
    assert dist.skipped_households(db.session, round_) == ([], 0)


# -- reservations --------------------------------------------------------------------------


def test_allocated_kits_are_reserved_and_cannot_be_moved_or_written_off(make):
    batch = make.batch(received=10)
    surabaya = make.warehouse("SBY-01")
    round_ = _round(make, [batch], entitlement=4)
    make.household()
    make.household()
    _allocate(round_)
    level = stock.stock_level(db.session, batch_id=batch.id, warehouse_id=batch.warehouse_id)
    assert (level.on_hand, level.reserved, level.available) == (10, 8, 2)
    with pytest.raises(OutOfStock):
        stock.transfer_stock(
            db.session,
            batch=batch,
            from_warehouse=batch.warehouse,
            to_warehouse=surabaya,
            quantity=3,
            user=None,
        )
    db.session.rollback()
    with pytest.raises(OutOfStock):
        stock.adjust_stock(
            db.session,
            batch=batch,
            warehouse=batch.warehouse,
            quantity=-3,
            kind="loss",
            reason="rain",
            user=None,
        )
    db.session.rollback()
    assert stock.reconciliation_problems(db.session) == []


def test_cancelling_a_parcel_releases_its_kits(make):
    batch = make.batch(received=4)
    round_ = _round(make, [batch], entitlement=4)
    make.household()
    _allocate(round_)
    assert _available(batch) == 0
    parcel = db.session.scalars(select(Parcel)).one()
    dist.cancel_parcel(db.session, parcel, user=None, reason="moved away")
    db.session.commit()
    assert _available(batch) == 4
    assert [(e.from_status, e.status, e.note) for e in parcel.events] == [
        (None, "allocated", ""),
        ("allocated", "cancelled", "moved away"),
    ]
    with pytest.raises(Conflict) as error:
        dist.cancel_parcel(db.session, parcel, user=None)
    assert "cancelled" in _english(error)
    assert stock.reconciliation_problems(db.session) == []


def test_closing_a_round_cancels_its_unpacked_parcels_and_refuses_while_any_is_packed(make):
    batch = make.batch(received=10)
    round_ = _round(make, [batch], entitlement=2)
    make.household()
    make.household()
    _allocate(round_)
    dist.open_round(db.session, round_, user=None)
    packed = db.session.scalars(select(Parcel).order_by(Parcel.id)).first()
    packed.status = ParcelStatus.PACKED  # as the packing scan will
    db.session.commit()
    with pytest.raises(Conflict) as error:
        dist.close_round(db.session, round_, user=None)
    assert "1 parcel of this round is" in _english(error)
    db.session.rollback()
    dist.cancel_parcel(db.session, packed, user=None)
    dist.close_round(db.session, round_, user=None)
    db.session.commit()
    assert round_.status == RoundStatus.CLOSED
    assert dist.round_counts(db.session, [round_.id])[round_.id]["cancelled"] == 2
    assert _available(batch) == 10
    events = db.session.scalars(select(ParcelEvent).where(ParcelEvent.status == "cancelled"))
    assert len(list(events)) == 2
    assert stock.reconciliation_problems(db.session) == []


def test_every_parcel_has_its_lines_and_its_allocated_event(make):
    round_ = _round(make, [make.batch(received=100)], entitlement=3)
    for _ in range(5):
        make.household()
    result = _allocate(round_)
    assert result.allocated == 5
    kits = db.session.scalar(select(func.sum(ParcelLine.kits)))
    events = db.session.scalar(
        select(func.count()).select_from(ParcelEvent).where(ParcelEvent.status == "allocated")
    )
    assert (kits, events) == (15, 5)
    parcels = db.session.scalars(select(Parcel)).all()
    assert len({p.token for p in parcels}) == len({p.short_code for p in parcels}) == 5


def test_round_counts_fill_every_status(make):
    round_ = _round(make, [make.batch()])
    make.household()
    _allocate(round_)
    counts = dist.round_counts(db.session, [round_.id, 9999])
    assert counts[round_.id] == {
        "allocated": 1,
        "packed": 0,
        "dispatched": 0,
        "delivered": 0,
        "failed": 0,
        "returned": 0,
        "cancelled": 0,
        "total": 1,
    }
    assert counts[9999]["total"] == 0


def test_the_progress_bars_count_the_parcels_that_came_at_least_that_far(make):
    w = ScanWorld(make, households=5)
    delivered, failed, dispatched, packed, allocated = w.parcels
    w.on_the_road([delivered, failed, dispatched])
    w.scan(delivered, "deliver", recipient_name="Ibu Sari", recipient_relation="self")
    w.scan(failed, "fail", reason="nobody_home")
    w.scan(packed, "pack")
    counts = dist.round_counts(db.session, [w.round.id])[w.round.id]
    assert (counts["packed"], counts["dispatched"], counts["delivered"]) == (1, 1, 1)
    progress = dist.round_progress(counts)
    assert progress.live == 5
    assert progress.bars == (("packed", 4), ("dispatched", 3), ("delivered", 1))


def test_a_returned_parcel_is_back_on_the_shelf_and_a_cancelled_one_not_counted():
    counts = {status.value: 0 for status in ParcelStatus}
    counts.update(returned=2, cancelled=3, delivered=1, total=3)
    progress = dist.round_progress(counts)
    assert progress.live == 3
    assert progress.bars == (("packed", 1), ("dispatched", 1), ("delivered", 1))


# -- finding a parcel ----------------------------------------------------------------------


def test_a_parcel_is_found_by_short_code_token_or_qr_url(make):
    round_ = _round(make, [make.batch()])
    make.household()
    _allocate(round_)
    parcel = db.session.scalars(select(Parcel)).one()
    shown = format_short_code(parcel.short_code)
    url = f"https://kits.example.org/p/{parcel.token}"
    for code in (
        parcel.short_code,
        shown.lower(),
        " " + shown.replace("-", " ") + " ",
        parcel.token,
        parcel.token.lower(),
        url,
        url.replace(":", "%3A").replace("/", "%2F"),
    ):
        assert dist.find_parcel(db.session, code).id == parcel.id, code


def test_a_short_code_with_a_typo_says_so(make):
    round_ = _round(make, [make.batch()])
    make.household()
    _allocate(round_)
    parcel = db.session.scalars(select(Parcel)).one()
    last = parcel.short_code[-1]
    typo = parcel.short_code[:-1] + ("3" if last != "3" else "4")
    with pytest.raises(NotFound) as error:
        dist.find_parcel(db.session, typo)
    assert "typo" in _english(error)
    with pytest.raises(NotFound) as error:
        dist.find_parcel(db.session, "nothing")
    assert "typo" not in _english(error)


# -- scale ---------------------------------------------------------------------------------


def test_two_thousand_households_are_allocated_in_bulk_not_row_by_row(make):
    from kitlog.services.households import household_codes

    round_ = _round(make, [make.batch(received=1500), make.batch(received=1000)])
    base = make.household_values()
    codes = household_codes(db.session, 2000)
    rows = [
        {
            "code": code,
            "head_name": f"Head {i}",
            "name_key": f"head {i}",
            "worker_name": f"Worker {i}",
            "worker_relation": "spouse",
            "nik": f"3507{i:012d}"[:16],
            "phone": "",
            "province": base["province"],
            "regency": base["regency"],
            "district": base["district"],
            "village": base["village"],
            "members": 4,
            "elderly": i % 7 == 0,
            "consent": True,
            "consent_date": date(2020, 12, 1),
            "status": "active",
        }
        for i, code in enumerate(codes)
    ]
    db.session.execute(insert(Household), rows)
    db.session.commit()
    # Speed is measured by `make bench`; here, the shape that makes it fast: a bounded
    # number of statements however many households there are (not one or more per row).
    statements = []

    def count(_conn, _cursor, statement, _parameters, _context, _executemany):
        statements.append(statement)

    engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        result = _allocate(round_)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert result.allocated == 2000
    assert _live_parcels(round_) == 2000
    assert len(statements) < 60, len(statements)
    assert stock.reconciliation_problems(db.session) == []
