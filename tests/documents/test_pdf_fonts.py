"""Every PDF prints names in any script: a Korean donor, a Polish village, a Vietnamese head
of household, read back by poppler's pdftotext as a reader would; the fonts are embedded
as subsets and no PDF standard font is left. Latin text stays in the main face. A batch is
named by its lot, and no cell of the donor report cuts a word or runs into the next one,
also in Indonesian, whose headers are the longest."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from datetime import date
from itertools import combinations

import pytest
from flask_babel import force_locale, gettext

from kitlog.documents.cards import CardFace, render_card, render_card_sheets
from kitlog.documents.donor_report import Formats, render_donor_report
from kitlog.documents.labels import LAYOUTS, Label, render_labels, render_test_sheet
from kitlog.documents.manifest import ManifestDocument, ManifestRow, render_manifest
from tests.documents.pdf import char_fonts, embedded_fonts, page_texts, poppler, words
from tests.documents.reports import sample_report

KOREAN = "한국국제협력단"  # KOICA, the founding donor, in its own name
VILLAGE = "Śląsk"
HEAD = "Nguyễn Thị Ánh"
# The 14 fonts every PDF reader has, which a PDF may name without embedding them: they
# know Latin-1 only.
STANDARD_14 = {
    f"{family}{style}"
    for family, styles in (
        ("Helvetica", ("", "-Bold", "-Oblique", "-BoldOblique")),
        ("Courier", ("", "-Bold", "-Oblique", "-BoldOblique")),
        ("Times", ("-Roman", "-Bold", "-Italic", "-BoldItalic")),
        ("Symbol", ("",)),
        ("ZapfDingbats", ("",)),
    )
    for style in styles
}
LONG_LOT = "KOICA-HYGIENE-FAMILY-KITS-NOVEMBER-2020-002"  # too long for one line of its cell
AGREEMENT = "IOM-BP2MI/KOICA/2020-11"


@pytest.fixture
def indonesian(app):
    """The donor report's formats as the Indonesian export passes them."""
    with force_locale("id"):
        yield Formats(gettext=gettext)


def label(**values) -> Label:
    return Label(
        **{
            "url": "https://kitlog.example.org/p/abcdefghijklmnopqrst",
            "code": "ABC-DEF-GHJ",
            "household": "HH-000001",
            "village": VILLAGE,
            "round_name": "Paket kebersihan KOICA",
            "donor": "KOICA",
            "kits": "1 kit",
            "head_name": HEAD,
            **values,
        }
    )


def card(**values) -> CardFace:
    return CardFace(
        **{
            "url": "https://kitlog.example.org/h/abcdefghijklmnop",
            "short_code": "ABC-DEF-GHJ",
            "household_code": "HH-000001",
            "head_name": HEAD,
            "village": VILLAGE,
            "regency": f"Kabupaten {KOREAN}",
            "issued": date(2026, 3, 1),
            **values,
        }
    )


def manifest(**values) -> ManifestDocument:
    return ManifestDocument(
        **{
            "organisation": "IOM Indonesia",
            "number": "SBY-01/2026/0001",
            "url": "https://kitlog.example.org/manifests/1",
            "date": "3 Des 2026",
            "origin": "SBY-01",
            "destination": "Kabupaten Malang",
            "vehicle": "L 1234 AB",
            "driver_name": "Joko Widodo",
            "driver_phone": "+6281234567890",
            "status": "Dikirim",
            "donors": [f"KOICA {KOREAN}"],
            "rounds": ["Round 1"],
            "rows": [ManifestRow("ABC-DEF-GHJ", "HH-000001", VILLAGE, HEAD, 1)],
            **values,
        }
    )


def korean_report():
    """The sample report of a Korean donor whose batches have a long lot and agreement."""
    report = sample_report(donor_name=f"{KOREAN} (KOICA)")
    first, second = report.batches
    report.batches = [
        replace(first, lot="KOICA-HK-2020-001", reference=AGREEMENT),
        replace(second, lot=LONG_LOT, reference=AGREEMENT),
    ]
    report.expiring = [report.batches[1]]
    return report


def empty_report():
    report = sample_report()
    report.batches, report.timeline, report.by_region, report.expiring = [], [], [], []
    return report


def test_a_korean_donors_name_prints_in_the_donor_report_and_latin_stays_in_the_main_face():
    pdf = render_donor_report(korean_report(), organisation="IOM Indonesia")
    assert f"Donor report: {KOREAN} (KOICA)" in poppler("pdftotext", pdf)
    title = char_fonts(pdf)[: len(f"Donor report: {KOREAN} (KOICA)")]
    assert {font for char, font in title if char in KOREAN} == {"DroidSansFallback"}
    assert {font for char, font in title if char.isascii() and char.strip()} == {
        "LiberationSans-Bold"
    }


def test_a_pdf_without_korean_embeds_no_fallback_face():
    pdf = render_donor_report(sample_report(), organisation="IOM Indonesia")
    assert {font.name.split("+")[-1] for font in embedded_fonts(pdf)} == {
        "LiberationSans",
        "LiberationSans-Bold",
    }


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_polish_and_vietnamese_names_print_on_labels_in_the_main_face(layout):
    typed_apart = unicodedata.normalize("NFD", HEAD)  # ễ as e + two combining accents
    pdf = render_labels([label(head_name=typed_apart)], LAYOUTS[layout])
    text = poppler("pdftotext", pdf)
    assert VILLAGE in text and HEAD in text
    fonts = {font for char, font in char_fonts(pdf) if char in "ŚąễịÁ"}
    assert fonts <= {"LiberationSans", "LiberationSans-Bold"} and fonts


def test_polish_vietnamese_and_korean_names_print_on_the_manifest():
    text = poppler("pdftotext", render_manifest(manifest()))
    assert VILLAGE in text and HEAD in text and f"KOICA {KOREAN}" in text


# Every PDF kitlog makes, with names in every script it may meet.
PDFS = {
    **{
        f"labels {name}": lambda name=name: render_labels([label(), label()], LAYOUTS[name])
        for name in LAYOUTS
    },
    **{
        f"test sheet {name}": lambda name=name: render_test_sheet(
            LAYOUTS[name], lines=[f"{VILLAGE}: cetak di kertas biasa", KOREAN]
        )
        for name in LAYOUTS
    },
    "manifest": lambda: render_manifest(manifest()),
    "household card": lambda: render_card(card()),
    "household card sheets": lambda: render_card_sheets([card()] * 11),
    "void manifest without names": lambda: render_manifest(
        manifest(void=True, void_reason="Truk rusak", heads=False, rows=[])
    ),
    "donor report": lambda: render_donor_report(korean_report(), organisation="IOM"),
    "donor report before any batch": lambda: render_donor_report(
        empty_report(), organisation="IOM"
    ),
}


@pytest.mark.parametrize("name", sorted(PDFS))
def test_every_pdf_embeds_subsets_of_its_fonts_and_no_standard_font(name):
    fonts = embedded_fonts(PDFS[name]())
    assert fonts
    for font in fonts:
        assert font.embedded and font.subset, font
        assert font.name.split("+")[-1] not in STANDARD_14, font


def lines_joined_at_breaks(pdf: bytes) -> str:
    """The PDF's text, in the order it is drawn (pdfium: a cell's lines one after the
    other; pdftotext would drop the hyphen that ends a line), each line that ends in a
    hyphen or a slash joined to the next: a word cut anywhere else stays cut."""
    text = "\n".join(page_texts(pdf)).replace("\r\n", "\n")
    text = text.replace("\ufffe", "-")  # pdfium's hyphen at the end of a line
    return re.sub(r"(?<=[-/])\n", "", text)


def test_a_batch_is_named_by_its_lot_and_no_cell_cuts_it_inside_a_word(indonesian):
    pdf = render_donor_report(korean_report(), organisation="IOM Indonesia", formats=indonesian)
    text = lines_joined_at_breaks(pdf)
    # the batch table, the losses (two reasons) and the reconciliation
    assert text.count("KOICA-HK-2020-001") == 4
    assert text.count(LONG_LOT) == 3  # the table, the reconciliation, nearing expiry
    assert " ".join(text.split()).count(f"perjanjian {AGREEMENT}") == 2  # under each lot


def test_the_indonesian_batch_table_headers_do_not_overlap(indonesian):
    pdf = render_donor_report(korean_report(), organisation="IOM Indonesia", formats=indonesian)
    page = words(pdf, 1)
    heading = next(w for w in page if w.text == gettext("Batches"))
    first_row = next(w for w in page if w.text.startswith("KOICA-HK-"))
    header = [w for w in page if w.top > heading.bottom and w.bottom <= first_row.top + 0.5]
    titles = ("Kit type", "Expires", "Pledged", "Received", "Lost", "Adjusted", "On hand")
    titles += ("of which reserved", "In transit", "Delivered", "Households")
    assert {word for title in titles for word in gettext(title).split()} <= {w.text for w in header}
    for a, b in combinations(header, 2):
        same_line = a.top < b.bottom and b.top < a.bottom
        assert not (same_line and a.left < b.right - 0.2 and b.left < a.right - 0.2), (a, b)
