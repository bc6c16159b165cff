"""`make bench`: the donor report and the stock pages over 1,000,000 ledger rows, 40,000
households and 40,000 parcels (60,000 parcel lines), each against the raw SQL aggregate
in the same run.

Builds a scratch database in a temporary SQLite file and, when PostgreSQL answers, in a
scratch database `kitlog_bench_reports` on the test server (created here, marked as the
bench's own, and dropped at the end). The schema comes from kitlog's migrations, so the
indexes, check constraints and append-only triggers are the real ones. The rows are
written by bulk INSERT ... SELECT over generate_series (PostgreSQL) or a recursive CTE
(SQLite), and they hang together the way kitlog writes them:

  - 5 donors, 40 batches (8 a donor), 12 warehouses, one round per warehouse;
  - 40,000 households over 6 provinces and 30 regencies, some vulnerable;
  - 40,000 parcels, one a household; every other parcel draws kits from two batches of
    two donors; 80% delivered, 5% delivered after a failed visit, 5% failed, 3% returned,
    3% on the road, 4% on the shelf;
  - their events (packed, dispatched, failed, delivered, returned) and, for three
    deliveries in four, the delivering scan with the phone's own time;
  - the ledger: a dispatch per line of every parcel that left, a return per line of
    every returned parcel, and receipts, losses (with reasons), adjustments and transfer
    pairs over two years to make up 1,000,000 rows.

Then it times, as the median of several runs after one warm-up:
  - services.reports.donor_report() for one donor, and its page over HTTP, against the
    same figures computed by hand-written SQL, and against the plain GROUP BY over the
    whole ledger that the targets' reference figures time;
  - the stock page (GET /stock/batches as an admin) and batch_summaries() it calls,
    against that GROUP BY;
  - services.stock_report.stock_report() for one warehouse and one month, and its page,
    against the same sums written as one raw GROUP BY.
The rows are written in bulk SQL, past kitlog's services: the kept figures the reports
read (kitlog.models.figures) come from the database's triggers alone, and the bench checks
them against the rows (services.kept_figures, what `kitlog check` runs) before timing.
It prints a table with the ratios. It asserts nothing about speed; it exits non-zero
only if kitlog's figures and the raw SQL's disagree, or a kept figure and its rows.

    python bench/reports.py [--parcels N] [--rows N] [--repeat N] [--sqlite-only]
                            [--postgresql URL] [--keep]
"""

from __future__ import annotations

import argparse
import logging
import re
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/common.py

from common import (  # noqa: E402
    ScratchDatabase,
    add_postgresql_option,
    hygiene_kit,
    kitlog_call,
    median_ms,
    save_timings,
)
from sqlalchemy import text  # noqa: E402

from kitlog import config as kitlog_config  # noqa: E402
from kitlog import create_app  # noqa: E402
from kitlog.extensions import db  # noqa: E402
from kitlog.models import Round, round_batches  # noqa: E402
from kitlog.services import (  # noqa: E402
    kept_figures,
    reference,
    reports,
    stock,
    stock_report,
    users,
)
from kitlog.services.households import PROVINCES  # noqa: E402

BENCH_DATABASE = "kitlog_bench_reports"
SCRATCH = ScratchDatabase(BENCH_DATABASE, "kitlog reports bench scratch database: safe to drop")
DONORS = 5
BATCHES = 40  # batch i belongs to donor i % DONORS
WAREHOUSES = 12  # round r is served from warehouse r
TRANSFERS = 50
PROVINCE_NAMES = [name for _code, name in PROVINCES[:6]]
REGENCIES = 5  # per province
PASSWORD = "bench password long enough"  # noqa: S105 - a scratch database
REPORT_MONTH = (date(2026, 2, 1), date(2026, 2, 28))
TIMEZONE = "Asia/Jakarta"

# A parcel's fate is n % 100 (see the module's docstring).
DELIVERED = "s < 85"  # 80..84: delivered at a second visit, after a failed one
LEFT = "s < 96"  # dispatched at least once: a dispatch movement per line
STATUS = """CASE WHEN s < 85 THEN 'delivered' WHEN s < 90 THEN 'failed'
  WHEN s < 93 THEN 'returned' WHEN s < 96 THEN 'dispatched' WHEN s < 98 THEN 'packed'
  ELSE 'allocated' END"""


class Dialect:
    """The bits of SQL that differ: the numbers 0..last, and a UTC instant."""

    def __init__(self, name: str):
        self.name = name

    def numbers(self, last: int, inner: str = "") -> str:
        """A FROM item yielding n (and s = n % 100) for n in 0..last."""
        if self.name == "sqlite":
            seq = (
                "(WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq"
                f" WHERE n < {last}) SELECT n, n % 100 AS s FROM seq) AS numbers"
            )
        else:
            seq = f"(SELECT n, n % 100 AS s FROM generate_series(0, {last}) AS n) AS numbers"
        return seq + inner

    def instant(self, start: str, seconds: str) -> str:
        """start (YYYY-MM-DD, UTC) plus `seconds`, stored the way kitlog stores it."""
        if self.name == "sqlite":
            return (
                f"strftime('%Y-%m-%d %H:%M:%S.000000', '{start}', '+' || ({seconds}) || ' seconds')"
            )
        return f"(TIMESTAMPTZ '{start} 00:00:00+00' + ({seconds}) * INTERVAL '1 second')"

    def true(self) -> str:
        return "1" if self.name == "sqlite" else "true"


@dataclass
class Timing:
    database: str
    measure: str
    kitlog_ms: float
    baseline: str
    raw_ms: float

    @property
    def ratio(self) -> float:
        return self.kitlog_ms / self.raw_ms if self.raw_ms else float("nan")


# --- Building the data ---------------------------------------------------------------


@dataclass
class Ids:
    donors: list[int]
    warehouses: list[int]
    batches: list[int]
    transfers: list[int]
    rounds: list[int]
    admin_email: str


def build_reference_data() -> Ids:
    """Donors, kit type, warehouses, batches, transfers and rounds through kitlog itself."""
    session = db.session
    donors = [
        reference.create_donor(
            session, code=f"DN{i}", name=f"Donor {i}", country="Korea" if i else "Japan"
        )
        for i in range(DONORS)
    ]
    kit = hygiene_kit(session)
    warehouses = [
        reference.create_warehouse(
            session,
            code=f"WH-{i:02d}",
            name=f"Gudang {i}",
            # the first regency or city of the province
            regency_code=f"{PROVINCES[i % len(PROVINCE_NAMES)][0]}.01",
        )
        for i in range(WAREHOUSES)
    ]
    batches = [
        stock.receive_batch(
            session,
            donor=donors[i % DONORS],
            kit_type=kit,
            warehouse=warehouses[i % WAREHOUSES],
            reference=f"GRANT-{i % DONORS}",
            lot=f"LOT-{i:03d}",
            expiry_date=date(2026 + i % 2, 1 + i % 12, 1) if i % 3 else date(2031, 1, 1),
            quantity_pledged=120_000,
            quantity_received=100_000,
            quantity_damaged=50 * (i % 2),
            received_date=date(2025, 1, 1),
            user=None,
            now=datetime(2025, 1, 1, 3, tzinfo=UTC),
        )
        for i in range(BATCHES)
    ]
    transfers = [
        stock.transfer_stock(
            session,
            batch=batches[i % BATCHES],
            from_warehouse=warehouses[(i % BATCHES) % WAREHOUSES],
            to_warehouse=warehouses[(i % BATCHES + 1) % WAREHOUSES],
            quantity=1,
            user=None,
            now=datetime(2025, 1, 2, 3, tzinfo=UTC),
        )
        for i in range(TRANSFERS)
    ]
    rounds = [
        Round(
            name=f"Round {i}",
            warehouse=warehouses[i],
            entitlement=2,
            status="open",
            created_at=datetime(2025, 12, 1, tzinfo=UTC),
        )
        for i in range(WAREHOUSES)
    ]
    session.add_all(rounds)
    session.flush()
    session.execute(
        round_batches.insert(),
        [{"round_id": r.id, "batch_id": b.id} for r in rounds for b in batches],
    )
    admin = users.create_user(
        session, email="bench-admin@example.org", password=PASSWORD, role="admin", language="en"
    )
    session.commit()
    ids = Ids(
        [d.id for d in donors],
        [w.id for w in warehouses],
        [b.id for b in batches],
        [t.id for t in transfers],
        [r.id for r in rounds],
        admin.email,
    )
    session.rollback()  # end the read the ids began: its snapshot would hide the bulk rows
    for values in (ids.warehouses, ids.batches, ids.transfers, ids.rounds):
        assert values == list(range(values[0], values[0] + len(values))), "ids not contiguous"
    return ids


def bulk_statements(d: Dialect, ids: Ids, parcels: int, rows: int) -> list[str]:
    """The INSERT ... SELECT statements that fill the scratch database."""
    b0, w0, t0, r0 = ids.batches[0], ids.warehouses[0], ids.transfers[0], ids.rounds[0]
    last = parcels - 1
    true = d.true()
    households = f"""
INSERT INTO households (id, code, head_name, name_key, worker_name, worker_relation, nik,
  phone, province, regency, district, village, members, elderly, disability, pregnant,
  under5, consent, consent_date, status, created_at, updated_at)
SELECT n + 1, 'B' || n, 'Kepala ' || n, 'kepala ' || n, 'Pekerja ' || n,
  CASE n % 3 WHEN 0 THEN 'self' WHEN 1 THEN 'spouse' ELSE 'child' END,
  '' || (3500000000000000 + n), '',
  CASE n % 6 {" ".join(f"WHEN {i} THEN '{p}'" for i, p in enumerate(PROVINCE_NAMES))} END,
  'Kabupaten ' || ((n / 6) % {REGENCIES}), 'Kecamatan ' || ((n / 30) % 7),
  'Desa ' || ((n / 210) % 11), 1 + n % 7,
  (n % 5 = 0), (n % 11 = 0), (n % 13 = 0), (n % 4 = 1), {true}, DATE '2025-11-01', 'active',
  {d.instant("2025-11-01", "n")}, {d.instant("2025-11-01", "n")}
FROM {d.numbers(last)}"""
    if d.name == "sqlite":
        households = households.replace("DATE '2025-11-01'", "'2025-11-01'")
    made = f"{d.instant('2026-01-01', 'n * 30')}"
    parcel_rows = f"""
INSERT INTO parcels (id, round_id, household_id, kits, status, token, short_code,
  created_at, updated_at)
SELECT n + 1, {r0} + n % {WAREHOUSES}, n + 1, 1 + (n / 2) % 2 + CASE WHEN n % 2 = 0 THEN 1
  ELSE 0 END, {STATUS}, 'TK' || n, 'SC' || n, {made},
  {d.instant("2026-01-01", "n * 30 + 3 * 86400")}
FROM {d.numbers(last)}"""
    lines = [
        f"""
INSERT INTO parcel_lines (parcel_id, batch_id, kits)
SELECT n + 1, {b0} + n % {BATCHES}, 1 + (n / 2) % 2 FROM {d.numbers(last)}""",
        f"""
INSERT INTO parcel_lines (parcel_id, batch_id, kits)
SELECT n + 1, {b0} + (n + 7) % {BATCHES}, 1 FROM {d.numbers(last)} WHERE n % 2 = 0""",
    ]
    scans = f"""
INSERT INTO scans (id, idempotency_key, code, action, parcel_id, outcome, status_code,
  detail, from_status, to_status, recipient_name, recipient_relation, note, scanned_at,
  created_at)
SELECT n + 1, 'K' || n, 'TK' || n, 'deliver', n + 1, 'ok', 200, '',
  CASE WHEN s < 80 THEN 'dispatched' ELSE 'failed' END, 'delivered', '', '', '',
  {d.instant("2026-01-01", "n * 30 + 2 * 86400 + CASE WHEN s >= 80 THEN 86400 ELSE 0 END - 10800")},
  {d.instant("2026-01-01", "n * 30 + 2 * 86400 + CASE WHEN s >= 80 THEN 86400 ELSE 0 END")}
FROM {d.numbers(last)} WHERE {DELIVERED} AND n % 4 <> 0"""

    def event(status: str, from_status: str, days: float, where: str, scan: str = "NULL") -> str:
        return f"""
INSERT INTO parcel_events (parcel_id, from_status, status, note, scan_id, created_at)
SELECT n + 1, {from_status}, '{status}', '', {scan},
  {d.instant("2026-01-01", f"n * 30 + {int(days * 86400)}")}
FROM {d.numbers(last)} WHERE {where}"""

    events = [
        event("packed", "'allocated'", 0.5, "s < 98"),
        event("dispatched", "'packed'", 1, LEFT),
        event("failed", "'dispatched'", 2, "s >= 80 AND s < 93"),
        event(
            "delivered",
            "CASE WHEN s < 80 THEN 'dispatched' ELSE 'failed' END",
            2,
            "s < 80",
            "CASE WHEN n % 4 <> 0 THEN n + 1 END",
        ),
        event(
            "delivered", "'failed'", 3, "s >= 80 AND s < 85", "CASE WHEN n % 4 <> 0 THEN n + 1 END"
        ),
        event("returned", "'failed'", 3, "s >= 90 AND s < 93"),
    ]
    # What kitlog records on the parcel when its status changes (Parcel.record_status),
    # from the events and scans just written: the last delivery's moment, ever failed.
    facts = [
        f"""
UPDATE parcels SET failed_once = {true}
WHERE id IN (SELECT parcel_id FROM parcel_events WHERE status = 'failed')""",
        """
UPDATE parcels SET delivered_at = COALESCE((SELECT COALESCE(s.scanned_at, e.created_at)
  FROM parcel_events e LEFT JOIN scans s ON s.id = e.scan_id
  WHERE e.parcel_id = parcels.id AND e.status = 'delivered' ORDER BY e.id DESC LIMIT 1),
  updated_at)
WHERE status = 'delivered'""",
    ]
    movement_cols = (
        "INSERT INTO stock_movements"
        " (batch_id, warehouse_id, kind, quantity, reason, transfer_id, created_at)"
    )
    dispatches = [
        f"""{movement_cols}
SELECT {b0} + n % {BATCHES}, {w0} + n % {WAREHOUSES}, 'dispatch', -(1 + (n / 2) % 2), '', NULL,
  {d.instant("2026-01-01", "n * 30 + 86400")}
FROM {d.numbers(last)} WHERE {LEFT}""",
        f"""{movement_cols}
SELECT {b0} + (n + 7) % {BATCHES}, {w0} + n % {WAREHOUSES}, 'dispatch', -1, '', NULL,
  {d.instant("2026-01-01", "n * 30 + 86400")}
FROM {d.numbers(last)} WHERE {LEFT} AND n % 2 = 0""",
        f"""{movement_cols}
SELECT {b0} + n % {BATCHES}, {w0} + n % {WAREHOUSES}, 'return', 1 + (n / 2) % 2, '', NULL,
  {d.instant("2026-01-01", "n * 30 + 4 * 86400")}
FROM {d.numbers(last)} WHERE s >= 90 AND s < 93""",
        f"""{movement_cols}
SELECT {b0} + (n + 7) % {BATCHES}, {w0} + n % {WAREHOUSES}, 'return', 1, '', NULL,
  {d.instant("2026-01-01", "n * 30 + 4 * 86400")}
FROM {d.numbers(last)} WHERE s >= 90 AND s < 93 AND n % 2 = 0""",
    ]
    # The rest of the ledger over two years (rows - made so far, computed by the caller):
    # in tens, receipts, a loss, an adjustment, and a transfer pair summing to zero.
    filler = f"""{movement_cols}
SELECT {b0} + (n / 10) % {BATCHES},
  {w0} + ((n / (10 * {BATCHES})) + CASE WHEN n % 10 = 7 THEN 1 ELSE 0 END) % {WAREHOUSES},
  CASE n % 10 WHEN 4 THEN 'loss' WHEN 5 THEN 'adjustment' WHEN 6 THEN 'transfer_out'
    WHEN 7 THEN 'transfer_in' ELSE 'receipt' END,
  CASE n % 10 WHEN 4 THEN -(1 + n % 3)
    WHEN 5 THEN CASE WHEN n % 20 = 5 THEN 2 ELSE -1 END
    WHEN 6 THEN -(1 + (n / 10) % 4) WHEN 7 THEN 1 + (n / 10) % 4
    ELSE 1 + n % 50 END,
  CASE n % 10 WHEN 4 THEN CASE (n / 10) % 3 WHEN 0 THEN 'damaged in storage'
      WHEN 1 THEN 'expired' ELSE 'stolen' END
    WHEN 5 THEN 'stock count' ELSE '' END,
  CASE WHEN n % 10 IN (6, 7) THEN {t0} + (n / 10) % {TRANSFERS} END,
  {d.instant("2025-01-03", "n * 90")}
FROM {d.numbers(rows)}"""
    return [households, parcel_rows, *lines, scans, *events, *facts, *dispatches, filler]


def fill(ids: Ids, parcels: int, rows: int) -> None:
    d = Dialect(db.engine.dialect.name)
    statements = bulk_statements(d, ids, parcels, 0)
    with db.engine.begin() as conn:
        for sql in statements[:-1]:
            conn.execute(text(sql))
        made = conn.scalar(text("SELECT COUNT(*) FROM stock_movements"))
        filler = bulk_statements(d, ids, parcels, max(rows - made, 1) - 1)[-1]
        conn.execute(text(filler))
        if d.name == "postgresql":
            for table in ("households", "parcels", "scans"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                        f" (SELECT max(id) FROM {table}))"
                    )
                )
    # What autovacuum would have done by the time anyone reads a report: statistics, and
    # the visibility map that lets PostgreSQL answer from an index alone.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE" if d.name == "postgresql" else "ANALYZE")


# --- The raw SQL the services are measured against -----------------------------------

RAW_LEDGER = (
    "SELECT batch_id, warehouse_id, SUM(quantity) FROM stock_movements"
    " GROUP BY batch_id, warehouse_id"
)


def raw_report_sql(batch_ids: list[int]) -> dict[str, str]:
    """The donor report's figures, written by hand: one aggregate each."""
    ids = ", ".join(str(i) for i in batch_ids)
    delivered_lines = (
        "FROM parcel_lines l JOIN parcels p ON p.id = l.parcel_id"
        f" WHERE l.batch_id IN ({ids}) AND p.status = 'delivered'"
    )
    return {
        "ledger": (
            "SELECT batch_id, kind, SUM(quantity) FROM stock_movements"
            f" WHERE batch_id IN ({ids}) GROUP BY batch_id, kind"
        ),
        "delivered": f"SELECT l.batch_id, SUM(l.kits) {delivered_lines} GROUP BY l.batch_id",
        # per regency: kits delivered, households reached, their people and vulnerable ones,
        # and the households targeted (a parcel that is not cancelled)
        "regions": (
            "SELECT h.province, h.regency, SUM(x.kits), SUM(x.reached),"
            " SUM(x.reached * h.members), SUM(CASE WHEN h.elderly OR h.disability"
            " OR h.pregnant OR h.under5 THEN x.reached ELSE 0 END), COUNT(*)"
            " FROM (SELECT p.household_id,"
            " SUM(CASE WHEN p.status = 'delivered' THEN l.kits ELSE 0 END) AS kits,"
            " MAX(CASE WHEN p.status = 'delivered' THEN 1 ELSE 0 END) AS reached"
            " FROM parcel_lines l JOIN parcels p ON p.id = l.parcel_id"
            f" WHERE l.batch_id IN ({ids}) AND p.status <> 'cancelled'"
            " GROUP BY p.household_id) x JOIN households h ON h.id = x.household_id"
            " GROUP BY h.province, h.regency ORDER BY h.province, h.regency"
        ),
        "outcomes": (
            "SELECT SUM(CASE WHEN p.status = 'delivered' THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN p.status <> 'delivered' AND f.parcel_id IS NOT NULL THEN 1"
            " ELSE 0 END), COUNT(f.parcel_id) FROM parcels p LEFT JOIN (SELECT DISTINCT"
            " parcel_id FROM parcel_events WHERE status = 'failed') f ON f.parcel_id = p.id"
            f" WHERE p.id IN (SELECT parcel_id FROM parcel_lines WHERE batch_id IN ({ids}))"
        ),
    }


def raw_stock_report_sql(warehouse_id: int, start: datetime, end: datetime, d: str) -> str:
    def bound(moment: datetime) -> str:
        if d == "sqlite":
            return f"'{moment.strftime('%Y-%m-%d %H:%M:%S.%f')}'"
        return f"TIMESTAMPTZ '{moment.isoformat()}'"

    s, e = bound(start), bound(end)
    period = f"created_at >= {s}"
    return (
        f"SELECT batch_id, SUM(CASE WHEN created_at < {s} THEN quantity ELSE 0 END),"
        + ", ".join(
            f" SUM(CASE WHEN {period} AND kind = '{kind}' THEN quantity ELSE 0 END)"
            for kind in (
                "receipt",
                "transfer_in",
                "return",
                "dispatch",
                "transfer_out",
                "loss",
                "adjustment",
            )
        )
        + f", SUM(quantity) FROM stock_movements WHERE warehouse_id = {warehouse_id}"
        f" AND created_at < {e} GROUP BY batch_id"
    )


def raw_query(sql: str | list[str]) -> Callable[[], list[list[tuple]]]:
    """Run the statements on a bare DBAPI cursor of the same engine: no ORM."""
    statements = [sql] if isinstance(sql, str) else sql

    def run() -> list[list[tuple]]:
        connection = db.engine.raw_connection()
        try:
            cursor = connection.cursor()
            results = []
            for statement in statements:
                cursor.execute(statement)
                results.append([tuple(row) for row in cursor.fetchall()])
            cursor.close()
            connection.rollback()
            return results
        finally:
            connection.close()

    return run


def page(client, path: str) -> Callable[[], str]:
    def get() -> str:
        response = client.get(path, headers={"Accept-Language": "en"})
        assert response.status_code == 200, (path, response.status_code)
        return response.get_data(as_text=True)

    return get


def login(client, email: str) -> None:
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login_page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', login_page
    )
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


# --- Comparing -------------------------------------------------------------------------


def check_report(report: reports.DonorReport, raw: list[list[tuple]]) -> list[str]:
    """What the report says against what the hand-written SQL says."""
    problems = []
    ledger, delivered, regions, outcomes = raw
    by_kind: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for batch_id, kind, total in ledger:
        by_kind[batch_id][kind] = int(total)
    raw_delivered = {b: int(k) for b, k in delivered}
    for b in report.batches:
        kinds = by_kind[b.id]
        expected = (
            kinds["receipt"],
            -kinds["loss"],
            kinds["adjustment"],
            sum(kinds.values()),
            raw_delivered.get(b.id, 0),
        )
        if (b.received, b.lost, b.adjusted, b.on_hand, b.delivered) != expected:
            problems.append(f"batch {b.lot}: report {b} != raw {expected}")
        if sum(b.lost_by_reason.values()) != b.lost:
            problems.append(f"batch {b.lot}: losses by reason do not add up")
    mine = [
        (
            r.province,
            r.regency,
            r.delivered,
            r.households_reached,
            r.people_reached,
            r.vulnerable_households_reached,
            r.households_targeted,
        )
        for r in report.by_region
    ]
    theirs = [tuple(int(v) if not isinstance(v, str) else v for v in row) for row in regions]
    if mine != theirs:
        problems.append(f"by region: report {mine[:3]}... != raw {theirs[:3]}...")
    got = (report.parcels_delivered, report.parcels_failed, report.parcels_failed_once)
    if got != tuple(int(v or 0) for v in outcomes[0]):
        problems.append(f"parcel outcomes: report {got} != raw {outcomes[0]}")
    if report.timeline and report.timeline[-1].cumulative != report.delivered:
        problems.append("timeline does not add up to the kits delivered")
    if not report.reconciled:
        problems.append("the donor's batches do not reconcile")
    if report.delivered == 0 or not report.by_region:
        problems.append("the report is empty: the data was not built")
    return problems


def check_stock_report(report: stock_report.StockReport, raw: list[tuple]) -> list[str]:
    names = ("opening", "receipts", "transfers_in", "returns", "dispatches")
    names += ("transfers_out", "losses", "adjustments", "closing")
    expected = {}
    for batch_id, opening, rec, tin, ret, disp, tout, loss, adj, closing in raw:
        values = (opening, rec, tin, ret, -disp, -tout, -loss, adj, closing)
        if opening or any(v for v in values[1:-1]):
            expected[batch_id] = tuple(int(v) for v in values)
    mine = {r.batch_id: tuple(getattr(r, n) for n in names) for r in report.rows}
    problems = []
    if mine != expected:
        problems.append("stock report rows differ from the raw GROUP BY")
    if not report.balanced or not report.rows:
        problems.append("stock report does not balance, or is empty")
    return problems


# --- Running ---------------------------------------------------------------------------


def bench_database(
    name: str, url: str, parcels: int, rows: int, repeat: int, workdir: Path
) -> tuple[list[Timing], list[str]]:
    logging.getLogger("alembic").setLevel(logging.WARNING)
    app = create_app(
        {"DATABASE_URL": url, "TIMEZONE": TIMEZONE, "RATELIMIT_ENABLED": False},
        instance_path=str(workdir / f"instance-{name}"),
    )
    timings: list[Timing] = []
    problems: list[str] = []

    def add(measure, kitlog_ms, baseline, raw_ms):
        timings.append(Timing(name, measure, kitlog_ms, baseline, raw_ms))

    with app.app_context():
        from flask_migrate import upgrade

        from kitlog.models import Donor, Warehouse

        upgrade()
        started = time.perf_counter()
        ids = build_reference_data()
        fill(ids, parcels, rows)
        counts = {
            table: db.session.scalar(text(f"SELECT COUNT(*) FROM {table}"))
            for table in ("stock_movements", "households", "parcels", "parcel_lines")
        }
        db.session.rollback()
        print(
            f"  {name}: built in {time.perf_counter() - started:.1f} s: "
            + ", ".join(f"{n:,} {t}" for t, n in counts.items()),
            flush=True,
        )
        started = time.perf_counter()
        kept_wrong = kept_figures.kept_figures_problems(db.session)
        db.session.rollback()
        print(
            f"  {name}: kept figures checked against the rows in"
            f" {time.perf_counter() - started:.1f} s: {len(kept_wrong)} disagree",
            flush=True,
        )
        problems += [f"{name}: kept figures: {p}" for p in kept_wrong[:20]]
        d = db.engine.dialect.name

        ledger_ms, _ = median_ms(raw_query(RAW_LEDGER), repeat)
        ledger_base = f"raw GROUP BY, {counts['stock_movements']:,} rows"

        donor = db.session.get(Donor, ids.donors[1])
        code = donor.code
        batch_ids = [b for i, b in enumerate(ids.batches) if i % DONORS == 1]
        kit_ms, report = median_ms(
            kitlog_call(
                lambda: reports.donor_report(
                    db.session,
                    db.session.get(Donor, ids.donors[1]),
                    today=date(2026, 3, 1),
                    timezone=TIMEZONE,
                )
            ),
            repeat,
        )
        raw_ms, raw = median_ms(raw_query(list(raw_report_sql(batch_ids).values())), repeat)
        add(f"donor_report({code})", kit_ms, "same figures, hand-written SQL", raw_ms)
        add(f"donor_report({code})", kit_ms, ledger_base, ledger_ms)
        problems += [f"{name}: donor report: {p}" for p in check_report(report, raw)]

        client = app.test_client()
        login(client, ids.admin_email)
        page_ms, html = median_ms(page(client, f"/reports/donors/{code}"), repeat)
        add(f"GET /reports/donors/{code}", page_ms, ledger_base, ledger_ms)
        shown = f"{report.delivered:,}"
        if not any(f in html for f in (shown, shown.replace(",", "."), str(report.delivered))):
            problems.append(f"{name}: the report page does not show {report.delivered:,} kits")

        kit_ms, summaries = median_ms(
            kitlog_call(lambda: stock.batch_summaries(db.session)), repeat
        )
        add("batch_summaries(): every batch", kit_ms, ledger_base, ledger_ms)
        page_ms, html = median_ms(page(client, "/stock/batches"), repeat)
        add("GET /stock/batches (the stock page)", page_ms, ledger_base, ledger_ms)
        raw_on_hand: dict[int, int] = defaultdict(int)
        for batch_id, _wh, total in raw_query(RAW_LEDGER)()[0]:
            raw_on_hand[batch_id] += int(total)
        if {b: s.on_hand for b, s in summaries.items()} != raw_on_hand:
            problems.append(f"{name}: batch_summaries() on hand differs from the raw GROUP BY")
        if any(not s.reconciled for s in summaries.values()):
            problems.append(f"{name}: some batch does not reconcile")

        warehouse = db.session.get(Warehouse, ids.warehouses[3])
        wcode = warehouse.code
        first, last = REPORT_MONTH
        kit_ms, sreport = median_ms(
            kitlog_call(
                lambda: stock_report.stock_report(
                    db.session,
                    db.session.get(Warehouse, ids.warehouses[3]),
                    date_from=first,
                    date_to=last,
                    timezone=TIMEZONE,
                )
            ),
            repeat,
        )
        start = stock_report.local_midnight(first, TIMEZONE)
        end = stock_report.local_midnight(date(2026, 3, 1), TIMEZONE)
        raw_ms, raw = median_ms(
            raw_query(raw_stock_report_sql(ids.warehouses[3], start, end, d)), repeat
        )
        add(f"stock_report({wcode}, Feb 2026)", kit_ms, "same sums, one raw GROUP BY", raw_ms)
        problems += [f"{name}: {p}" for p in check_stock_report(sreport, raw[0])]
        page_ms, _ = median_ms(
            page(client, f"/stock/report?warehouse={wcode}&from={first}&to={last}"), repeat
        )
        add("GET /stock/report (one month)", page_ms, "same sums, one raw GROUP BY", raw_ms)
        db.session.remove()
        db.engine.dispose()
    return timings, problems


def print_table(timings: list[Timing], parcels: int, rows: int, repeat: int) -> None:
    print()
    print(
        f"Reports over {rows:,} ledger rows, {parcels:,} households and parcels"
        f" ({parcels * 3 // 2:,} parcel lines),"
        f" median of {repeat} runs (ms):"
    )
    header = f"{'database':<11} {'kitlog':<38} {'ms':>8}  {'baseline':<36} {'ms':>8} {'ratio':>6}"
    print(header)
    print("-" * len(header))
    for t in timings:
        print(
            f"{t.database:<11} {t.measure:<38} {t.kitlog_ms:>8.1f}  {t.baseline:<36}"
            f" {t.raw_ms:>8.1f} {t.ratio:>6.2f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="ledger rows (1,000,000)")
    parser.add_argument(
        "--parcels",
        type=int,
        default=40_000,
        help="households and parcels (40,000: 60,000 parcel lines)",
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per measure (5)")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--postgresql-only", action="store_true", help="skip SQLite")
    add_postgresql_option(parser, kitlog_config.TestConfig.POSTGRES_TEST_URL, BENCH_DATABASE)
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases")
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results/")
    args = parser.parse_args(argv)
    if args.parcels < 1000 or args.rows < 2 * args.parcels or args.repeat < 1:
        parser.error("--parcels must be at least 1000, --rows at least twice that")

    workdir = Path(tempfile.mkdtemp(prefix="kitlog-bench-reports-"))
    timings: list[Timing] = []
    problems: list[str] = []
    print(f"Building {args.parcels:,} parcels and {args.rows:,} ledger rows ...", flush=True)
    try:
        if not args.postgresql_only:
            found, wrong = bench_database(
                "SQLite",
                f"sqlite:///{workdir / 'bench.db'}",
                args.parcels,
                args.rows,
                args.repeat,
                workdir,
            )
            timings += found
            problems += wrong

        def on_postgresql(url: str) -> None:
            found, wrong = bench_database(
                "PostgreSQL", url, args.parcels, args.rows, args.repeat, workdir
            )
            timings.extend(found)
            problems.extend(wrong)

        SCRATCH.bench(args.postgresql, on_postgresql, skip=args.sqlite_only, keep=args.keep)
    finally:
        if args.keep:
            print(f"Scratch files kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    print_table(timings, args.parcels, args.rows, args.repeat)
    if not args.no_save:
        fields = {"rows": args.rows, "parcels": args.parcels, "repeat": args.repeat}
        print(f"\nSaved to {save_timings('reports', fields, timings)}")
    for problem in problems:
        print(f"DISAGREEMENT: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
