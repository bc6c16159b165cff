"""`make bench`: label sheets and a manifest as PDF over HTTP, against plain reportlab loops.

Builds its own world in a scratch SQLite file through kitlog's services (a donor batch,
households imported from a generated CSV, one open round allocated to every household,
1,000 of its parcels packed and loaded onto one manifest), starts `gunicorn wsgi:app`
(2 workers) on loopback, and times, as the median of several runs:

  - GET /api/v1/rounds/{id}/labels.pdf (a4-3x8, every parcel of the round), with an API
    token, against a plain reportlab loop in this process that draws the same labels:
    each QR encoded by the `qrcode` library with its mask chosen, one rectangle per run
    of dark modules through reportlab's path API, the same text lines by drawString;
  - GET /api/v1/manifests/{id}.pdf (1,000 parcels), against a plain reportlab table of
    the same 1,000 rows (SimpleDocTemplate, one Table, a grid, the header repeated).

It prints labels (rows) a second, seconds and the ratios, and asserts nothing about
speed. It exits non-zero only on a wrong result: a status other than 200, a label count
that is not the round's, or a sample of pages whose QR codes (rendered by pypdfium2,
read by zxing-cpp) are not the parcels' URLs, one per label.

    python bench/labels.py [--parcels N] [--manifest N] [--repeat N] [--workers N] [--keep]

SQLite only: the work measured is rendering, which does not depend on the database.
"""

from __future__ import annotations

import argparse
import io
import logging
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))  # bench/common.py

from common import (  # noqa: E402
    free_port,
    households_csv,
    hygiene_kit,
    start_gunicorn,
    stop_gunicorn,
    turen_village,
)

from kitlog import create_app  # noqa: E402
from kitlog.extensions import db  # noqa: E402
from kitlog.models import Household, Parcel, Round  # noqa: E402
from kitlog.services import distribution, imports, manifests, reference, scans, stock, users  # noqa: E402

BASE_URL = "https://kitlog.example.org"
AREA = {"province": "Jawa Timur", "regency": "Kabupaten Malang"}
TODAY = date(2026, 12, 1)
HTTP_TIMEOUT = 600


# -- the world -------------------------------------------------------------------------------


@dataclass
class World:
    round_id: int
    manifest_id: int
    token: str
    urls: set[str]
    manifest_parcels: int


def build_world(parcels: int, on_manifest: int) -> World:
    session = db.session
    donor = reference.create_donor(session, code="KOICA", name="KOICA", country="Korea")
    kit = hygiene_kit(session)
    warehouse = reference.create_warehouse(
        session,
        code="SBY-01",
        name="Gudang Surabaya",
        province=AREA["province"],
        regency="Kota Surabaya",
    )
    batch = stock.receive_batch(
        session,
        donor=donor,
        kit_type=kit,
        warehouse=warehouse,
        reference="BENCH",
        lot="LOT-BENCH",
        expiry_date=date(2030, 1, 1),
        quantity_pledged=parcels + 100,
        quantity_received=parcels + 100,
        quantity_damaged=0,
        received_date=date(2026, 11, 1),
        user=None,
    )
    session.commit()
    checked = imports.check_spreadsheet(
        session, households_csv(parcels, AREA, turen_village), "bench.csv", today=TODAY
    )
    if checked.errors:
        raise SystemExit(f"the generated households do not import: {checked.errors[:3]}")
    imports.import_households(session, checked, user=None)
    session.commit()
    round_ = distribution.create_round(
        session,
        name="KOICA hygiene kits, Kabupaten Malang, December 2026",
        batches=[batch],
        warehouse=warehouse,
        entitlement=1,
        user=None,
        **AREA,
    )
    distribution.open_round(session, round_, user=None)
    result = distribution.allocate(session, round_, user=None, today=TODAY)
    session.commit()
    if result.allocated != parcels:
        raise SystemExit(f"allocated {result.allocated} parcels, not {parcels}")

    keeper = users.create_user(
        session,
        email="bench-store@example.org",
        password="bench-password-store",  # noqa: S106 - a scratch user
        role="warehouse",
        name="Bench storekeeper",
        language="en",
    )
    token = users.create_token(session, keeper, "bench")[1]
    session.commit()
    rows = session.execute(
        select(Parcel.id, Parcel.short_code, Parcel.token)
        .join(Household)
        .where(Parcel.round_id == round_.id)
        .order_by(Parcel.id)
    ).all()
    to_load = [row.short_code for row in rows[:on_manifest]]
    for n, code in enumerate(to_load):
        outcome = scans.record_scan(
            session,
            scans.ScanInput(code=code, action="pack", idempotency_key=f"bench-pack-{n}"),
            user=keeper,
        )
        if outcome.outcome != "ok":
            raise SystemExit(f"packing {code}: {outcome.detail}")
    session.commit()
    manifest = manifests.create_manifest(
        session,
        warehouse=warehouse,
        destination="Kecamatan Turen",
        vehicle="N 1234 AB",
        driver_name="Budi Santoso",
        driver_phone="081234567890",
        parcels=to_load,
        user=keeper,
    )
    session.commit()
    return World(
        round_id=round_.id,
        manifest_id=manifest.id,
        token=token,
        urls={f"{BASE_URL}/p/{row.token}" for row in rows},
        manifest_parcels=len(to_load),
    )


# -- gunicorn ----------------------------------------------------------------------------------


def get(port: int, path: str, token: str | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as answer:  # noqa: S310
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


# -- the baselines -----------------------------------------------------------------------------


def plain_labels(urls: list[str], texts: list[list[str]]) -> bytes:
    """The same labels drawn the plain way: qrcode (mask chosen), one rect per dark run
    through reportlab's path API, drawString for the lines."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M
    from reportlab.pdfgen.canvas import Canvas

    from kitlog.documents.labels import LAYOUTS

    mm = 72 / 25.4
    layout = LAYOUTS["a4-3x8"]
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(210 * mm, 297 * mm), pageCompression=1, invariant=1)
    origins = [(left * mm, (297 - top) * mm) for left, top in layout.positions()]
    sizes = [14, 9, 8.5, 7, 7]
    for n, (url, lines) in enumerate(zip(urls, texts, strict=True)):
        if n and n % len(origins) == 0:
            canvas.showPage()
        x, y_top = origins[n % len(origins)]
        code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
        code.add_data(url)
        code.make(fit=True)
        matrix = code.modules
        module = (33.9 - 2.4) * mm / (len(matrix) + 8)
        left, top = x + 1.2 * mm + 4 * module, y_top - 1.2 * mm - 4 * module
        path = canvas.beginPath()
        for r, row in enumerate(matrix):
            start = None
            for c, dark in enumerate([*row, False]):
                if dark and start is None:
                    start = c
                elif not dark and start is not None:
                    path.rect(
                        left + start * module, top - (r + 1) * module, (c - start) * module, module
                    )
                    start = None
        canvas.drawPath(path, stroke=0, fill=1)
        baseline = y_top - 6 * mm
        for text, size in zip(lines, sizes, strict=False):
            canvas.setFont("Helvetica-Bold" if size > 8 else "Helvetica", size)
            canvas.drawString(x + 33 * mm, baseline, text)
            baseline -= size * 1.2
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def plain_table(rows: list[list[str]]) -> bytes:
    """A plain reportlab table of the same rows: one Table, a grid, the header repeated."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate, Table, TableStyle

    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm)
    header = ["#", "Parcel", "Household", "Village", "Head", "Kits", "Received"]
    table = Table([header, *rows], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("FONTSIZE", (0, 0), (-1, -1), 8),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    document.build([table])
    return buffer.getvalue()


# -- measuring and checking ----------------------------------------------------------------------


def median_s(fn, repeat: int) -> tuple[float, list[float], object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times, result


def check_labels(pdf: bytes, urls: set[str], expected: int, per_page: int) -> list[str]:
    """Decode a sample of pages (the first two, one in the middle, the last): every label
    found, every code a parcel's URL, none twice."""
    import pypdfium2 as pdfium
    import zxingcpp

    problems = []
    document = pdfium.PdfDocument(pdf)
    try:
        pages = len(document)
        if pages != -(-expected // per_page):
            problems.append(f"{pages} pages for {expected} labels")
        seen: set[str] = set()
        for index in sorted({0, 1, pages // 2, pages - 1} & set(range(pages))):
            image = document[index].render(scale=200 / 72).to_pil().convert("L")
            found = [
                code.text
                for code in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
            ]
            want = min(per_page, expected - index * per_page)
            if len(found) != want:
                problems.append(f"page {index + 1}: {len(found)} codes read, {want} expected")
            if not set(found) <= urls:
                problems.append(f"page {index + 1}: codes that are no parcel's URL")
            if seen & set(found) or len(set(found)) != len(found):
                problems.append(f"page {index + 1}: a code printed twice")
            seen |= set(found)
    finally:
        document.close()
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=5000, help="labels (5,000)")
    parser.add_argument("--manifest", type=int, default=1000, help="manifest rows (1,000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, median (3)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = parser.parse_args(argv)
    if args.manifest > args.parcels:
        parser.error("--manifest must not exceed --parcels")

    logging.getLogger("alembic").setLevel(logging.WARNING)
    workdir = Path(tempfile.mkdtemp(prefix="kitlog-bench-labels-"))
    url = f"sqlite:///{workdir / 'bench.db'}"
    problems: list[str] = []
    try:
        print(f"Building {args.parcels:,} parcels in {workdir} ...", flush=True)
        started = time.perf_counter()
        app = create_app(
            {"DATABASE_URL": url, "BASE_URL": BASE_URL}, instance_path=str(workdir / "instance")
        )
        logging.getLogger("alembic").setLevel(logging.WARNING)
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            world = build_world(args.parcels, args.manifest)
            db.session.remove()
            db.engine.dispose()
            with app.test_request_context(headers={"Accept-Language": "en"}):
                from kitlog.services import labels as label_service

                round_ = db.session.get(Round, world.round_id)
                selection = label_service.select_labels()
                sample = label_service.round_labels(
                    db.session, round_, selection, base_url=BASE_URL
                )
                manifest = manifests.get_manifest(db.session, world.manifest_id)
                table_rows = [
                    [
                        str(n),
                        p.short_code,
                        p.household.code,
                        p.household.village,
                        p.household.head_name,
                        str(p.kits),
                        "",
                    ]
                    for n, p in enumerate(manifests.manifest_parcels(db.session, manifest), 1)
                ]
                db.session.remove()
        print(f"  built in {time.perf_counter() - started:.1f} s", flush=True)
        baseline_urls = [label.url for label in sample]
        baseline_texts = [
            [
                label.code,
                label.household,
                label.village,
                label.round_name,
                f"{label.donor} · {label.kits}",
            ]
            for label in sample
        ]

        port = free_port()
        log = workdir / "gunicorn.log"
        server = start_gunicorn(
            url, args.workers, port, log, extra_env={"KITLOG_BASE_URL": BASE_URL}, timeout=120
        )
        try:
            labels_path = f"/api/v1/rounds/{world.round_id}/labels.pdf"
            manifest_path = f"/api/v1/manifests/{world.manifest_id}.pdf"
            get(port, manifest_path, world.token)  # warm-up: imports, fonts, a connection
            print(f"  gunicorn -w {args.workers} on 127.0.0.1:{port}; timing ...", flush=True)
            label_s, label_runs, (status, headers, pdf) = median_s(
                lambda: get(port, labels_path, world.token), args.repeat
            )
            plain_s, _plain_runs, plain_pdf = median_s(
                lambda: plain_labels(baseline_urls, baseline_texts), args.repeat
            )
            manifest_s, _runs, (m_status, _m_headers, manifest_pdf) = median_s(
                lambda: get(port, manifest_path, world.token), args.repeat
            )
            table_s, _runs, _table_pdf = median_s(lambda: plain_table(table_rows), args.repeat)
        finally:
            stop_gunicorn(server, timeout=30)

        if status != 200:
            problems.append(f"labels: HTTP {status}: {pdf[:300]!r}")
        elif headers.get("X-Label-Count") != str(args.parcels):
            problems.append(f"labels: X-Label-Count {headers.get('X-Label-Count')}")
        else:
            problems += check_labels(pdf, world.urls, args.parcels, 24)
        if m_status != 200 or not manifest_pdf.startswith(b"%PDF"):
            problems.append(f"manifest: HTTP {m_status}")

        n, m = args.parcels, world.manifest_parcels
        print()
        print(
            f"Label and manifest PDFs over HTTP (gunicorn -w {args.workers}, SQLite, loopback),"
            f" median of {args.repeat}; baselines in this process:"
        )
        header = (
            f"{'document':<34} {'kitlog s':>9} {'per s':>8} {'baseline':<34}"
            f" {'base s':>7} {'per s':>8} {'kitlog/base':>12}"
        )
        print(header)
        print("-" * len(header))
        for name, kitlog_s, count, base_name, base_s in (
            (f"{n:,} labels a4-3x8 (GET .pdf)", label_s, n, "reportlab loop, qrcode", plain_s),
            (f"manifest of {m:,} parcels (GET .pdf)", manifest_s, m, "reportlab Table", table_s),
        ):
            print(
                f"{name:<34} {kitlog_s:>9.2f} {count / kitlog_s:>8,.0f} {base_name:<34}"
                f" {base_s:>7.2f} {count / base_s:>8,.0f} {kitlog_s / base_s:>12.2f}"
            )
        print()
        print(
            f"labels: runs {', '.join(f'{s:.2f}' for s in label_runs)} s;"
            f" {len(pdf) / 1e6:.1f} MB (plain loop {len(plain_pdf) / 1e6:.1f} MB);"
            f" target >= 400 labels/s: {n / label_s:,.0f}"
        )
        errors = [line for line in log.read_text().splitlines() if "Traceback" in line]
        if errors:
            problems.append(f"gunicorn logged {len(errors)} traceback(s): see {log}")
    finally:
        if args.keep:
            print(f"Scratch files kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    for problem in problems:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
