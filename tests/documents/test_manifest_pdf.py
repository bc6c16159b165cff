"""The printed manifest: every parcel's short code and household code and the number on
the pages, "page X of Y" on each, the QR code opens the manifest's page, VOID when
cancelled, and never a household's NIK or phone."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import Household
from kitlog.services import manifests
from kitlog.services.parcel_codes import format_short_code
from tests.documents.pdf import decode_pages, page_count, page_texts
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
