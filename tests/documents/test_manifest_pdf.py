"""The printed manifest: every parcel's short code and household code and the number on
the pages, "page X of Y" on each, the QR code opens the manifest's page, VOID when
cancelled, and never a household's NIK or phone. The note reaches the driver, the
signatures never stand alone on the last page, no head-of-household column when names are
hidden, and the number never breaks across lines."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import Household
from kitlog.services import manifests
from kitlog.services.parcel_codes import format_short_code
from tests.documents.pdf import char_boxes, decode_pages, page_count, page_texts
from tests.worlds import ScanWorld

BASE_URL = "https://kitlog.example.org"


class _BigBatch:
    """The test factory, with batches of 100 kits: enough for 60 households."""

    def __init__(self, make):
        self._make = make

    def __getattr__(self, name):
        return getattr(self._make, name)

    def batch(self, **values):
        return self._make.batch(**{**values, "received": 100})


@pytest.fixture
def w(make) -> ScanWorld:
    return ScanWorld(_BigBatch(make), households=60)


def pdf_of(manifest, *, show_names=True, language="en") -> bytes:
    with force_locale(language):
        return manifests.manifest_pdf(
            db.session,
            manifest,
            organisation="IOM Indonesia",
            base_url=BASE_URL,
            show_names=show_names,
        ).pdf


def flat(text: str) -> str:
    return " ".join(text.split())


def test_a_60_parcel_manifest_prints_every_parcel_and_page_x_of_y(w):
    manifest = w.on_the_road(w.parcels)
    pdf = pdf_of(manifest)
    texts = [flat(t) for t in page_texts(pdf)]
    pages = page_count(pdf)
    assert pages >= 2
    with_rows = 0
    for n, text in enumerate(texts, start=1):
        assert f"Page {n} of {pages}" in text
        assert manifest.number in text  # every loose sheet names its manifest
        if any(format_short_code(p.short_code) in text for p in w.parcels):
            with_rows += 1  # the table's header repeats on every page it runs onto
            assert "Household" in text and "Received (tick or sign)" in text
    assert with_rows >= 2
    everything = " ".join(texts)
    for parcel in w.parcels:
        assert format_short_code(parcel.short_code) in everything
        assert parcel.household.code in everything
        assert parcel.household.head_name in everything
    assert "IOM Indonesia" in texts[0] and "KOICA" in texts[0] and "Round 1" in texts[0]
    assert "L 1234 AB" in texts[0] and "Joko Widodo" in texts[0] and "+6281234567890" in texts[0]
    assert "390 kg" in everything or "390.0 kg" in everything  # 60 kits x 6.5 kg
    assert "Provisional" not in everything


def test_the_manifest_pdf_never_prints_a_household_nik_or_phone(w):
    manifest = w.on_the_road(w.parcels)
    everything = " ".join(page_texts(pdf_of(manifest)))
    # digit runs, also when a reader would have written them with spaces or dashes
    runs = re.findall(r"\d+", re.sub(r"(?<=\d)[\s.-](?=\d)", "", everything))
    households = list(db.session.scalars(select(Household)))
    assert len(households) == 60
    for household in households:
        local = "0" + household.phone.removeprefix("+62")
        for secret in (household.nik, household.phone.lstrip("+"), local):
            assert not any(secret in run for run in runs), secret
    assert any("6281234567890" in run for run in runs)  # the driver's phone is printed


def test_the_qr_code_opens_the_manifest_page(w):
    manifest = w.on_the_road(w.parcels[:3])
    found = decode_pages(pdf_of(manifest))
    assert [f.text for f in found[0]] == [f"{BASE_URL}/manifests/{manifest.id}"]


def test_an_open_manifest_prints_provisional_totals_and_no_head_names_for_the_warehouse(w):
    parcels = w.parcels[:2]
    for parcel in parcels:
        w.scan(parcel, "pack")
    manifest = w.manifest(parcels)
    text = flat(" ".join(page_texts(pdf_of(manifest, show_names=False))))
    assert "Provisional: the manifest has not been dispatched yet." in text
    assert "13 kg" in text or "13.0 kg" in text
    for parcel in parcels:
        assert parcel.household.code in text and parcel.household.head_name not in text


def test_hidden_names_leave_out_the_head_of_household_column(w):
    manifest = w.on_the_road(w.parcels[:2])
    hidden = flat(" ".join(page_texts(pdf_of(manifest, show_names=False))))
    shown = flat(" ".join(page_texts(pdf_of(manifest, show_names=True))))
    assert "Head of household" not in hidden and "Head of household" in shown
    assert "Received (tick or sign)" in hidden  # the rest of the table is still there
    for parcel in w.parcels[:2]:
        assert parcel.household.code in hidden
    indonesian = flat(" ".join(page_texts(pdf_of(manifest, show_names=False, language="id"))))
    assert "Kepala keluarga" not in indonesian


def test_the_manifest_prints_its_note_for_the_driver(w):
    for parcel in w.parcels[:2]:
        w.scan(parcel, "pack")
    note = "Antar ke balai desa, bukan ke rumah kepala desa.\nTelepon Pak RT sebelum tiba."
    manifest = w.manifest(w.parcels[:2], note=note)
    text = page_texts(pdf_of(manifest, language="id"))[0]
    lines = [line.strip() for line in text.splitlines()]
    assert "Catatan" in lines
    assert "Antar ke balai desa, bukan ke rumah kepala desa." in lines  # its lines are kept
    assert "Telepon Pak RT sebelum tiba." in lines
    assert "Catatan" not in page_texts(pdf_of(w.on_the_road(w.parcels[2:3]), language="id"))[0]


def test_a_long_manifest_number_stays_on_one_line(w, make):
    warehouse = make.warehouse("GUDANG-PUSAT-SURABAYA-TIMUR-01")
    manifest = w.manifest(warehouse=warehouse)
    assert manifest.number == "GUDANG-PUSAT-SURABAYA-TIMUR-01/2026/0001"
    lines = [line.strip() for line in page_texts(pdf_of(manifest))[0].splitlines()]
    under_its_label = lines[lines.index("Manifest no.") + 1]
    assert under_its_label.split()[0] == manifest.number
    assert any(f"Manifest no. {manifest.number} Page 1 of 1" in line for line in lines)


def test_a_round_that_prints_names_on_labels_prints_them_on_the_manifest(w):
    w.round.show_head_name = True
    db.session.commit()
    manifest = w.on_the_road(w.parcels[:1])
    text = flat(" ".join(page_texts(pdf_of(manifest, show_names=False))))
    assert w.parcels[0].household.head_name in text


def test_a_cancelled_manifest_is_watermarked_void_and_keeps_its_number(w):
    w.scan(w.parcels[0], "pack")
    manifest = w.manifest([w.parcels[0]])
    manifests.cancel_manifest(db.session, manifest, reason="Truck broke down", user=w.budi)
    db.session.commit()
    text = flat(page_texts(pdf_of(manifest))[0])
    assert "VOID" in text and manifest.number in text and "Truck broke down" in text


def test_the_manifest_pdf_speaks_indonesian(w):
    manifest = w.on_the_road(w.parcels[:1])
    text = flat(page_texts(pdf_of(manifest, language="id"))[0])
    assert manifest.number in text
    assert "Halaman 1 dari 1" in text and "Kepala keluarga" in text


def test_a_wide_short_code_is_printed_whole_on_one_line():
    """The widest codes (W and M in bold) shrink to fit their cell instead of wrapping
    at a dash, which left half a code on the next line."""
    from kitlog.documents.manifest import ManifestDocument, ManifestRow, render_manifest

    codes = ["WWM-MWW-WMW", "MMM-WWW-MMM", "ABC-DEF-GHJ"]
    document = ManifestDocument(
        organisation="IOM Indonesia",
        number="SBY-01/2026/0042",
        url=f"{BASE_URL}/manifests/42",
        date="3 December 2026",
        origin="SBY-01",
        destination="Turen",
        vehicle="L 1 AB",
        driver_name="Joko",
        driver_phone="",
        status="open",
        rows=[ManifestRow(code, "HH-000001", "Sedayu, Turen", "", 1) for code in codes],
    )
    lines = page_texts(render_manifest(document))[0].splitlines()
    for code in codes:
        assert any(code in line for line in lines), code


def _document(rows: int, **values):
    from kitlog.documents.manifest import ManifestDocument, ManifestRow

    return ManifestDocument(
        organisation="IOM Indonesia",
        number="SBY-01/2026/0042",
        url=f"{BASE_URL}/manifests/42",
        date="3 December 2026",
        origin="SBY-01 · Gudang Surabaya",
        destination="Desa Sedayu, Turen",
        vehicle="L 1234 AB",
        driver_name="Joko Widodo",
        driver_phone="+6281234567890",
        status="on the road",
        rows=[
            ManifestRow(f"ABC-DEF-{n:03d}", f"HH-{n:06d}", "Sedayu, Turen", f"Ibu {n}", 1)
            for n in range(1, rows + 1)
        ],
        kits_total=str(rows),
        weight="6.5 kg",
        volume="0.05 m³",
        **values,
    )


@pytest.mark.parametrize("rows", [1, 2, *range(14, 27), 200])
def test_the_signatures_never_stand_alone_on_the_last_page(rows):
    """Whatever the number of parcels (between 14 and 26 one of them used to leave the
    signature blocks alone on a page), the last page carries the last parcels, the totals
    and the three signature blocks."""
    from kitlog.documents.manifest import render_manifest

    texts = page_texts(render_manifest(_document(rows)))
    last = texts[-1]
    printed = re.findall(r"ABC-DEF-(\d{3})", last)
    assert printed, f"no parcel on the last of {len(texts)} pages"
    assert printed[-1] == f"{rows:03d}" and len(printed) >= min(rows, 3)
    totals = last.index("Totals")
    assert last.rindex("ABC-DEF-") < totals < last.index("Remarks")
    for block in ("Dispatched by", "Carried by (driver)", "Received by (village head)"):
        assert last.index(block) > totals
    for text in texts[:-1]:
        assert "Totals" not in text and "Dispatched by" not in text


def test_without_head_names_the_table_still_fills_the_page_width():
    """The column left out gives its room to the village and the signing column; nothing
    overflows the margins."""
    from kitlog.documents.manifest import render_manifest

    pdf = render_manifest(_document(3, heads=False))
    text = page_texts(pdf)[0]
    assert "Head of household" not in text and "Ibu 1" not in text
    right = max(box[2] for _char, box in char_boxes(pdf) if _char != "")
    assert right < 210 / 25.4 * 72 - 14 / 25.4 * 72 + 1  # inside the right margin
