"""`make bench`: a bounded soak, 16 scanners against gunicorn and PostgreSQL on loopback.

Builds a scratch database `kitlog_soak` on the PostgreSQL server (created here, marked as
the soak's own, dropped at the end unless --keep) with kitlog's migrations, then, through
kitlog's own services: a warehouse, a donor batch, a household per parcel (a CSV import),
an open round allocated one kit per household, and for each simulated scanner a
storekeeper and a field officer with API tokens. It starts `gunicorn wsgi:app` (4 workers)
on a free port of 127.0.0.1 and sends traffic there only.

Each scanner is one van's crew with its own parcels. Trip after trip, for --duration
seconds, it packs a few parcels, opens a manifest, loads them with `load` scans,
dispatches it, then at the doors delivers most, fails some (delivered or returned
afterwards), returns a few, sometimes tries to deliver a delivered parcel again (409
expected), and closes the manifest; returned parcels are packed again on a later trip.
Every scan has its own idempotency key; some are replayed with the same key (a phone
that never saw the answer) and must come back as duplicates; some go as one batch (the
offline queue). Every answer is checked against what the crew expects.

Before the soak the same 16 clients read GET /api/v1/warehouses for a few seconds: the
baseline that the scan latencies are compared with.

Afterwards, in the database: every scan the clients sent exists exactly once with the
outcome they were told (nothing lost, nothing duplicated, nothing extra); no parcel was
delivered twice; each parcel is in the state its crew last saw; every manifest is
closed; `reconciliation_problems` and `kitlog check` report nothing. It exits non-zero
on any error, unexpected answer, lost or duplicated scan or reconciliation problem (that
is correctness); it asserts nothing about speed. Without PostgreSQL it says so and
exits 0.

    python bench/soak.py [--duration S] [--scanners N] [--workers N] [--parcels N]
                         [--postgresql URL] [--keep]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/common.py

from common import (  # noqa: E402
    ScratchDatabase,
    free_port,
    households_csv,
    hygiene_kit,
    migrated_app,
    percentile,
    start_gunicorn,
    stop_gunicorn,
    turen_village,
)
from sqlalchemy import func, select  # noqa: E402

from kitlog.extensions import db  # noqa: E402
from kitlog.models import Manifest, Parcel, ParcelEvent, Scan  # noqa: E402
from kitlog.services import distribution, imports, reference, stock, users  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SOAK_DATABASE = "kitlog_soak"
SCRATCH = ScratchDatabase(
    SOAK_DATABASE,
    "kitlog soak scratch database: safe to drop",
    owner="soak",
    missing="no soak test",
    skip="no soak test",
)
DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
WAREHOUSE = "SBY-01"
AREA = {"province": "Jawa Timur", "regency": "Kabupaten Malang"}
TODAY = date(2026, 12, 1)
HTTP_TIMEOUT = 60
MAX_REPORTED = 10  # problems printed in full; the rest are counted

# What a crew does at the door with each parcel of a trip (weights out of 100).
PLANS = (("deliver", 70), ("fail-deliver", 12), ("fail-return", 10), ("return", 8))
REPLAY = 0.10  # a scan sent again with the same key
OFFLINE = 0.25  # a trip's door scans queued offline and sent as one batch
BATCH_PACK = 0.25  # a trip packed from the scan station's queue, as one batch
SECOND_DELIVERY = 0.15  # a trip where a delivered parcel is scanned "deliver" again
FAIL_REASONS = ("nobody_home", "moved", "refused", "wrong_address")


# -- the world, through kitlog's services ----------------------------------------------------


@dataclass
class Crew:
    """One simulated scanner: a van's storekeeper and field officer, and its parcels."""

    index: int
    store_token: str
    field_token: str
    parcels: list[str]  # short codes, all allocated at the start


def build_world(scanners: int, per_scanner: int) -> list[Crew]:
    session = db.session
    users.use_fast_hashing()  # 2 x scanners users whose passwords are never used
    donor = reference.create_donor(session, code="KOICA", name="KOICA", country="Korea")
    kit = hygiene_kit(session)
    warehouse = reference.create_warehouse(
        session,
        code=WAREHOUSE,
        name="Gudang Surabaya",
        province=AREA["province"],
        regency="Surabaya",
    )
    total = scanners * per_scanner
    batch = stock.receive_batch(
        session,
        donor=donor,
        kit_type=kit,
        warehouse=warehouse,
        reference="SOAK",
        lot="LOT-SOAK",
        expiry_date=date(2030, 1, 1),
        quantity_pledged=total + 100,
        quantity_received=total + 100,
        quantity_damaged=0,
        received_date=date(2026, 11, 1),
        user=None,
    )
    session.commit()
    checked = imports.check_spreadsheet(
        session, households_csv(total, AREA, turen_village), "soak.csv", today=TODAY
    )
    if checked.errors:
        raise SystemExit(f"the generated households do not import: {checked.errors[:3]}")
    imports.import_households(session, checked, user=None)
    session.commit()
    round_ = distribution.create_round(
        session,
        name="Soak round",
        batches=[batch],
        warehouse=warehouse,
        entitlement=1,
        user=None,
        **AREA,
    )
    distribution.open_round(session, round_, user=None)
    result = distribution.allocate(session, round_, user=None, today=TODAY)
    session.commit()
    if result.allocated != total:
        raise SystemExit(f"allocated {result.allocated} parcels, not {total}")
    codes = list(
        session.scalars(
            select(Parcel.short_code).where(Parcel.round_id == round_.id).order_by(Parcel.id)
        )
    )
    crews = []
    for i in range(scanners):
        tokens = []
        for role in ("warehouse", "field"):
            user = users.create_user(
                session,
                email=f"soak-{role}-{i:02d}@example.org",
                password=f"soak-password-{i:02d}-{role}",
                role=role,
                name=f"Soak {role} {i:02d}",
                language="en",
            )
            tokens.append(users.create_token(session, user, "soak")[1])
        crews.append(Crew(i, tokens[0], tokens[1], codes[i::scanners]))
    session.commit()
    return crews


# -- gunicorn ------------------------------------------------------------------------------


# -- the clients -----------------------------------------------------------------------------


def request(port: int, method: str, path: str, token: str | None, body=None):
    """(status, JSON answer or None, milliseconds); OSError when the connection fails."""
    headers = {"Accept": "application/json", "Accept-Language": "en"}
    data = None
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT)
    try:
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        status = response.status
    finally:
        conn.close()
    ms = (time.perf_counter() - started) * 1000
    try:
        answer = json.loads(raw) if raw else None
    except ValueError:
        answer = None
    return status, answer, ms


@dataclass
class Sent:
    """What one crew sent and was told."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)  # 5xx and connection failures
    wrong: list[str] = field(default_factory=list)  # answers other than the expected one
    keys: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # key: outcome, code, act
    replays: int = 0
    duplicates: int = 0  # replays answered as duplicates with the first status
    scans: int = 0  # scans sent (first sends, single or batched)
    refused: int = 0  # refused as expected (a second delivery)
    trips: int = 0
    manifests: list[int] = field(default_factory=list)
    states: dict[str, str] = field(default_factory=dict)  # code: status last seen
    ran_out: bool = False


class Scanner(threading.Thread):
    def __init__(self, crew: Crew, port: int, deadline: float, seed: int):
        super().__init__(name=f"scanner-{crew.index:02d}", daemon=True)
        self.crew = crew
        self.port = port
        self.deadline = deadline
        self.rng = random.Random(seed)
        self.sent = Sent()
        self.pool = list(crew.parcels)
        self.counter = 0
        self.derailed = False

    # one request -------------------------------------------------------------------------

    def call(self, kind: str, method: str, path: str, token: str, body=None):
        try:
            status, answer, ms = request(self.port, method, path, token, body)
        except OSError as error:
            self.sent.errors.append(f"{kind} {path}: {type(error).__name__}: {error}")
            self.derailed = True
            return None, None
        self.sent.latencies[kind].append(ms)
        if status >= 500:
            self.sent.errors.append(f"{kind} {path}: HTTP {status}")
            self.derailed = True
            return None, None
        return status, answer

    def wrong(self, what: str) -> None:
        self.sent.wrong.append(f"scanner {self.crew.index:02d}: {what}")
        self.derailed = True

    def key(self) -> str:
        self.counter += 1
        return f"soak-{self.crew.index:02d}-{self.counter:07d}"

    # scans ----------------------------------------------------------------------------------

    def scan_body(self, code: str, action: str, **extra) -> dict:
        body = {"code": code, "action": action, "idempotency_key": self.key()}
        if action in ("deliver", "fail"):
            body |= {"lat": -8.16 + self.rng.random() / 100, "lon": 112.71}
        if action == "deliver":
            body |= {"recipient_name": "Siti Aminah", "recipient_relation": "wife"}
        if action == "fail":
            body["reason"] = self.rng.choice(FAIL_REASONS)
        return body | extra

    def expect(self, body: dict, status: int, answer, want: int, to: str | None, dup=False):
        """Check one scan's answer; remember what the client was told."""
        code, action, key = body["code"], body["action"], body["idempotency_key"]
        outcome = (answer or {}).get("outcome")
        want_outcome = "duplicate" if dup else ("ok" if want == 200 else "refused")
        if status != want or outcome != want_outcome:
            self.wrong(f"{action} {code} ({key}): {status} {outcome}, expected {want}")
            return
        if dup:
            self.sent.duplicates += 1
            return
        self.sent.keys[key] = (want_outcome, code, action)
        if want == 200:
            seen = ((answer or {}).get("parcel") or {}).get("status")
            if seen != to:
                self.wrong(f"{action} {code}: the parcel is {seen}, expected {to}")
                return
            self.sent.states[code] = to
        else:
            self.sent.refused += 1

    def scan(self, token: str, body: dict, want: int, to: str | None) -> None:
        status, answer = self.call("scan", "POST", "/api/v1/scans", token, body)
        if status is None:
            return
        self.sent.scans += 1
        self.expect(body, status, answer, want, to)
        if not self.derailed and self.rng.random() < REPLAY:
            self.sent.replays += 1
            status, answer = self.call("scan", "POST", "/api/v1/scans", token, body)
            if status is not None:
                self.expect(body, status, answer, want, to, dup=True)

    def batch(self, token: str, items: list[tuple[dict, int, str | None]]) -> None:
        bodies = [body for body, _want, _to in items]
        for replay in (False, True):
            status, answer = self.call(
                "scan batch", "POST", "/api/v1/scans/batch", token, {"scans": bodies}
            )
            if status is None:
                return
            results = (answer or {}).get("results") or []
            if status != 200 or len(results) != len(items):
                self.wrong(f"batch of {len(items)}: HTTP {status}, {len(results)} results")
                return
            if replay:
                self.sent.replays += len(items)
            else:
                self.sent.scans += len(items)
            for (body, want, to), result in zip(items, results, strict=True):
                self.expect(body, result.get("status"), result, want, to, dup=replay)
            if self.derailed or self.rng.random() >= REPLAY:
                return

    def scans(self, token: str, items: list[tuple[dict, int, str | None]], batched: bool):
        if batched:
            self.batch(token, items)
            return
        for body, want, to in items:
            if self.derailed:
                return
            self.scan(token, body, want, to)

    # a trip ----------------------------------------------------------------------------------

    def manifest_call(self, path: str, body: dict, want: int):
        status, answer = self.call("manifest", "POST", path, self.crew.store_token, body)
        if status is not None and status != want:
            self.wrong(f"POST {path}: HTTP {status}, expected {want}: {answer}")
            return None
        return answer

    def trip(self) -> None:
        rng, store, fieldman = self.rng, self.crew.store_token, self.crew.field_token
        take = min(rng.randint(4, 8), len(self.pool))
        parcels, self.pool = self.pool[:take], self.pool[take:]
        self.scans(
            store,
            [(self.scan_body(c, "pack"), 200, "packed") for c in parcels],
            rng.random() < BATCH_PACK,
        )
        if self.derailed:
            return
        manifest = self.manifest_call(
            "/api/v1/manifests",
            {
                "warehouse": WAREHOUSE,
                "destination": f"Desa Sedayu {self.crew.index}, Turen",
                "vehicle": f"L {1000 + self.crew.index} AB",
                "driver_name": f"Joko {self.crew.index}",
                "driver_phone": "0812 3456 7890",
                "parcels": [],
            },
            201,
        )
        if manifest is None:
            return
        self.sent.manifests.append(manifest["id"])
        self.scans(
            store,
            [
                (self.scan_body(c, "load", manifest=manifest["number"]), 200, "packed")
                for c in parcels
            ],
            False,
        )
        if self.derailed:
            return
        if self.manifest_call(f"/api/v1/manifests/{manifest['id']}/dispatch", {}, 200) is None:
            return
        for code in parcels:
            self.sent.states[code] = "dispatched"
        plans = {c: rng.choices([p for p, _ in PLANS], [w for _, w in PLANS])[0] for c in parcels}
        offline = rng.random() < OFFLINE
        earlier = datetime.now(UTC) - timedelta(minutes=rng.randint(5, 90))
        queued = {"scanned_at": earlier.isoformat()} if offline else {}
        at_door = [
            (self.scan_body(c, "fail", **queued), 200, "failed")
            if plans[c].startswith("fail")
            else (self.scan_body(c, "deliver", **queued), 200, "delivered")
            for c in parcels
            if plans[c] != "return"
        ]
        self.scans(fieldman, at_door, offline)
        if self.derailed:
            return
        second = [
            (self.scan_body(c, "deliver"), 200, "delivered")
            for c in parcels
            if plans[c] == "fail-deliver"
        ]
        delivered = [c for c in parcels if plans[c] in ("deliver", "fail-deliver")]
        if delivered and rng.random() < SECOND_DELIVERY:
            second.append((self.scan_body(rng.choice(delivered), "deliver"), 409, None))
        self.scans(fieldman, second, False)
        back = [
            (self.scan_body(c, "return"), 200, "returned")
            for c in parcels
            if plans[c] in ("return", "fail-return")
        ]
        self.scans(store, back, False)
        if self.derailed:
            return
        if self.manifest_call(f"/api/v1/manifests/{manifest['id']}/close", {}, 200) is None:
            return
        self.pool += [c for c in parcels if plans[c] in ("return", "fail-return")]
        self.sent.trips += 1

    def run(self) -> None:
        try:
            while time.monotonic() < self.deadline and not self.derailed:
                if not self.pool:
                    self.sent.ran_out = True
                    return
                self.trip()
        except Exception as error:  # noqa: BLE001 - reported, never hidden
            self.sent.errors.append(f"scanner {self.crew.index:02d} crashed: {error!r}")


def baseline(crews: list[Crew], port: int, seconds: float) -> tuple[list[float], int]:
    """GET /api/v1/warehouses from every crew at once for `seconds`: (latencies, errors)."""
    latencies: list[list[float]] = [[] for _ in crews]
    errors = [0] * len(crews)
    deadline = time.monotonic() + seconds

    def run(i: int, token: str) -> None:
        while time.monotonic() < deadline:
            try:
                status, _answer, ms = request(port, "GET", "/api/v1/warehouses", token)
            except OSError:
                errors[i] += 1
                continue
            latencies[i].append(ms)
            if status != 200:
                errors[i] += 1

    threads = [
        threading.Thread(target=run, args=(c.index, c.field_token), daemon=True) for c in crews
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + HTTP_TIMEOUT + 5)
    return [ms for crew in latencies for ms in crew], sum(errors)


# -- afterwards: the database's word -------------------------------------------------------


@dataclass
class Verdict:
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    wrong_outcome: list[str] = field(default_factory=list)
    wrong_state: list[str] = field(default_factory=list)
    delivered_twice: list[str] = field(default_factory=list)
    open_manifests: list[str] = field(default_factory=list)
    reconciliation: list[str] = field(default_factory=list)
    check_output: str = ""
    rows: int = 0

    @property
    def failures(self) -> int:
        return sum(
            len(x)
            for x in (
                self.lost,
                self.duplicated,
                self.extra,
                self.wrong_outcome,
                self.wrong_state,
                self.delivered_twice,
                self.open_manifests,
                self.reconciliation,
            )
        )


def verify(sent: list[Sent], url: str) -> Verdict:
    v = Verdict()
    session = db.session
    session.rollback()
    expected: dict[str, tuple[str, str, str]] = {}
    for s in sent:
        expected.update(s.keys)
    rows = session.execute(
        select(Scan.idempotency_key, func.count(), func.min(Scan.outcome)).group_by(
            Scan.idempotency_key
        )
    ).all()
    v.rows = sum(count for _key, count, _outcome in rows)
    in_db = {key: (count, outcome) for key, count, outcome in rows}
    for key, (outcome, code, action) in expected.items():
        if key not in in_db:
            v.lost.append(f"{action} {code} ({key}) was answered {outcome} but is not stored")
        elif in_db[key][0] != 1:
            v.duplicated.append(f"{key} is stored {in_db[key][0]} times")
        elif in_db[key][1] != outcome:
            v.wrong_outcome.append(f"{key}: stored {in_db[key][1]}, the client was told {outcome}")
    for key in in_db.keys() - expected.keys():
        v.extra.append(f"{key} is stored but no client was told it was accepted or refused")
    twice = session.execute(
        select(Parcel.short_code, func.count())
        .join(ParcelEvent, ParcelEvent.parcel_id == Parcel.id)
        .where(ParcelEvent.status == "delivered")
        .group_by(Parcel.short_code)
        .having(func.count() > 1)
    ).all()
    v.delivered_twice = [f"{code} delivered {n} times" for code, n in twice]
    states = dict(session.execute(select(Parcel.short_code, Parcel.status)).all())
    for s in sent:
        for code, status in s.states.items():
            if states.get(code) != status:
                v.wrong_state.append(f"{code}: {states.get(code)}, its crew last saw {status}")
    manifest_ids = [m for s in sent for m in s.manifests]
    if manifest_ids:
        still_open = session.execute(
            select(Manifest.number, Manifest.status).where(
                Manifest.id.in_(manifest_ids), Manifest.status != "closed"
            )
        ).all()
        v.open_manifests = [f"{number} is {status}" for number, status in still_open]
    v.reconciliation = list(stock.reconciliation_problems(session))
    session.rollback()
    check = subprocess.run(
        [str(Path(sys.executable).with_name("kitlog")), "check"],
        cwd=ROOT,
        env={**os.environ, "KITLOG_DATABASE_URL": url, "KITLOG_SECRET_KEY": "soak-secret-key"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    v.check_output = (check.stdout + check.stderr).strip()
    if check.returncode != 0:
        v.reconciliation.append(f"kitlog check exited {check.returncode}: {v.check_output}")
    return v


# -- the report --------------------------------------------------------------------------------


def latency_row(name: str, values: list[float], seconds: float, errors: int | str) -> str:
    return (
        f"{name:<34} {len(values):>8,} {len(values) / seconds:>8.1f}"
        f" {percentile(values, 50):>8.1f} {percentile(values, 95):>8.1f}"
        f" {percentile(values, 99):>8.1f} {errors!s:>7}"
    )


def report(args, sent: list[Sent], elapsed: float, base: tuple[list[float], int], v: Verdict):
    latencies: dict[str, list[float]] = defaultdict(list)
    for s in sent:
        for kind, values in s.latencies.items():
            latencies[kind] += values
    errors = sum(len(s.errors) for s in sent)
    wrong = sum(len(s.wrong) for s in sent)
    scans = sum(s.scans for s in sent)
    replays = sum(s.replays for s in sent)
    duplicates = sum(s.duplicates for s in sent)
    requests = sum(len(x) for x in latencies.values())
    print()
    print(
        f"Soak: {args.scanners} scanners, gunicorn -w {args.workers}, PostgreSQL, loopback;"
        f" {elapsed:.1f} s of scanning (--duration {args.duration:g})"
    )
    header = (
        f"{'requests':<34} {'count':>8} {'per s':>8} {'p50 ms':>8} {'p95 ms':>8}"
        f" {'p99 ms':>8} {'errors':>7}"
    )
    print(header)
    print("-" * len(header))
    print(
        latency_row(
            f"baseline GET /api/v1/warehouses ({args.baseline:g} s)",
            base[0],
            args.baseline,
            base[1],
        )
    )
    for kind, label in (
        ("scan", "POST /api/v1/scans"),
        ("scan batch", "POST /api/v1/scans/batch"),
        ("manifest", "manifests: create, dispatch, close"),
    ):
        print(latency_row(label, latencies[kind], elapsed, "-"))
    every = [ms for values in latencies.values() for ms in values]
    print(latency_row("all soak requests", every, elapsed, errors))
    base_p50 = percentile(base[0], 50)
    scan_p50 = percentile(latencies["scan"], 50)
    print()
    ratio = scan_p50 / base_p50 if base_p50 else float("nan")
    trips = sum(s.trips for s in sent)
    print(f"  requests                     {requests:,} ({requests / elapsed:.1f}/s)")
    print(
        f"  scans sent (first sends)     {scans:,} ({scans / elapsed:.1f} scans/s), {trips:,} trips"
    )
    print(f"  scan p50 / baseline p50      {ratio:.1f}x")
    print(f"  replays answered duplicate   {duplicates:,} of {replays:,}")
    print(f"  refused as expected (409)    {sum(s.refused for s in sent):,}")
    print(f"  scan rows in the database    {v.rows:,}")
    print(f"  errors (5xx, connection)     {errors}")
    print(f"  unexpected answers           {wrong}")
    print(f"  lost scans                   {len(v.lost)}")
    print(
        f"  duplicated scans             {len(v.duplicated) + len(v.extra)}"
        f" (+ {len(v.delivered_twice)} parcels delivered twice)"
    )
    print(f"  parcel states as last seen   {'yes' if not v.wrong_state else 'NO'}")
    print(f"  manifests all closed         {'yes' if not v.open_manifests else 'NO'}")
    print(f"  reconciled (kitlog check)    {'yes' if not v.reconciliation else 'NO'}")
    if any(s.ran_out for s in sent):
        print(
            f"  note: {sum(s.ran_out for s in sent)} scanner(s) ran out of parcels before the"
            " end: give more with --parcels"
        )
    problems = [p for s in sent for p in s.errors + s.wrong]
    problems += v.lost + v.duplicated + v.extra + v.wrong_outcome + v.wrong_state
    problems += v.delivered_twice + v.open_manifests + v.reconciliation
    if base[1]:
        problems.append(f"{base[1]} baseline request(s) failed")
    for problem in problems[:MAX_REPORTED]:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    if len(problems) > MAX_REPORTED:
        print(f"... and {len(problems) - MAX_REPORTED} more problem(s)", file=sys.stderr)
    return len(problems)


# -- main ----------------------------------------------------------------------------------------


def soak(args, url: str, workdir: Path) -> int:
    app = migrated_app(url, workdir / "instance")
    with app.app_context():
        started = time.perf_counter()
        crews = build_world(args.scanners, args.parcels)
        db.session.remove()
        print(
            f"  {args.scanners * args.parcels:,} households and parcels, {args.scanners} crews"
            f" built in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        port = free_port()
        log = workdir / "gunicorn.log"
        server = start_gunicorn(
            url, args.workers, port, log, extra_env={"KITLOG_SECRET_KEY": "soak-secret-key"}
        )
        try:
            print(
                f"  gunicorn -w {args.workers} on 127.0.0.1:{port}; baseline for"
                f" {args.baseline:g} s ...",
                flush=True,
            )
            base = baseline(crews, port, args.baseline)
            print(f"  soaking for {args.duration:g} s ...", flush=True)
            deadline = time.monotonic() + args.duration
            begun = time.monotonic()
            scanners = [
                Scanner(crew, port, deadline, seed=args.seed * 1000 + crew.index) for crew in crews
            ]
            for scanner in scanners:
                scanner.start()
            for scanner in scanners:
                scanner.join(timeout=args.duration + 10 * HTTP_TIMEOUT)
            elapsed = time.monotonic() - begun
            stuck = [s.name for s in scanners if s.is_alive()]
        finally:
            stop_gunicorn(server)
        sent = [s.sent for s in scanners]
        if stuck:
            sent[0].errors.append(f"still running after the soak: {', '.join(stuck)}")
        print("  checking the database ...", flush=True)
        verdict = verify(sent, url)
        db.session.remove()
        db.engine.dispose()
    failures = report(args, sent, elapsed, base, verdict)
    server_errors = [
        line for line in log.read_text().splitlines() if "Traceback" in line or "ERROR" in line
    ]
    if server_errors:
        print(f"gunicorn logged {len(server_errors)} error line(s): see {log}", file=sys.stderr)
        failures += len(server_errors)
        args.keep = True
    return failures


def _terminated(signum, _frame) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=120, help="seconds of scanning (120)")
    parser.add_argument("--scanners", type=int, default=16, help="simulated scanners (16)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (4)")
    parser.add_argument(
        "--parcels",
        type=int,
        default=None,
        help="parcels per scanner (default: 2 per second of --duration)",
    )
    parser.add_argument("--baseline", type=float, default=5, help="seconds of baseline (5)")
    parser.add_argument("--seed", type=int, default=1, help="the crews' random seed (1)")
    parser.add_argument(
        "--postgresql",
        default=DEFAULT_ADMIN_URL,
        help=f"an admin URL on the PostgreSQL server (default {DEFAULT_ADMIN_URL});"
        f" the soak creates and drops its own database {SOAK_DATABASE!r} there",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch database and files")
    args = parser.parse_args(argv)
    if args.parcels is None:
        args.parcels = max(20, round(2 * args.duration))
    if not (
        1 <= args.scanners <= 64
        and 1 <= args.workers <= 32
        and 0 < args.duration <= 3600
        and 0 < args.baseline <= 60
        and 8 <= args.parcels <= 20_000
        and args.scanners * args.parcels <= imports.MAX_ROWS
    ):
        parser.error(
            "--scanners 1-64, --workers 1-32, --duration up to 3600 s, --baseline up to 60 s"
            f" and --parcels 8-20000, with at most {imports.MAX_ROWS:,} parcels in all"
        )

    # A TERM (make interrupted, a timeout) unwinds like Ctrl+C: gunicorn is stopped and the
    # scratch database dropped by the `finally` blocks below.
    signal.signal(signal.SIGTERM, _terminated)
    server = SCRATCH.server(args.postgresql)
    if server is None or not SCRATCH.create(server[0]):
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="kitlog-soak-"))
    print(f"Soak test on PostgreSQL database {SOAK_DATABASE!r} ...", flush=True)
    failures = 1
    try:
        failures = soak(args, server[1], workdir)
    finally:
        if args.keep:
            print(f"PostgreSQL database {SOAK_DATABASE!r} and {workdir} kept")
        else:
            SCRATCH.drop(server[0])
            shutil.rmtree(workdir, ignore_errors=True)
    if failures:
        print(f"\nSOAK FAILED: {failures} problem(s)", file=sys.stderr)
        return 1
    print("\nSoak passed: no errors, nothing lost, nothing duplicated, everything reconciles.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
