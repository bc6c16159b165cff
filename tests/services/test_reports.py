"""The donor report equals the ledger and the scans, to the last kit.

The scenario is built through the services (receive, adjust, allocate, pack, load, dispatch,
deliver, fail, return); every figure the report gives is checked against what the ledger
and the scans say, counted here independently with plain SQL and the Scan rows. Two donors
share a round, so a figure that leaks from one donor to the other fails.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import bindparam, select, text

from kitlog.extensions import db
from kitlog.models import Donor, Parcel, Scan
from kitlog.services import distribution as dist
from kitlog.services import stock
from kitlog.services.reports import donor_report
from tests.services.test_scans import ScanWorld

TODAY = date(2026, 12, 10)
ZONE = "Asia/Jakarta"
# Day 1: 3 Dec 2026 10:00 in Jakarta; 16:59 UTC on day 1 is 4 Dec 23:59 in Jakarta.
DAY1 = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)


class ReportWorld:
    """KOICA: lot A (10 received, 1 damaged, expiring in January) and lot B (pledged 25,
    received 20, one stolen, +2 found at a count); DFAT: lot C (20). Round 1 gives 2 kits
    to each of 6 households from A then B (so household 5's parcel draws on both lots);
    round 2 gives one kit of C to each of the same households."""

    def __init__(self, make):
        w = self.w = ScanWorld(make, households=0)
        self.koica = db.session.scalar(select(Donor).where(Donor.code == "KOICA"))
        self.dfat = make.donor("DFAT")
        sby = w.warehouse
        # ScanWorld's own lot (LOT-S) is KOICA's too: it stays untouched, on hand.
        self.lot_s = w.batch
        self.a = make.batch(
            received=10, damaged=1, warehouse=sby, lot="LOT-A", expiry=date(2027, 1, 15)
        )
        self.b = make.batch(received=20, pledged=25, warehouse=sby, lot="LOT-B")
        self.c = make.batch(received=20, warehouse=sby, lot="LOT-C", donor=self.dfat)
        stock.adjust_stock(
            db.session, batch=self.b, warehouse=sby, quantity=-1, kind="loss",
            reason="stolen", user=w.admin,
        )  # fmt: skip
        stock.adjust_stock(
            db.session, batch=self.b, warehouse=sby, quantity=2, kind="adjustment",
            reason="found at stock count", user=w.admin,
        )  # fmt: skip
        homes = [
            dict(province="Jawa Timur", regency="Kabupaten Malang", members=4),
            dict(province="Jawa Timur", regency="Kabupaten Malang", members=3,
                 vulnerabilities=["elderly"]),
            dict(province="Jawa Timur", regency="Kota Surabaya", members=5),
            dict(province="Jawa Tengah", regency="Kabupaten Cilacap", members=2,
                 vulnerabilities=["under5", "pregnant"]),
            dict(province="Jawa Tengah", regency="Kabupaten Cilacap", members=6),
            dict(province="Jawa Timur", regency="Kota Surabaya", members=1),
        ]  # fmt: skip
        self.households = [make.household(**home) for home in homes]
        self.round1 = self._round("Round 1", [self.a, self.b], entitlement=2)
        self.round2 = self._round("Round 2", [self.c], entitlement=1)
        self.p = self._parcels(self.round1)  # KOICA's parcels, household order
        self.q = self._parcels(self.round2)  # DFAT's

    def _round(self, name, batches, entitlement):
        w = self.w
        round_ = dist.create_round(
            db.session, name=name, batches=batches, warehouse=w.warehouse,
            entitlement=entitlement, user=w.admin,
        )  # fmt: skip
        dist.open_round(db.session, round_, user=w.admin)
        dist.allocate(db.session, round_, user=w.admin, today=date(2026, 12, 1))
        db.session.commit()
        return round_

    def _parcels(self, round_):
        by_household = {
            p.household_id: p
            for p in db.session.scalars(select(Parcel).where(Parcel.round_id == round_.id))
        }
        return [by_household[h.id] for h in self.households]

    def play(self):
        """The trips: see each line's comment."""
        w, p, q = self.w, self.p, self.q
        w.on_the_road(p[:5] + q[:2], at=DAY1)  # p[5] and q[2:] stay allocated
        # household 0: delivered on day 1 (device time), round 2's parcel too
        w.scan(p[0], "deliver", at=DAY1 + timedelta(hours=1))
        w.scan(q[0], "deliver", at=DAY1 + timedelta(hours=1))
        # household 1: delivered offline at 23:30 Jakarta on 3 Dec, synced on the 4th
        w.scan(
            p[1], "deliver", at=DAY1 + timedelta(days=1),
            scanned_at=datetime(2026, 12, 3, 16, 30, tzinfo=UTC),
        )  # fmt: skip
        # household 2: failed, then delivered at a second visit on 4 Dec 00:30 Jakarta
        w.scan(p[2], "fail", reason="nobody_home", at=DAY1 + timedelta(hours=2))
        w.scan(p[2], "deliver", at=datetime(2026, 12, 3, 17, 30, tzinfo=UTC))
        # household 3: failed, brought back to the warehouse (on the shelf again)
        w.scan(p[3], "fail", reason="moved", at=DAY1 + timedelta(hours=3))
        w.scan(p[3], "return", at=DAY1 + timedelta(days=1))
        # household 4 (the parcel drawing on A and B): failed, still on the road
        w.scan(p[4], "fail", reason="refused", at=DAY1 + timedelta(hours=4))
        # q[1] (DFAT, household 1) is still in transit; q[2:] and p[5] on the shelf


@pytest.fixture
def world(make) -> ReportWorld:
    world = ReportWorld(make)
    world.play()
    return world


def report(donor):
    return donor_report(db.session, donor, today=TODAY, timezone=ZONE)


def sql(query: str, **params):
    return db.session.execute(text(query), params).all()


def ledger(batch_id: int, kind: str) -> int:
    [(total,)] = sql(
        "SELECT COALESCE(SUM(quantity), 0) FROM stock_movements WHERE batch_id = :b AND kind = :k",
        b=batch_id,
        k=kind,
    )
    return int(total)


def parcel_kits(batch_id: int, statuses: tuple[str, ...]) -> int:
    query = text(
        "SELECT COALESCE(SUM(l.kits), 0) FROM parcel_lines l JOIN parcels p"
        " ON p.id = l.parcel_id WHERE l.batch_id = :b AND p.status IN :statuses"
    ).bindparams(bindparam("statuses", expanding=True))
    return int(db.session.execute(query, {"b": batch_id, "statuses": list(statuses)}).scalar())


def test_a_parcel_of_the_scenario_draws_on_two_lots(world):
    lines = {line.batch_id: line.kits for line in world.p[4].lines}
    assert lines == {world.a.id: 1, world.b.id: 1}


def test_every_batch_figure_equals_the_ledger_and_the_parcels(world):
    figures = {b.id: b for b in report(world.koica).batches}
    assert set(figures) == {world.lot_s.id, world.a.id, world.b.id}  # not DFAT's lot C
    for batch_id, b in figures.items():
        assert b.received == ledger(batch_id, "receipt")
        assert b.lost == -ledger(batch_id, "loss")
        assert b.adjusted == ledger(batch_id, "adjustment")
        [(on_hand,)] = sql(
            "SELECT COALESCE(SUM(quantity), 0) FROM stock_movements WHERE batch_id = :b",
            b=batch_id,
        )
        assert b.on_hand == on_hand
        assert b.reserved == parcel_kits(batch_id, ("allocated", "packed", "returned"))
        assert b.in_transit == parcel_kits(batch_id, ("dispatched", "failed"))
        assert b.delivered == parcel_kits(batch_id, ("delivered",))
        assert b.reconciled


def test_the_batch_figures_are_what_happened(world):
    figures = {b.lot: b for b in report(world.koica).batches}
    a, b = figures["LOT-A"], figures["LOT-B"]
    # A: 9 usable kits went 2,2,2,2 to households 0-3 and 1 to household 4.
    assert (a.pledged, a.received, a.lost, a.adjusted) == (10, 10, 1, 0)
    assert a.lost_by_reason == {stock.DAMAGED_AT_RECEIPT: 1}
    assert (a.delivered, a.in_transit) == (6, 1)  # households 0, 1, 2; household 4's kit
    assert (a.on_hand, a.reserved) == (2, 2)  # household 3's parcel, back on the shelf
    assert (a.households_reached, a.people_reached) == (3, 4 + 3 + 5)
    # B: 20 - 1 stolen + 2 found; 1 kit on the road (household 4), 2 reserved (household 5)
    assert (b.pledged, b.received, b.lost, b.adjusted) == (25, 20, 1, 2)
    assert b.lost_by_reason == {"stolen": 1}
    assert (b.delivered, b.in_transit, b.on_hand, b.reserved) == (0, 1, 20, 2)
    assert (b.households_reached, b.people_reached) == (0, 0)


def test_households_and_people_reached_count_each_household_once(world):
    r = report(world.koica)
    [(households, people, vulnerable)] = sql(
        "SELECT COUNT(*), SUM(h.members), SUM(CASE WHEN h.elderly OR h.disability"
        " OR h.pregnant OR h.under5 THEN 1 ELSE 0 END) FROM households h WHERE h.id IN"
        " (SELECT p.household_id FROM parcels p JOIN parcel_lines l ON l.parcel_id = p.id"
        "  JOIN donor_batches b ON b.id = l.batch_id"
        "  WHERE p.status = 'delivered' AND b.donor_id = :d)",
        d=world.koica.id,
    )
    assert (r.households_reached, r.people_reached) == (households, people) == (3, 12)
    assert r.vulnerable_households_reached == vulnerable == 1
    dfat = report(world.dfat)
    assert (dfat.households_reached, dfat.people_reached) == (1, 4)
    assert dfat.vulnerable_households_reached == 0


def test_regions_carry_the_province_code_and_add_up(world):
    r = report(world.koica)
    rows = [
        (x.province, x.province_code, x.regency, x.delivered, x.households_reached,
         x.people_reached, x.vulnerable_households_reached)
        for x in r.by_region
    ]  # fmt: skip
    assert rows == [
        ("Jawa Timur", "35", "Kabupaten Malang", 4, 2, 7, 1),
        ("Jawa Timur", "35", "Kota Surabaya", 2, 1, 5, 0),
    ]
    assert sum(x.delivered for x in r.by_region) == r.delivered == 6


def test_the_success_rate_counts_each_attempted_parcel_once(world):
    r = report(world.koica)
    ok_delivers = {
        s.parcel_id
        for s in db.session.scalars(
            select(Scan).where(Scan.action == "deliver", Scan.outcome == "ok")
        )
    }
    ok_fails = {
        s.parcel_id
        for s in db.session.scalars(select(Scan).where(Scan.action == "fail", Scan.outcome == "ok"))
    }
    koica = {p.id for p in world.p}
    assert r.parcels_delivered == len(ok_delivers & koica) == 3
    assert r.parcels_failed == len((ok_fails - ok_delivers) & koica) == 2
    assert r.parcels_failed_once == len(ok_fails & koica) == 3
    assert r.success_rate == pytest.approx(3 / 5)
    assert report(world.dfat).success_rate == 1.0


def test_the_timeline_puts_each_delivery_on_its_local_day_by_device_time(world):
    r = report(world.koica)
    jakarta = ZoneInfo(ZONE)
    expected: dict[date, int] = defaultdict(int)
    koica = {p.id: p for p in world.p}
    for s in db.session.scalars(select(Scan).where(Scan.action == "deliver", Scan.outcome == "ok")):
        if s.parcel_id in koica:
            moment = s.scanned_at or s.created_at
            moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
            expected[moment.astimezone(jakarta).date()] += koica[s.parcel_id].kits
    assert [(d.date, d.delivered) for d in r.timeline] == sorted(expected.items())
    # household 1's kits count on 3 Dec (handed over offline), household 2's on 4 Dec
    assert [(d.date, d.delivered, d.cumulative) for d in r.timeline] == [
        (date(2026, 12, 3), 4, 4),
        (date(2026, 12, 4), 2, 6),
    ]
    assert r.timeline[-1].cumulative == r.delivered
    assert r.target == 50 + 10 + 25


def test_batches_nearing_expiry_with_kits_on_hand_are_listed(world):
    r = report(world.koica)
    assert [b.lot for b in r.expiring] == ["LOT-A"]  # 15 Jan: 36 days; lot B in 2030
    later = donor_report(db.session, world.koica, today=date(2024, 1, 1), timezone=ZONE)
    assert later.expiring == []


def test_the_report_reconciles_and_says_so_batch_by_batch(world):
    r = report(world.koica)
    assert r.reconciled
    for b in r.batches:
        assert b.received + b.adjusted == b.lost + b.on_hand + b.in_transit + b.delivered


def test_a_donor_with_nothing_gets_an_empty_report(make):
    donor = make.donor("EMPTY")
    r = report(donor)
    assert (r.batches, r.by_region, r.timeline, r.target) == ([], [], [], 0)
    assert r.success_rate is None and r.reconciled


def test_the_report_takes_a_handful_of_queries(world, app):
    from sqlalchemy import event

    statements = []

    def count(*_args):
        statements.append(1)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        db.session.expire_all()
        koica = db.session.get(Donor, world.koica.id)
        statements.clear()
        report(koica)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # the same number whatever the number of parcels: no query per row
    assert len(statements) <= 12
