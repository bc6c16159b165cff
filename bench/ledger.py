"""`make bench`: stock derived from a 1,000,000-row ledger, kitlog's services against raw SQL.

Builds a scratch ledger in a temporary SQLite file and, when PostgreSQL answers, in a
scratch database `kitlog_bench` on the test server (created here, marked as the bench's
own, and dropped at the end). The schema comes from kitlog's migrations, so the
indexes, check constraints and append-only triggers are the real ones; the rows obey
every check (receipts positive, losses negative with a reason, transfers with their
document, ...).

Then it times, as the median of several runs after one warm-up:
  - services.stock.stock_levels()      against SELECT ... SUM(quantity) GROUP BY
  - services.stock.batch_summaries()   against the same raw GROUP BY
  - services.stock.stock_level(one)    against the raw SUM for one batch in one warehouse
and prints a table with the ratio kitlog/raw. It asserts nothing about speed; it exits
non-zero only if kitlog and the raw SQL disagree about the stock.

    python bench/ledger.py [--rows N] [--repeat N] [--sqlite-only | --postgresql-only]
                           [--postgresql URL] [--keep]
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
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
from kitlog.services import reference, stock  # noqa: E402

BENCH_DATABASE = "kitlog_bench"
SCRATCH = ScratchDatabase(BENCH_DATABASE, "kitlog bench scratch database: safe to drop")
BATCHES = 40
WAREHOUSES = 12
TRANSFERS = 50

RAW_LEVELS = (
    "SELECT warehouse_id, batch_id, SUM(quantity) FROM stock_movements"
    " GROUP BY warehouse_id, batch_id ORDER BY warehouse_id, batch_id"
)
RAW_BY_BATCH = (
    "SELECT batch_id, warehouse_id, SUM(quantity) FROM stock_movements"
    " GROUP BY batch_id, warehouse_id"
)
RAW_ONE = (
    "SELECT SUM(quantity) FROM stock_movements WHERE batch_id = {batch} AND warehouse_id = {wh}"
)

# One row per n: kinds in a fixed cycle of ten, receipts outweighing what leaves, so
# no warehouse goes below zero. Batch, warehouse and transfer ids are contiguous ranges
# in the fresh scratch database ({b0}, {w0}, {t0}); `n` and `created` are dialect-specific.
BULK_SELECT = """
SELECT
  {b0} + (n / 10) % {batches} AS batch_id,
  {w0} + ((n / (10 * {batches})) + CASE WHEN n % 10 = 9 THEN 1 ELSE 0 END) % {warehouses}
    AS warehouse_id,
  CASE n % 10
    WHEN 4 THEN 'loss' WHEN 5 THEN 'adjustment' WHEN 6 THEN 'dispatch'
    WHEN 7 THEN 'return' WHEN 8 THEN 'transfer_out' WHEN 9 THEN 'transfer_in'
    ELSE 'receipt' END AS kind,
  CASE n % 10
    WHEN 4 THEN -(1 + n % 3)
    WHEN 5 THEN CASE WHEN n % 20 = 5 THEN 2 ELSE -1 END
    WHEN 6 THEN -(1 + n % 5)
    WHEN 7 THEN 1 + n % 2
    WHEN 8 THEN -(1 + (n / 10) % 4)
    WHEN 9 THEN 1 + (n / 10) % 4
    ELSE 1 + n % 50 END AS quantity,
  CASE n % 10
    WHEN 4 THEN 'damaged in storage' WHEN 5 THEN 'stock count' ELSE '' END AS reason,
  CASE WHEN n % 10 IN (8, 9) THEN {t0} + (n / 10) % {transfers} ELSE NULL END AS transfer_id,
  {created} AS created_at
FROM {source}
"""
SOURCES = {
    "sqlite": (
        "(WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < {last})"
        " SELECT n FROM seq) AS numbers",
        "datetime('2020-12-07 00:00:00', '+' || n || ' seconds')",
    ),
    "postgresql": (
        "generate_series(0, {last}) AS n",
        "TIMESTAMPTZ '2020-12-07 00:00:00+00' + n * INTERVAL '1 second'",
    ),
}


@dataclass
class Timing:
    database: str
    query: str
    kitlog_ms: float
    raw_ms: float

    @property
    def ratio(self) -> float:
        return self.kitlog_ms / self.raw_ms if self.raw_ms else float("nan")


def build_reference_data() -> tuple[list[int], list[int], list[int]]:
    """Donor, kit type, warehouses, batches and transfers, through kitlog's own services."""
    session = db.session
    donor = reference.create_donor(session, code="KOICA", name="KOICA", country="Korea")
    kit = hygiene_kit(session)
    warehouses = [
        reference.create_warehouse(
            session, code=f"WH-{i:02d}", name=f"Gudang {i}", regency_code="35.78"
        )
        for i in range(WAREHOUSES)
    ]
    batches = [
        stock.receive_batch(
            session,
            donor=donor,
            kit_type=kit,
            warehouse=warehouses[i % WAREHOUSES],
            reference="BENCH",
            lot=f"LOT-{i:03d}",
            expiry_date=date(2030, 1, 1),
            quantity_pledged=10_000,
            quantity_received=10_000,
            quantity_damaged=0,
            received_date=date(2020, 12, 7),
            user=None,
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
        )
        for i in range(TRANSFERS)
    ]
    session.commit()
    ids = [w.id for w in warehouses], [b.id for b in batches], [t.id for t in transfers]
    session.rollback()  # end the read the ids began: its snapshot would hide the bulk rows
    for values in ids:
        assert values == list(range(values[0], values[0] + len(values))), "ids not contiguous"
    return ids


def fill_ledger(dialect: str, rows: int, wh: list[int], batches: list[int], tr: list[int]) -> None:
    source, created = SOURCES[dialect]
    sql = (
        "INSERT INTO stock_movements"
        " (batch_id, warehouse_id, kind, quantity, reason, transfer_id, created_at) "
        + BULK_SELECT.format(
            b0=batches[0],
            w0=wh[0],
            t0=tr[0],
            batches=len(batches),
            warehouses=len(wh),
            transfers=len(tr),
            created=created,
            source=source.format(last=rows - 1),
        )
    )
    with db.engine.begin() as conn:
        conn.execute(text(sql))
    with db.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()


def raw_query(sql: str) -> Callable[[], list[tuple]]:
    """Run sql on a bare DBAPI cursor of the same engine: no ORM, no SQLAlchemy."""

    def run() -> list[tuple]:
        connection = db.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(sql)
            rows = [tuple(int(v) for v in row) for row in cursor.fetchall()]
            cursor.close()
            connection.rollback()
            return rows
        finally:
            connection.close()

    return run


def bench_database(
    name: str, url: str, rows: int, repeat: int, workdir: Path
) -> tuple[list[Timing], list[str]]:
    """Build the ledger at url and time the three queries; (timings, disagreements)."""
    logging.getLogger("alembic").setLevel(logging.WARNING)
    app = create_app({"DATABASE_URL": url}, instance_path=str(workdir / f"instance-{name}"))
    timings: list[Timing] = []
    problems: list[str] = []
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        started = time.perf_counter()
        wh, batches, tr = build_reference_data()
        made = db.session.scalar(text("SELECT COUNT(*) FROM stock_movements"))
        db.session.rollback()
        fill_ledger(db.engine.dialect.name, max(rows - made, 1), wh, batches, tr)
        total = db.session.scalar(text("SELECT COUNT(*) FROM stock_movements"))
        db.session.rollback()
        elapsed = time.perf_counter() - started
        print(f"  {name}: {total:,} ledger rows built in {elapsed:.1f} s", flush=True)

        kit_ms, levels = median_ms(kitlog_call(lambda: stock.stock_levels(db.session)), repeat)
        raw_ms, raw_levels = median_ms(raw_query(RAW_LEVELS), repeat)
        timings.append(
            Timing(name, "stock_levels(): every batch in every warehouse", kit_ms, raw_ms)
        )
        if sorted((lv.warehouse_id, lv.batch_id, lv.on_hand) for lv in levels) != sorted(
            raw_levels
        ):
            problems.append(f"{name}: stock_levels() differs from the raw SUM ... GROUP BY")
        if any(lv.on_hand < 0 for lv in levels):
            problems.append(f"{name}: the generated ledger went below zero somewhere")

        kit_ms, summaries = median_ms(
            kitlog_call(lambda: stock.batch_summaries(db.session)), repeat
        )
        raw_ms, by_batch = median_ms(raw_query(RAW_BY_BATCH), repeat)
        timings.append(Timing(name, "batch_summaries(): the reconciliation", kit_ms, raw_ms))
        raw_by_batch: dict[int, int] = {}
        for batch_id, _wh, total_kits in by_batch:
            raw_by_batch[batch_id] = raw_by_batch.get(batch_id, 0) + total_kits
        if {b: s.on_hand for b, s in summaries.items()} != raw_by_batch:
            problems.append(f"{name}: batch_summaries() on hand differs from the raw GROUP BY")

        middle = levels[len(levels) // 2]
        batch_id, warehouse_id = middle.batch_id, middle.warehouse_id
        kit_ms, one = median_ms(
            kitlog_call(
                lambda: stock.stock_level(db.session, batch_id=batch_id, warehouse_id=warehouse_id)
            ),
            repeat,
        )
        raw_ms, raw_one = median_ms(
            raw_query(RAW_ONE.format(batch=batch_id, wh=warehouse_id)), repeat
        )
        timings.append(Timing(name, "stock_level(): one batch in one warehouse", kit_ms, raw_ms))
        if one.on_hand != raw_one[0][0]:
            problems.append(f"{name}: stock_level() differs from the raw SUM for one batch")
        db.session.remove()
        db.engine.dispose()
    return timings, problems


def print_table(timings: list[Timing], rows: int, repeat: int) -> None:
    print()
    print(
        f"Stock derived from {rows:,} ledger rows ({BATCHES} batches x {WAREHOUSES} warehouses),"
        f" median of {repeat} runs:"
    )
    header = f"{'database':<11} {'query':<48} {'kitlog ms':>10} {'raw ms':>9} {'kitlog/raw':>11}"
    print(header)
    print("-" * len(header))
    for t in timings:
        print(
            f"{t.database:<11} {t.query:<48} {t.kitlog_ms:>10.2f} {t.raw_ms:>9.2f} {t.ratio:>11.2f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="ledger rows (1,000,000)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per query (5)")
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    only.add_argument("--postgresql-only", action="store_true", help="skip SQLite")
    add_postgresql_option(parser, kitlog_config.TestConfig.POSTGRES_TEST_URL, BENCH_DATABASE)
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases")
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results/")
    args = parser.parse_args(argv)
    if args.rows < 100 or args.repeat < 1:
        parser.error("--rows must be at least 100 and --repeat at least 1")

    workdir = Path(tempfile.mkdtemp(prefix="kitlog-bench-"))
    timings: list[Timing] = []
    problems: list[str] = []
    print(f"Building ledgers of {args.rows:,} movements ...", flush=True)
    try:
        if not args.postgresql_only:
            sqlite_url = f"sqlite:///{workdir / 'bench.db'}"
            found, wrong = bench_database("SQLite", sqlite_url, args.rows, args.repeat, workdir)
            timings += found
            problems += wrong

        def on_postgresql(url: str) -> None:
            found, wrong = bench_database("PostgreSQL", url, args.rows, args.repeat, workdir)
            timings.extend(found)
            problems.extend(wrong)

        SCRATCH.bench(args.postgresql, on_postgresql, skip=args.sqlite_only, keep=args.keep)
    finally:
        if args.keep:
            print(f"Scratch files kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    print_table(timings, args.rows, args.repeat)
    if not args.no_save:
        saved = save_timings("ledger", {"rows": args.rows, "repeat": args.repeat}, timings)
        print(f"\nSaved to {saved}")
    for problem in problems:
        print(f"DISAGREEMENT: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
