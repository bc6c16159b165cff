"""The stock report: per warehouse and period, opening + in - out - losses + adjustments =
closing for every batch, each figure equal to a raw SQL sum of the ledger, with movements
exactly on the period's local midnights counted on the right side."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import DateTime, bindparam, select, text

from kitlog.extensions import db
from kitlog.models import DonorBatch, Warehouse
from kitlog.services.errors import InvalidValue
from kitlog.services.stock_report import (
    default_period,
    local_midnight,
    stock_report,
)
from tests.worlds import END, NOV_1, NOV_29, START, LedgerWorld

TZ = "Asia/Jakarta"


@pytest.fixture
def world(make) -> LedgerWorld:
    return LedgerWorld(make)


def raw_sums(warehouse_id: int, batch_id: int, start: datetime, end: datetime) -> dict:
    """The report's terms, summed from stock_movements by plain SQL."""
    query = text(
        """
        SELECT
          COALESCE(SUM(CASE WHEN created_at < :start THEN quantity ELSE 0 END), 0),
          COALESCE(SUM(CASE WHEN created_at >= :start AND created_at < :end
                            AND kind IN ('receipt', 'transfer_in', 'return')
                            THEN quantity ELSE 0 END), 0),
          COALESCE(SUM(CASE WHEN created_at >= :start AND created_at < :end
                            AND kind IN ('dispatch', 'transfer_out')
                            THEN -quantity ELSE 0 END), 0),
          COALESCE(SUM(CASE WHEN created_at >= :start AND created_at < :end
                            AND kind = 'loss' THEN -quantity ELSE 0 END), 0),
          COALESCE(SUM(CASE WHEN created_at >= :start AND created_at < :end
                            AND kind = 'adjustment' THEN quantity ELSE 0 END), 0),
          COALESCE(SUM(CASE WHEN created_at < :end THEN quantity ELSE 0 END), 0),
          COALESCE(SUM(CASE WHEN created_at >= :start AND created_at < :end
                            THEN 1 ELSE 0 END), 0)
        FROM stock_movements WHERE warehouse_id = :warehouse AND batch_id = :batch
        """
    ).bindparams(
        bindparam("start", type_=DateTime(timezone=True)),
        bindparam("end", type_=DateTime(timezone=True)),
    )
    values = db.session.execute(
        query, {"start": start, "end": end, "warehouse": warehouse_id, "batch": batch_id}
    ).one()
    names = ("opening", "kits_in", "kits_out", "losses", "adjustments", "closing", "moved")
    return dict(zip(names, (int(v) for v in values), strict=True))


def figures(row) -> dict:
    return {
        "opening": row.opening,
        "kits_in": row.kits_in,
        "kits_out": row.kits_out,
        "losses": row.losses,
        "adjustments": row.adjustments,
        "closing": row.closing,
    }


def assert_equals_the_ledger(report, warehouse: Warehouse, start, end):
    """Every row equals the raw sums and balances; every batch left out had nothing."""
    by_batch = {row.batch_id: row for row in report.rows}
    for batch_id in db.session.scalars(select(DonorBatch.id)):
        sums = raw_sums(warehouse.id, batch_id, start, end)
        moved = sums.pop("moved")
        if batch_id not in by_batch:
            assert sums["opening"] == 0 and moved == 0, (batch_id, sums)
            continue
        row = by_batch[batch_id]
        assert figures(row) == sums, row.lot
        assert row.opening + row.kits_in - row.kits_out - row.losses + row.adjustments == (
            row.closing
        )
    assert report.balanced


def test_the_period_is_bounded_by_local_midnights():
    assert local_midnight(NOV_1, TZ) == START
    assert local_midnight(NOV_29 + timedelta(days=1), TZ) == END
    assert default_period(date(2026, 11, 29)) == (NOV_1, NOV_29)


def test_each_batch_opening_in_out_losses_adjustments_and_closing(world):
    report = stock_report(db.session, world.jkt, date_from=NOV_1, date_to=NOV_29, timezone=TZ)
    rows = {row.lot: row for row in report.rows}
    assert sorted(rows) == ["LOT-A", "LOT-B", "LOT-C"]  # D left before, E came after
    a, b, c = rows["LOT-A"], rows["LOT-B"], rows["LOT-C"]
    # the transfer at the first instant is in; +4 at the last instant is in; -2 at the end
    # is not
    assert figures(a) == {
        "opening": 95,
        "kits_in": 0,
        "kits_out": 20,
        "losses": 6,
        "adjustments": 4,
        "closing": 73,
    }
    assert (a.transfers_out, a.dispatches) == (20, 0)
    # received at the first instant: in the period, not in the opening
    assert figures(b) == {
        "opening": 0,
        "kits_in": 31,
        "kits_out": 3,
        "losses": 0,
        "adjustments": 0,
        "closing": 28,
    }
    assert (b.receipts, b.returns, b.dispatches) == (30, 1, 3)
    assert figures(c) == {
        "opening": 10,
        "kits_in": 0,
        "kits_out": 0,
        "losses": 0,
        "adjustments": 0,
        "closing": 10,
    }
    assert (a.donor_code, b.donor_code, b.donor_name) == ("KOICA", "DFAT", "Australian Aid")
    assert [r.lot for r in report.rows] == ["LOT-B", "LOT-A", "LOT-C"]  # by donor code
    # losses grouped by reason, the damaged-at-receipt loss before the period left out
    assert [(line.lot, line.reason, line.kits) for line in report.losses] == [
        ("LOT-A", "Flooded shelf", 4),
        ("LOT-A", "Stolen", 2),
    ]
    totals = {t.donor_code: figures(t) for t in report.donor_totals}
    assert totals == {
        "DFAT": figures(b),
        "KOICA": {
            "opening": 105,
            "kits_in": 0,
            "kits_out": 20,
            "losses": 6,
            "adjustments": 4,
            "closing": 83,
        },
    }
    assert figures(report.total) == {
        "opening": 105,
        "kits_in": 31,
        "kits_out": 23,
        "losses": 6,
        "adjustments": 4,
        "closing": 111,
    }
    assert_equals_the_ledger(report, world.jkt, START, END)


def test_every_row_equals_raw_sql_sums_for_several_periods(world):
    periods = [
        (NOV_1, NOV_29),
        (NOV_1, NOV_1),  # only the first day: the transfer and B's receipt
        (date(2026, 11, 2), NOV_29),  # starts after the first instant
        (date(2026, 10, 1), date(2026, 12, 31)),  # E and the -2 recount inside
        (date(2026, 1, 1), date(2026, 9, 1)),  # C and D received
    ]
    for warehouse in (world.jkt, world.sby):
        for date_from, date_to in periods:
            report = stock_report(
                db.session, warehouse, date_from=date_from, date_to=date_to, timezone=TZ
            )
            assert_equals_the_ledger(
                report,
                warehouse,
                local_midnight(date_from, TZ),
                local_midnight(date_to + timedelta(days=1), TZ),
            )


def test_a_warehouse_with_stock_but_no_movement_in_the_period(world):
    report = stock_report(
        db.session,
        world.sby,
        date_from=date(2026, 12, 1),
        date_to=date(2026, 12, 31),
        timezone=TZ,
    )
    assert [(r.lot, r.opening, r.kits_in, r.kits_out, r.closing) for r in report.rows] == [
        ("LOT-A", 20, 0, 0, 20),
        ("LOT-D", 5, 0, 0, 5),
    ]
    assert report.losses == []
    assert (report.total.opening, report.total.closing) == (25, 25)


def test_the_receiving_warehouse_sees_the_transfer_in(world):
    report = stock_report(db.session, world.sby, date_from=NOV_1, date_to=NOV_29, timezone=TZ)
    rows = {r.lot: r for r in report.rows}
    assert (rows["LOT-A"].opening, rows["LOT-A"].transfers_in, rows["LOT-A"].closing) == (
        0,
        20,
        20,
    )
    assert (rows["LOT-D"].opening, rows["LOT-D"].closing) == (5, 5)


def test_an_empty_warehouse_has_no_rows_and_zero_totals(make):
    warehouse = make.warehouse("MKS-01")
    report = stock_report(db.session, warehouse, date_from=NOV_1, date_to=NOV_29, timezone=TZ)
    assert report.rows == [] and report.losses == [] and report.donor_totals == []
    assert (report.total.opening, report.total.closing) == (0, 0)


def test_a_period_ending_before_it_starts_is_refused(make):
    warehouse = make.warehouse("MKS-01")
    with pytest.raises(InvalidValue) as error:
        stock_report(db.session, warehouse, date_from=NOV_29, date_to=NOV_1, timezone=TZ)
    assert error.value.field == "to"
