"""The stock report: per warehouse and period, opening + in - out - losses + adjustments =
closing for every batch, each figure equal to a raw SQL sum of the ledger, with movements
exactly on the period's local midnights counted on the right side."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import DateTime, bindparam, select, text

from kitlog.extensions import db
from kitlog.models import DonorBatch, Parcel, Warehouse
from kitlog.services import distribution, manifests, stock
from kitlog.services.errors import InvalidValue
from kitlog.services.scans import ScanInput, record_scan
from kitlog.services.stock_report import (
    default_period,
    local_midnight,
    stock_report,
)

TZ = "Asia/Jakarta"
NOV_1, NOV_29 = date(2026, 11, 1), date(2026, 11, 29)
START = datetime(2026, 10, 31, 17, 0, tzinfo=UTC)  # 1 November 2026, 00:00 in Jakarta
END = datetime(2026, 11, 29, 17, 0, tzinfo=UTC)  # 30 November 2026, 00:00 in Jakarta


class LedgerWorld:
    """JKT-01 and SBY-01 with batches of two donors whose movements fall before, on,
    inside and after the period 1-29 November 2026 (Jakarta time)."""

    def __init__(self, make):
        self.make = make
        self.koica = make.donor("KOICA")
        self.dfat = make.donor("DFAT", name="Australian Aid")
        self.kit = make.kit_type()
        self.jkt = make.warehouse("JKT-01")
        self.sby = make.warehouse("SBY-01", province="Jawa Timur", regency="Surabaya")
        self.budi = make.user("warehouse")
        self.admin = make.user("admin")

        # A: before the period 100 received (5 damaged); in it 20 moved to SBY-01 at the
        # very first instant, losses for two reasons, +4 at the very last instant; -2
        # exactly at the end (after the period).
        self.a = self.receive("LOT-A", 100, damaged=5, at=datetime(2026, 10, 15, 3, tzinfo=UTC))
        stock.transfer_stock(
            db.session,
            batch=self.a,
            from_warehouse=self.jkt,
            to_warehouse=self.sby,
            quantity=20,
            user=self.budi,
            now=START,
        )
        self.adjust(self.a, -3, "loss", "Flooded shelf", START + timedelta(days=1))
        self.adjust(self.a, -2, "loss", "Stolen", START + timedelta(days=2))
        self.adjust(self.a, -1, "loss", "Flooded shelf", START + timedelta(days=3))
        self.adjust(self.a, 4, "adjustment", "Count found 4 more", END - timedelta(microseconds=1))
        self.adjust(self.a, -2, "adjustment", "Recount", END)
        # B (DFAT): received at the first instant; 3 dispatched on a manifest, 1 returned.
        self.b = self.receive("LOT-B", 30, donor=self.dfat, at=START)
        self._dispatch_three_and_return_one()
        # C: stock before the period and no movement in it.
        self.c = self.receive("LOT-C", 10, at=datetime(2026, 9, 1, 2, tzinfo=UTC))
        # D: all of it moved to SBY-01 before the period (no row in JKT-01).
        self.d = self.receive("LOT-D", 5, at=datetime(2026, 9, 1, 2, tzinfo=UTC))
        stock.transfer_stock(
            db.session,
            batch=self.d,
            from_warehouse=self.jkt,
            to_warehouse=self.sby,
            quantity=5,
            user=self.budi,
            now=datetime(2026, 9, 2, 2, tzinfo=UTC),
        )
        # E: received exactly at the end, the first instant of 30 November.
        self.e = self.receive("LOT-E", 7, at=END)
        db.session.commit()

    def receive(self, lot, quantity, *, damaged=0, donor=None, warehouse=None, at):
        return stock.receive_batch(
            db.session,
            donor=donor or self.koica,
            kit_type=self.kit,
            warehouse=warehouse or self.jkt,
            reference="AGR-1",
            lot=lot,
            expiry_date=date(2028, 1, 31),
            quantity_pledged=quantity,
            quantity_received=quantity,
            quantity_damaged=damaged,
            received_date=at.date(),
            user=self.budi,
            now=at,
        )

    def adjust(self, batch, quantity, kind, reason, at):
        stock.adjust_stock(
            db.session,
            batch=batch,
            warehouse=self.jkt,
            quantity=quantity,
            kind=kind,
            reason=reason,
            user=self.budi,
            now=at,
        )

    def scan(self, parcel, action, at):
        result = record_scan(
            db.session,
            ScanInput(
                code=parcel.short_code,
                action=action,
                idempotency_key=f"report-{action}-{parcel.id}",
            ),
            user=self.budi,
            now=at,
        )
        assert result.outcome == "ok", result.detail

    def _dispatch_three_and_return_one(self):
        for n in range(3):
            self.make.household(village=f"Sedayu {n}")
        round_ = distribution.create_round(
            db.session,
            name="Round B",
            batches=[self.b],
            warehouse=self.jkt,
            entitlement=1,
            user=self.admin,
            now=START + timedelta(days=4),
        )
        distribution.open_round(db.session, round_, user=self.admin, now=START + timedelta(days=4))
        distribution.allocate(
            db.session, round_, user=self.admin, today=NOV_1, now=START + timedelta(days=4)
        )
        parcels = list(db.session.scalars(select(Parcel).where(Parcel.round_id == round_.id)))
        assert len(parcels) == 3
        for parcel in parcels:
            self.scan(parcel, "pack", START + timedelta(days=5))
        manifest = manifests.create_manifest(
            db.session,
            warehouse=self.jkt,
            destination="Turen",
            vehicle="B 1234 CD",
            driver_name="Joko",
            parcels=[p.short_code for p in parcels],
            user=self.budi,
            now=START + timedelta(days=5),
        )
        manifests.dispatch_manifest(
            db.session, manifest, user=self.budi, now=START + timedelta(days=6)
        )
        self.scan(parcels[0], "return", START + timedelta(days=7))


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
