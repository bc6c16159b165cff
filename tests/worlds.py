"""The worlds that tests in several modules build: a set of data made through the services
(a warehouse, batches, households, rounds and parcels in known states), and households
written into a spreadsheet. Each test module keeps its own fixture, so that a world is
built afresh for every test."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import time_machine
from openpyxl import Workbook
from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import Donor, Household, Parcel, ParcelEvent, RoundMode, RoundStatus
from kitlog.services import cards, manifests, sites, stock
from kitlog.services import distribution as dist
from kitlog.services.households import FIELDS
from kitlog.services.reports import donor_report
from kitlog.services.scans import ScanInput, record_scan
from tests.places import move_to, village

# -- parcels on the move -------------------------------------------------------------------

# 3 Dec 2026 14:02 in Jakarta (UTC+7)
T0 = datetime(2026, 12, 3, 7, 2, tzinfo=UTC)
_keys = iter(range(1, 10**6))


def key() -> str:
    return f"test-key-{next(_keys):06d}"


class ScanWorld:
    """SBY-01 with a batch of 50 kits, an open round (a draft one: `opened=False`)
    allocated to `households` households (one kit each), a warehouse user Budi and a field
    officer Siti Rahayu."""

    def __init__(self, make, households: int = 4, *, opened: bool = True):
        self.make = make
        self.warehouse = make.warehouse("SBY-01", province="Jawa Timur", regency="Surabaya")
        self.batch = make.batch(received=50, warehouse=self.warehouse, lot="LOT-S")
        self.budi = make.user("warehouse")
        self.budi.name = "Budi"
        self.siti = make.user("field", language="en")
        self.siti.name = "Siti Rahayu"
        self.admin = make.user("admin")
        for n in range(households):
            make.household(village=village(n))
        self.round = dist.create_round(
            db.session,
            name="Round 1",
            batches=[self.batch],
            warehouse=self.warehouse,
            entitlement=1,
            user=self.admin,
        )
        if opened:
            dist.open_round(db.session, self.round, user=self.admin)
        dist.allocate(db.session, self.round, user=self.admin, today=date(2026, 12, 1), now=T0)
        db.session.commit()
        self.parcels = list(
            db.session.scalars(
                select(Parcel).where(Parcel.round_id == self.round.id).order_by(Parcel.id)
            )
        )

    def scan(self, parcel, action, *, user=None, at=None, code=None, idem=None, **values):
        user = user or (self.siti if action in ("deliver", "fail") else self.budi)
        result = record_scan(
            db.session,
            ScanInput(
                code=code or (parcel.short_code if parcel is not None else "nothing"),
                action=action,
                idempotency_key=idem or key(),
                **values,
            ),
            user=user,
            now=at or T0,
        )
        db.session.commit()
        return result

    def manifest(self, parcels=(), *, at=None, warehouse=None, **values):
        manifest = manifests.create_manifest(
            db.session,
            warehouse=warehouse or self.warehouse,
            destination=values.pop("destination", "Desa Sedayu, Turen"),
            vehicle=values.pop("vehicle", "L 1234 AB"),
            driver_name=values.pop("driver_name", "Joko Widodo"),
            driver_phone=values.pop("driver_phone", "0812 3456 7890"),
            parcels=[p.short_code for p in parcels],
            user=self.budi,
            now=at or T0,
            **values,
        )
        db.session.commit()
        return manifest

    def dispatch(self, manifest, *, at=None):
        manifests.dispatch_manifest(db.session, manifest, user=self.budi, now=at or T0)
        db.session.commit()

    def on_the_road(self, parcels, *, at=None):
        """Pack the parcels, load them onto a new manifest and dispatch it."""
        for parcel in parcels:
            self.scan(parcel, "pack", at=at)
        manifest = self.manifest(parcels, at=at)
        self.dispatch(manifest, at=at)
        return manifest


def events(parcel) -> list[tuple[str | None, str]]:
    return [
        (e.from_status, e.status)
        for e in db.session.scalars(
            select(ParcelEvent).where(ParcelEvent.parcel_id == parcel.id).order_by(ParcelEvent.id)
        )
    ]


# -- the donor report ----------------------------------------------------------------------

REPORT_DAY = date(2026, 12, 10)
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
        surabaya = dict(
            province="Jawa Timur",
            regency="Kota Surabaya",
            district="Karang Pilang",
            village="Kebraon",
        )
        cilacap = dict(
            province="Jawa Tengah",
            regency="Kabupaten Cilacap",
            district="Kedungreja",
            village="Tambakreja",
        )
        homes = [
            dict(province="Jawa Timur", regency="Kabupaten Malang", members=4),
            dict(province="Jawa Timur", regency="Kabupaten Malang", members=3,
                 vulnerabilities=["elderly"]),
            dict(surabaya, members=5),
            dict(cilacap, members=2, vulnerabilities=["under5", "pregnant"]),
            dict(cilacap, members=6),
            dict(surabaya, members=1),
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


def report(donor):
    """The donor's report on REPORT_DAY, in Jakarta's days."""
    return donor_report(db.session, donor, today=REPORT_DAY, timezone=ZONE)


# -- the end of a round --------------------------------------------------------------------

NOW = datetime(2026, 12, 20, tzinfo=UTC)  # the programme has ended: anonymise, report
REGISTERED = T0 - timedelta(days=2)  # 1 Dec 2026: the households, two days before the round


class EndOfRound:
    """Round 1 of ScanWorld: households 0 and 1 received their kits (at the door, with
    GPS, the recipient's name and a note); household 2's parcel is still on the shelf."""

    def __init__(self, make):
        with time_machine.travel(REGISTERED, tick=False):
            self.w = w = ScanWorld(make, households=3)
        self.households = list(db.session.scalars(select(Household).order_by(Household.id)))
        p = w.parcels
        w.on_the_road(p[:2], at=T0)
        for parcel in p[:2]:
            w.scan(
                parcel,
                "deliver",
                lat=-8.16,
                lon=112.70,
                recipient_name="Siti Rahayu",
                recipient_relation="wife",
                note="Handed to Siti, her phone 0812 1111 2222",
            )
        self.koica = db.session.scalar(select(Donor).where(Donor.code == "KOICA"))

    def report(self):
        return donor_report(
            db.session, self.koica, today=date(2026, 12, 20), timezone="Asia/Jakarta", now=NOW
        )


# -- a parcel at the door ------------------------------------------------------------------

_door_keys = iter(range(1, 10**6))


class DoorWorld:
    """SBY-01 with 20 kits, an open round of `households` households (one kit each), and
    a warehouse user who packs, loads and dispatches through the services."""

    def __init__(self, make, households: int = 3):
        self.make = make
        self.warehouse = make.warehouse("SBY-01", province="Jawa Timur", regency="Surabaya")
        self.batch = make.batch(received=20, warehouse=self.warehouse, lot="LOT-S")
        self.storekeeper = make.user("warehouse", email="budi@example.org")
        self.households = [
            make.household(
                head_name=f"Siti Rahayu {n}",
                village=village(n),
                district="Turen",
                nik=f"350712010185{n + 1:04d}",
                phone=f"08123456{n:04d}",
            )
            for n in range(households)
        ]
        self.round = dist.create_round(
            db.session,
            name="Covid-19 round 1",
            batches=[self.batch],
            warehouse=self.warehouse,
            entitlement=1,
            user=None,
        )
        dist.open_round(db.session, self.round, user=None)
        dist.allocate(db.session, self.round, user=None, today=date(2026, 12, 1))
        db.session.commit()
        self.parcels = list(
            db.session.scalars(
                select(Parcel).where(Parcel.round_id == self.round.id).order_by(Parcel.id)
            )
        )

    def scan(self, parcel: Parcel, action: str, user=None, **values):
        result = record_scan(
            db.session,
            ScanInput(
                code=parcel.short_code,
                action=action,
                idempotency_key=f"world-{next(_door_keys):06d}",
                **values,
            ),
            user=user or self.storekeeper,
        )
        db.session.commit()
        return result

    def dispatch(self, parcels: list[Parcel]):
        """Pack the parcels, load them onto a new manifest and dispatch it."""
        for parcel in parcels:
            self.scan(parcel, "pack")
        manifest = manifests.create_manifest(
            db.session,
            warehouse=self.warehouse,
            destination="Desa Sedayu, Turen",
            vehicle="L 1234 AB",
            driver_name="Joko Susilo",
            driver_phone="0812 3456 7890",
            parcels=[p.short_code for p in parcels],
            user=self.storekeeper,
        )
        db.session.commit()
        manifests.dispatch_manifest(db.session, manifest, user=self.storekeeper)
        db.session.commit()
        return manifest


# -- the stock report ----------------------------------------------------------------------

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
            self.make.household(village=village(n))
        round_ = dist.create_round(
            db.session,
            name="Round B",
            batches=[self.b],
            warehouse=self.jkt,
            entitlement=1,
            user=self.admin,
            now=START + timedelta(days=4),
        )
        dist.open_round(db.session, round_, user=self.admin, now=START + timedelta(days=4))
        dist.allocate(
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


# -- households in a spreadsheet -----------------------------------------------------------

IMPORT_DAY = date(2020, 12, 10)


def nik_number(i: int, province: str = "35") -> str:
    """The i-th of many distinct valid NIKs."""
    return f"{province}0712{i % 28 + 1:02d}{(i // 28) % 12 + 1:02d}85{i // 336 + 1:04d}"


def row_values(i: int, **changes) -> dict:
    """A good spreadsheet row, as a person types it."""
    values = {
        "head_name": f"Siti Rahayu {i}",
        "worker_name": f"Agus Santoso {i}",
        "worker_relation": "istri",
        "nik": nik_number(i),
        "phone": f"0812{i:08d}",
        "province": "jatim",
        "regency": "KAB.  MALANG",
        "district": "Turen",
        "village": village(i),
        "village_code": "",
        "members": "4",
        "vulnerabilities": "lansia; balita" if i % 3 == 0 else "",
        "consent": "ya",
        "consent_date": "",
    }
    values.update(changes)
    return values


def csv_file(rows: list[dict], header=FIELDS, *, delimiter=",", encoding="utf-8") -> bytes:
    lines = [delimiter.join(header)]
    for row in rows:
        lines.append(delimiter.join(str(row.get(h, "")) for h in header))
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_file(rows: list[dict | None], header=FIELDS) -> bytes:
    """A workbook as Excel keeps it (shared strings); None is a blank row."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append([] if row is None else [row.get(h) for h in header])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def big_xlsx(n: int) -> bytes:
    """n good rows, written the fast way (inline strings, no dimension)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Households")
    sheet.append(list(FIELDS))
    for i in range(n):
        values = row_values(i)
        sheet.append([values[h] for h in FIELDS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# -- a distribution site -------------------------------------------------------------------

TUREN = "35.07.09"
SEDAYU = "35.07.09.1008"
GONDANGLEGI = "35.07.11"  # another district of Kabupaten Malang
DAY = T0.date()  # 3 Dec 2026; T0 is 14:02 in Surabaya (WIB)


class SiteWorld(ScanWorld):
    """ScanWorld's round collected at sites: four households of Turen with cards, one
    moved to Gondanglegi; a site at Turen's village hall from the day before `day` to
    the day after."""

    def __init__(self, make, *, day: date = DAY):
        super().__init__(make, households=4, opened=False)
        self.round.mode = RoundMode.SITE
        self.round.status = RoundStatus.OPEN
        self.away = self.parcels[3]
        move_to(self.away.household, GONDANGLEGI + ".2001")
        self.cards = {
            p.household_id: cards.issue_card(db.session, p.household, user=None, now=T0)
            for p in self.parcels
        }
        db.session.commit()
        self.site = sites.create_site(
            db.session,
            self.round,
            {
                "name": "Balai Desa Turen",
                "place_code": TUREN,
                "start_date": day - timedelta(days=1),
                "end_date": day + timedelta(days=1),
            },
            user=self.admin,
            now=T0,
        )
        db.session.commit()

    def card_of(self, parcel: Parcel) -> str:
        return self.cards[parcel.household_id].token

    def site_manifest_on_the_road(self, parcels):
        for parcel in parcels:
            self.scan(parcel, "pack")
        manifest, loaded = sites.create_site_manifest(
            db.session, self.site, vehicle="N 1234 AB", driver_name="Joko", user=self.budi, now=T0
        )
        db.session.commit()
        self.dispatch(manifest)
        return manifest, loaded
