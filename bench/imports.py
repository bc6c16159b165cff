"""`make bench`: importing 50,000 households from an XLSX file, against baselines.

Builds a 50,000-row workbook of realistic households (shared strings, as Excel saves
them; names, places, phones, vulnerabilities, consent words in English and Indonesian),
then, on a scratch SQLite file and, when PostgreSQL answers, on the scratch database
`kitlog_bench_imports` (created and dropped as bench/ledger.py does,
with bench/common.py), times:

  - parse + validate: services.imports.check_spreadsheet() (read every cell, clean every
    row as a household registered by hand, repeated NIKs, the registry check)
    against openpyxl merely reading the same file (read-only mode, values only);
  - insert: services.imports.import_households() (write lock, registry re-check, codes,
    bulk insert, commit) against a bare DBAPI executemany of the same 50,000 rows;
  - the whole import, file bytes to rows in the database, two ways:
      API: services.imports.import_spreadsheet() (check, then insert; one request);
      pages: what the upload and confirm buttons start, with the progress written as
      the page shows it: the upload checked (a job, which keeps the checked rows), then,
      on confirmation, those rows inserted;
    both against openpyxl reading the file plus the bare executemany.

It prints rows a second and the ratios, and asserts nothing about speed; it exits
non-zero only if an import did not store every row, or the progress of the pages' import
did not advance while the rows were being inserted (PostgreSQL).

Then each reader alone on a 100,000-row sheet, in a child process: kitlog's reader
(kitlog.documents.spreadsheet_reader), python-calamine without kitlog's checks, and
openpyxl read-only; rows a second and the peak RSS each added.

    python bench/imports.py [--rows N] [--sqlite-only] [--postgresql URL] [--keep]
                            [--reader-rows N]
"""

from __future__ import annotations

import argparse
import csv
import io
import logging
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import text

from kitlog import config as kitlog_config
from kitlog import create_app
from kitlog.extensions import db
from kitlog.models import HouseholdImport, ImportStatus, User
from kitlog.services import imports
from kitlog.services.households import FIELDS, PROVINCES

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ScratchDatabase, add_postgresql_option  # noqa: E402 - bench/common.py

# The scratch database of this bench, not ledger's: the two may run at the same time.
BENCH_DATABASE = "kitlog_bench_imports"
SCRATCH = ScratchDatabase(BENCH_DATABASE, "kitlog bench scratch database: safe to drop")

TODAY = date(2020, 12, 10)
FIRST = ["Siti", "Agus", "Dewi", "Budi", "Ni Luh", "I Made", "Nur", "Rina", "Joko", "Yohana"]
LAST = ["Rahayu", "Santoso", "Lestari", "Wijaya", "Putri", "Saputra", "Hidayat", "Kurniawan"]
RELATIONS = ["spouse", "istri", "suami", "anak", "child", "parent", "ayah", "sibling", "lainnya"]
VULNERABLE = ["", "", "", "lansia", "balita", "elderly;under5", "hamil", "disabilitas;lansia"]
CONSENT = ["yes", "ya", "Ya", "YES", "tidak", "no"]


@dataclass
class Timing:
    database: str
    phase: str
    kitlog_s: float
    baseline: str
    baseline_s: float
    rows: int

    @property
    def rate(self) -> float:
        return self.rows / self.kitlog_s if self.kitlog_s else float("nan")

    @property
    def ratio(self) -> float:
        return self.kitlog_s / self.baseline_s if self.baseline_s else float("nan")


PLACES_DIR = Path(__file__).resolve().parent.parent / "kitlog" / "data" / "idn-area-data"
VILLAGES_A_PROVINCE = 400


def _csv_rows(name: str) -> list[dict[str, str]]:
    with (PLACES_DIR / name).open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def villages_by_province() -> dict[str, list[tuple[str, str, str, str, str]]]:
    """Up to VILLAGES_A_PROVINCE official villages of each province, as (village code,
    province, regency, district, village names), from the list the imports check."""
    provinces = {row["code"]: row["name"] for row in _csv_rows("provinces.csv")}
    regencies = {
        row["code"]: (row["province_code"], row["name"]) for row in _csv_rows("regencies.csv")
    }
    districts = {
        row["code"]: (row["regency_code"], row["name"]) for row in _csv_rows("districts.csv")
    }
    villages = _csv_rows("villages.csv")
    named = Counter((row["district_code"], row["name"]) for row in villages)
    chosen: dict[str, list[tuple[str, str, str, str, str]]] = {}
    for row in villages:
        regency_code, district = districts[row["district_code"]]
        province_code, regency = regencies[regency_code]
        in_province = chosen.setdefault(province_code, [])
        # a name two villages of a district share is asked to be chosen (or given by code),
        # and a village whose official name begins "Desa " is not found by its name
        if (
            len(in_province) < VILLAGES_A_PROVINCE
            and named[(row["district_code"], row["name"])] == 1
            and not row["name"].startswith("Desa ")
        ):
            in_province.append(
                (row["code"], provinces[province_code], regency, district, row["name"])
            )
    return chosen


def build_workbook(rows: int) -> bytes:
    """A workbook as Excel saves it: shared strings, NIK and phone as text. Households live
    in official villages of their NIK's province: every other row gives the village's code,
    the others its four names, as a district office's list might."""
    from openpyxl import Workbook

    places = villages_by_province()
    rng = random.Random(2020)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(FIELDS))
    for i in range(rows):
        code, _province = PROVINCES[i % len(PROVINCES)]
        village_code, province_name, regency, district, village = places[code][
            (i // len(PROVINCES)) % len(places[code])
        ]
        day = i % 28 + 1 + (40 if i % 2 else 0)  # women's NIKs add 40 to the day
        # the NIK begins with the codes of the regency and district the household lives in
        nik = village_code.replace(".", "")[:6] + f"{day:02d}{(i // 28) % 12 + 1:02d}"
        nik += f"{70 + i % 30:02d}{i // 1000 + 1:04d}"
        consent = CONSENT[i % len(CONSENT)]
        if i % 2:
            address = ["", "", "", "", village_code]
        else:
            names = [province_name if i % 5 else province_name.upper(), regency, district, village]
            address = [*names, ""]
        sheet.append(
            [
                f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                RELATIONS[i % len(RELATIONS)],
                nik,
                f"08{rng.randrange(10**9, 10**10)}",
                *address,
                i % 9 + 1,
                VULNERABLE[i % len(VULNERABLE)],
                consent,
                "2020-11-30" if i % 4 == 0 and consent in ("yes", "ya") else None,
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def openpyxl_read(content: bytes) -> int:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    count = sum(1 for _row in workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    return count


# Run in a child process, so that its peak RSS is the reader's alone (a Rust reader's
# memory is not seen by tracemalloc): rows read, seconds, peak RSS before and after.
_READER_CHILD = """
import io, json, resource, sys, time
path, which = sys.argv[1], sys.argv[2]
content = open(path, "rb").read()
if which == "kitlog":
    from kitlog.documents.spreadsheet_reader import read_xlsx
    read = lambda: sum(1 for _ in read_xlsx(content))
elif which == "calamine":
    import python_calamine
    def read():
        sheet = python_calamine.load_workbook(io.BytesIO(content)).get_sheet_by_index(0)
        return sum(1 for _ in sheet.iter_rows())
else:
    from openpyxl import load_workbook
    def read():
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        return sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
def peak_kb():  # VmHWM: this process's own peak (ru_maxrss would count the parent's)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
before = peak_kb()
started = time.perf_counter()
rows = read()
seconds = time.perf_counter() - started
after = peak_kb()
print(json.dumps({"rows": rows, "seconds": seconds, "before_kb": before, "after_kb": after}))
"""
READERS = (
    ("kitlog", "kitlog: verified zip, extent check, calamine"),
    ("calamine", "python-calamine alone (no checks)"),
    ("openpyxl", "openpyxl read-only, values only"),
)


def bench_readers(rows: int, workdir: Path) -> list[str]:
    """Each reader in a child process: rows/s, and the peak RSS it added."""
    import json
    import subprocess

    print(f"Building a workbook of {rows:,} households for the readers ...", flush=True)
    path = workdir / "readers.xlsx"
    path.write_bytes(build_workbook(rows))
    root = Path(__file__).resolve().parent.parent
    problems = []
    lines = []
    for which, label in READERS:
        done = subprocess.run(  # noqa: S603 - this interpreter, this script's own code
            [sys.executable, "-c", _READER_CHILD, str(path), which],
            capture_output=True,
            text=True,
            cwd=root,
            check=False,
        )
        if done.returncode != 0:
            problems.append(f"reader {which} failed: {done.stderr[-500:]}")
            continue
        found = json.loads(done.stdout)
        if found["rows"] != rows + 1:
            problems.append(f"reader {which} read {found['rows']} rows, {rows + 1} expected")
        extra_mb = (found["after_kb"] - found["before_kb"]) / 1024
        lines.append(
            f"{label:<46} {found['seconds']:>7.2f} {found['rows'] / found['seconds']:>9,.0f}"
            f" {extra_mb:>9.0f}"
        )
    print()
    print(
        f"Reading an XLSX of {rows:,} rows ({path.stat().st_size / 1e6:.1f} MB), each in a child:"
    )
    header = f"{'reader':<46} {'s':>7} {'rows/s':>9} {'+RSS MB':>9}"
    print(header)
    print("-" * len(header))
    for line in lines:
        print(line)
    return problems


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def raw_executemany(rows: list[dict]) -> None:
    """The same rows through a bare DBAPI cursor: no ORM, no checks, one transaction."""
    columns = list(rows[0])
    connection = db.engine.raw_connection()
    try:
        marker = "?" if db.engine.dialect.name == "sqlite" else "%s"
        sql = (
            f"INSERT INTO households ({', '.join(columns)})"
            f" VALUES ({', '.join([marker] * len(columns))})"
        )
        cursor = connection.cursor()
        if db.engine.dialect.name == "sqlite":
            cursor.execute("BEGIN")  # kitlog's connections do not begin one implicitly
        cursor.executemany(sql, [tuple(row[c] for c in columns) for row in rows])
        cursor.close()
        connection.commit()
    finally:
        connection.close()


def clear_households() -> None:
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM households"))
        connection.execute(text("DELETE FROM household_imports"))


def stored_households() -> int:
    count = db.session.scalar(text("SELECT COUNT(*) FROM households"))
    db.session.rollback()
    return count


def pages_import(app, content: bytes, user_id: int, progress_log: list) -> None:
    """Upload, check (the background job), confirm and insert the rows checked at upload,
    as the pages do: the pages' own job functions (services.imports.runner), run here in
    the same thread."""
    from kitlog.services.imports import runner

    user = db.session.get(User, user_id)
    job = imports.create_import(
        db.session, filename="bench.xlsx", content=content, user=user, language="en"
    )
    db.session.commit()
    job_id = job.id
    db.session.rollback()  # end this reading: the jobs write in sessions of their own
    runner.check_job(app, job_id)
    job = db.session.get(HouseholdImport, job_id)
    if job.status != ImportStatus.READY:
        raise RuntimeError(f"the checked job is {job.status}: {job.message} {job.errors[:300]}")
    imports.begin_import(db.session, job)
    db.session.commit()
    watcher = ProgressWatcher(job_id, progress_log)
    watcher.start()
    try:
        runner.import_job_rows(app, job_id)
    finally:
        watcher.stop()
    db.session.rollback()
    job = db.session.get(HouseholdImport, job_id)
    if job.status != ImportStatus.DONE:
        raise RuntimeError(f"the import job is {job.status}: {job.message}")
    db.session.rollback()


class ProgressWatcher:
    """Reads the job's progress every 0.1 s from a connection of its own, as the job
    page of another worker would: (seconds, status, processed, total) when it changes."""

    def __init__(self, job_id: int, log: list):
        import threading

        self.job_id, self.log = job_id, log
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.engine = db.engine

    def start(self):
        self.started = time.perf_counter()
        self.thread.start()

    def stop(self):
        self.stopped.set()
        self.thread.join()
        self.look()

    def look(self):
        with self.engine.connect() as connection:
            seen = connection.execute(
                text(
                    "SELECT status, processed_rows, total_rows FROM household_imports"
                    " WHERE id = :id"
                ),
                {"id": self.job_id},
            ).first()
        if seen is not None and (not self.log or tuple(seen) != tuple(self.log[-1][1:])):
            self.log.append((time.perf_counter() - self.started, *seen))

    def run(self):
        while not self.stopped.wait(0.1):
            self.look()


def bench_database(name: str, url: str, content: bytes, rows: int, workdir: Path):
    logging.getLogger("alembic").setLevel(logging.WARNING)
    app = create_app(
        {"DATABASE_URL": url, "IMPORTS_IN_BACKGROUND": False},
        instance_path=str(workdir / f"instance-{name}"),
    )
    timings: list[Timing] = []
    problems: list[str] = []
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        user = User(email="bench@example.org", name="Bench", role="admin", password_hash="-")  # noqa: S106 - nobody logs in
        db.session.add(user)
        db.session.commit()
        user_id = user.id

        read_s, read_rows = timed(lambda: openpyxl_read(content))
        check_s, checked = timed(
            lambda: imports.check_spreadsheet(db.session, content, "bench.xlsx", today=TODAY)
        )
        db.session.commit()
        if checked.errors:
            problems.append(f"{name}: the generated file has problems: {checked.errors[:3]}")
            return timings, problems
        timings.append(
            Timing(name, "parse + validate", check_s, "openpyxl read-only", read_s, rows)
        )

        # The baseline first, on the same dicts the import will insert, then cleared.
        baseline = [
            {**columns, "code": f"RAW-{i:06d}", "created_at": TODAY, "updated_at": TODAY}
            for i, (_line, columns) in enumerate(checked.rows)
        ]
        raw_s, _ = timed(lambda: raw_executemany(baseline))
        clear_households()

        def kitlog_insert():
            imports.import_households(db.session, checked, user=None)
            db.session.commit()

        insert_s, _ = timed(kitlog_insert)
        stored = stored_households()
        if stored != rows:
            problems.append(f"{name}: {stored} households stored, {rows} expected")
        timings.append(
            Timing(name, "insert (bulk, one commit)", insert_s, "executemany", raw_s, rows)
        )
        base_name, base_s = "read + executemany", read_s + raw_s

        # The whole import, file bytes to rows: as the API does it (one request) ...
        clear_households()

        def api_import():
            imports.import_spreadsheet(db.session, content, "bench.xlsx", user=None, today=TODAY)
            db.session.commit()

        api_s, _ = timed(api_import)
        stored = stored_households()
        if stored != rows:
            problems.append(f"{name}: API import stored {stored} households, {rows} expected")
        timings.append(Timing(name, "whole import: API", api_s, base_name, base_s, rows))

        # ... and as the pages do it: check (a job), confirm, insert the checked rows.
        clear_households()
        progress_log: list = []
        pages_s, _ = timed(lambda: pages_import(app, content, user_id, progress_log))
        stored = stored_households()
        if stored != rows:
            problems.append(
                f"{name}: the pages' import stored {stored} households, {rows} expected"
            )
        timings.append(Timing(name, "whole import: pages", pages_s, base_name, base_s, rows))
        problems += progress_problems(name, progress_log, rows, db.engine.dialect.name)
        print_progress(name, progress_log)
        if read_rows != rows + 1:
            problems.append(f"{name}: openpyxl read {read_rows} rows, {rows + 1} expected")
        db.session.remove()
        db.engine.dispose()
    return timings, problems


def progress_problems(name: str, log: list, rows: int, dialect: str) -> list[str]:
    """The pages' import showed progress while inserting."""
    importing = [
        (processed, total) for _s, status, processed, total in log if status == "importing"
    ]
    if not importing:
        return [f"{name}: no progress was seen during the import"]
    # The blueprint reports the rows checked at upload as the first half, the insert as
    # the second.
    inserting = [p for p, total in importing if total and rows // 2 < p < rows]
    # One report a chunk of imports.INSERT_CHUNK rows; the watcher reads every 0.1 s.
    if dialect == "postgresql" and rows >= 4 * imports.INSERT_CHUNK and len(inserting) < 2:
        return [f"{name}: the progress did not advance while the rows were inserted: {importing}"]
    return []


def print_progress(name: str, log: list) -> None:
    shown = ", ".join(
        f"{s:.1f}s {status} {processed}/{total}" for s, status, processed, total in log
    )
    print(f"  {name}: progress seen by another connection during the pages' import: {shown}")


def print_table(timings: list[Timing], rows: int, size: int) -> None:
    print()
    print(f"Importing {rows:,} households from an XLSX file of {size / 1e6:.1f} MB:")
    header = (
        f"{'database':<11} {'phase':<26} {'kitlog s':>9} {'rows/s':>9}"
        f" {'baseline':<22} {'base s':>7} {'kitlog/base':>12}"
    )
    print(header)
    print("-" * len(header))
    for t in timings:
        print(
            f"{t.database:<11} {t.phase:<26} {t.kitlog_s:>9.2f} {t.rate:>9,.0f}"
            f" {t.baseline:<22} {t.baseline_s:>7.2f} {t.ratio:>12.2f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000, help="households (50,000)")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    add_postgresql_option(parser, kitlog_config.TestConfig.POSTGRES_TEST_URL, BENCH_DATABASE)
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases")
    parser.add_argument(
        "--reader-rows",
        type=int,
        default=100_000,
        help="rows of the sheet the readers alone read (100,000; 0 skips them)",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.rows <= imports.MAX_ROWS:
        parser.error(f"--rows must be from 1 to {imports.MAX_ROWS}")

    print(f"Building a workbook of {args.rows:,} households ...", flush=True)
    built_s, content = timed(lambda: build_workbook(args.rows))
    print(f"  built in {built_s:.1f} s ({len(content) / 1e6:.1f} MB)", flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="kitlog-bench-imports-"))
    timings: list[Timing] = []
    problems: list[str] = []
    try:
        found, wrong = bench_database(
            "SQLite", f"sqlite:///{workdir / 'bench.db'}", content, args.rows, workdir
        )
        timings += found
        problems += wrong

        def on_postgresql(url: str) -> None:
            found, wrong = bench_database("PostgreSQL", url, content, args.rows, workdir)
            timings.extend(found)
            problems.extend(wrong)

        SCRATCH.bench(
            args.postgresql, on_postgresql, skip=args.sqlite_only, keep=args.keep, say_kept=False
        )
    finally:
        if args.keep:
            print(f"Scratch files kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print_table(timings, args.rows, len(content))
    if args.reader_rows:
        readers_dir = Path(tempfile.mkdtemp(prefix="kitlog-bench-readers-"))
        try:
            problems += bench_readers(args.reader_rows, readers_dir)
        finally:
            shutil.rmtree(readers_dir, ignore_errors=True)
    for problem in problems:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
