"""Rules 3 and 4 of docs/design.md under any sequence of scans, dispatches and closes.

A few parcels of one open round; random pack, load, deliver, fail and return scans, new
manifests, dispatches and closes (with or without a reason), with earlier scans replayed
under their idempotency key. After every step: a replayed key answers the first outcome
and changes nothing; every other attempt is exactly one new Scan row; a scan is accepted
exactly when a model of the state machine says the parcel's state allows it; every
parcel's history is a chain of allowed transitions ending in its status, with at most one
delivery, and the parcel's delivered_at and failed_once agree with it; and the ledger
reconciles.

Hypothesis reuses one database for all its examples: each example allocates in its own
regency, so its round holds its own parcels only.
"""

from __future__ import annotations

import itertools
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

import config as kitlog_config
from kitlog.extensions import db
from kitlog.models import (
    Manifest,
    ManifestStatus,
    Parcel,
    ParcelEvent,
    ParcelStatus,
    Scan,
    StockMovement,
    Warehouse,
)
from kitlog.services import distribution, manifests, stock
from kitlog.services.errors import DomainError
from kitlog.services.kept_figures import kept_figures_problems
from kitlog.services.scans import DUPLICATE, ScanInput, record_scan
from tests.places import regency

PARCELS = 3
S = ParcelStatus
# Every change a parcel's history may show: (from, to) of its events.
ALLOWED = {
    (None, S.ALLOCATED),
    (S.ALLOCATED, S.PACKED),  # pack
    (S.RETURNED, S.PACKED),  # pack again
    (S.PACKED, S.PACKED),  # load onto a manifest
    (S.PACKED, S.DISPATCHED),  # the manifest leaves
    (S.DISPATCHED, S.DELIVERED),
    (S.FAILED, S.DELIVERED),  # second attempt on the same trip
    (S.DISPATCHED, S.FAILED),
    (S.DISPATCHED, S.RETURNED),  # return scan, or the manifest closed with a reason
    (S.FAILED, S.RETURNED),
}
_examples = itertools.count(1)

parcel_index = st.integers(0, PARCELS - 1)
manifest_index = st.integers(0, 2)  # counted from the newest manifest
operation = st.one_of(
    # the next step of a parcel's journey, whatever its state (a choice where it forks)
    *[st.tuples(st.just("advance"), parcel_index, st.integers(0, 5))] * 5,
    # any scan, allowed or not
    st.tuples(st.sampled_from(["pack", "deliver", "fail", "return"]), parcel_index),
    st.tuples(st.just("load"), parcel_index, manifest_index),
    st.tuples(st.just("manifest")),
    st.tuples(st.just("dispatch"), manifest_index),
    st.tuples(st.just("close"), manifest_index, st.booleans()),
    st.tuples(st.just("replay"), st.integers(0, 50)),
)


@settings(
    max_examples=15,
    deadline=None,
    derandomize=kitlog_config.TestConfig.CI,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(operation, min_size=10, max_size=25))
def test_any_sequence_of_scans_keeps_rules_3_and_4(make, operations):
    world = _World(make)
    for op in operations:
        if op[0] == "advance":
            op = world.next_step(op[1], op[2])
        kind = op[0]
        if kind in ("manifest", "dispatch", "close"):
            world.manifest_step(op)
        elif kind == "replay":
            world.replay(op[1])
        else:
            manifest = None
            if kind == "load":
                manifest = world.manifests[-1 - op[2] % len(world.manifests)]
            world.scan(world.parcels[op[1]], kind, manifest)
        world.check()


class _World:
    """One example's warehouse stock, open round with PARCELS allocated parcels, manifests."""

    def __init__(self, make):
        example = next(_examples)
        self.example = example
        self._keys = itertools.count(1)
        self.user = make.user("admin")
        self.warehouse = db.session.query(Warehouse).filter_by(code="SBY-01").one_or_none()
        if self.warehouse is None:
            self.warehouse = make.warehouse("SBY-01")
        batch = make.batch(received=PARCELS + 2, warehouse=self.warehouse)
        area = regency(example)
        for _ in range(PARCELS):
            make.household(**area)
        round_ = distribution.create_round(
            db.session,
            name=f"Putaran {example}",
            batches=[batch],
            warehouse=self.warehouse,
            entitlement=1,
            **area,
            user=None,
        )
        distribution.open_round(db.session, round_, user=None)
        distribution.allocate(db.session, round_, user=None, today=date(2021, 1, 10))
        db.session.commit()
        self.parcels = list(
            db.session.scalars(
                select(Parcel).where(Parcel.round_id == round_.id).order_by(Parcel.id)
            )
        )
        assert len(self.parcels) == PARCELS
        self.manifests: list[Manifest] = []
        self.sent: list[tuple[ScanInput, tuple[int, str]]] = []  # scans and first answers
        self.manifest_step(("manifest",))

    def next_step(self, index: int, choice: int) -> tuple:
        """The operation that moves this parcel on from where it is."""
        parcel = self.parcels[index]
        db.session.refresh(parcel)
        status, trip = parcel.status, parcel.manifest
        on_open = trip is not None and trip.status == ManifestStatus.OPEN
        if status in (S.ALLOCATED, S.RETURNED):
            return ("pack", index)
        if status == S.PACKED and on_open:
            return ("dispatch", self.from_newest(trip))
        if status == S.PACKED:
            newest = self.manifests[-1]
            db.session.refresh(newest)
            if newest.status != ManifestStatus.OPEN:
                return ("manifest",)
            return ("load", index, 0)
        if status == S.DISPATCHED:
            return (["deliver", "deliver", "fail", "fail", "return", "deliver"][choice], index)
        if status == S.FAILED:
            if choice >= 4:  # its trip comes home, with or without a reason
                return ("close", self.from_newest(trip) if trip else 0, choice % 2 == 0)
            return (["deliver", "return", "deliver", "return"][choice], index)
        # delivered or cancelled: scanned again (refused), or its trip comes home
        if choice < 3:
            return (["deliver", "return", "fail"][choice], index)
        return ("close", self.from_newest(trip) if trip else 0, choice % 2 == 0)

    def from_newest(self, trip: Manifest) -> int:
        """The manifest's index counted from the newest, as the operations count them."""
        ids = [m.id for m in self.manifests]
        return len(ids) - 1 - ids.index(trip.id)

    def scan(self, parcel: Parcel, action: str, manifest: Manifest | None) -> None:
        """One new scan: exactly one more Scan row, accepted exactly when the model allows."""
        data = ScanInput(
            code=parcel.short_code,
            action=action,
            idempotency_key=self.key(),
            manifest=manifest.number if manifest is not None else None,
            reason="nobody_home" if action == "fail" else None,
            recipient_name="Siti" if action == "deliver" else "",
        )
        expected = self.allows(parcel, action, manifest)
        scans_before = self.count(Scan)
        result = record_scan(db.session, data, user=self.user)
        db.session.commit()
        assert self.count(Scan) == scans_before + 1  # every attempt is one scan
        assert (result.status == 200) == expected, (action, parcel.status, result.detail)
        assert result.outcome == ("ok" if expected else "refused")
        self.sent.append((data, (result.status, result.detail)))

    def replay(self, index: int) -> None:
        """An earlier scan again under its key: its first answer, and nothing changes."""
        if not self.sent:
            return
        data, first = self.sent[index % len(self.sent)]
        before = self.snapshot()
        result = record_scan(db.session, data, user=self.user)
        db.session.commit()
        assert result.outcome == DUPLICATE
        assert (result.status, result.detail) == first
        assert self.snapshot() == before

    def key(self) -> str:
        return f"prop-{self.example}-{next(self._keys):05d}"

    def count(self, model) -> int:
        return db.session.scalar(select(func.count()).select_from(model))

    def manifest_step(self, op) -> None:
        kind = op[0]
        try:
            if kind == "manifest":
                self.manifests.append(
                    manifests.create_manifest(
                        db.session,
                        warehouse=self.warehouse,
                        destination="Desa Sedayu",
                        vehicle="L 1234 AB",
                        driver_name="Joko Widodo",
                        user=self.user,
                    )
                )
            elif not self.manifests:
                return
            elif kind == "dispatch":
                trip = self.manifests[-1 - op[1] % len(self.manifests)]
                manifests.dispatch_manifest(db.session, trip, user=self.user)
            else:
                trip = self.manifests[-1 - op[1] % len(self.manifests)]
                reason = "truk kembali" if op[2] else ""
                manifests.close_manifest(db.session, trip, reason=reason, user=self.user)
            db.session.commit()
        except DomainError:
            db.session.rollback()

    def allows(self, parcel: Parcel, action: str, manifest: Manifest | None) -> bool:
        """The state machine of kitlog.services.scans, written out again."""
        db.session.refresh(parcel)
        status = parcel.status
        trip = parcel.manifest
        if action == "pack":
            return status in (S.ALLOCATED, S.RETURNED)
        if action == "load":
            db.session.refresh(manifest)
            on_open = trip is not None and trip.status == ManifestStatus.OPEN
            return status == S.PACKED and manifest.status == ManifestStatus.OPEN and not on_open
        if action == "deliver":
            return status == S.DISPATCHED or (
                status == S.FAILED and trip is not None and trip.status == ManifestStatus.DISPATCHED
            )
        if action == "fail":
            return status == S.DISPATCHED
        return status in (S.DISPATCHED, S.FAILED)  # return

    def snapshot(self) -> tuple:
        return (
            self.count(Scan),
            self.count(ParcelEvent),
            self.count(StockMovement),
            tuple(
                db.session.execute(
                    select(Parcel.id, Parcel.status, Parcel.manifest_id).order_by(Parcel.id)
                ).all()
            ),
            tuple(db.session.execute(select(Manifest.id, Manifest.status)).all()),
        )

    def check(self) -> None:
        for parcel in self.parcels:
            db.session.refresh(parcel)
            events = list(
                db.session.scalars(
                    select(ParcelEvent)
                    .where(ParcelEvent.parcel_id == parcel.id)
                    .order_by(ParcelEvent.id)
                )
            )
            previous = None
            for event in events:
                assert event.from_status == previous, events
                assert (event.from_status, event.status) in ALLOWED, (
                    event.from_status,
                    event.status,
                )
                previous = event.status
            assert parcel.status == previous
            delivered = [e for e in events if e.status == S.DELIVERED]
            assert len(delivered) <= 1  # delivered at most once
            # the facts the donor report reads, recorded when the status changed
            assert parcel.failed_once == any(e.status == S.FAILED for e in events)
            if parcel.status == S.DELIVERED:
                scan = delivered[-1].scan
                moment = scan.scanned_at if scan is not None else None
                assert parcel.delivered_at == (moment or delivered[-1].created_at)
            else:
                assert parcel.delivered_at is None
            if parcel.status in (S.DISPATCHED, S.FAILED, S.DELIVERED):
                assert parcel.manifest is not None
        for trip in self.manifests:
            db.session.refresh(trip)
            if trip.status == ManifestStatus.CLOSED:
                on_trip = db.session.scalars(
                    select(Parcel.status).where(Parcel.manifest_id == trip.id)
                )
                assert not {S.DISPATCHED, S.FAILED} & set(on_trip)
        assert stock.reconciliation_problems(db.session) == []
        # the figures the reports read, kept as parcels move, are what the rows give
        assert kept_figures_problems(db.session) == []
