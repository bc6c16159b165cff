"""The donor report PDF, read back as a PDF reader extracts its text."""

from __future__ import annotations

from datetime import date

from kitlog.documents.donor_report import Formats, render_donor_report
from kitlog.services.reports import BatchFigures
from tests.documents.pdf import page_count, page_size_mm, page_texts
from tests.documents.reports import sample_report


def text_of(pdf: bytes) -> str:
    # pdfium gives a hyphen that ends a line (a cell's text broken after it) as U+FFFE.
    return "\n".join(page_texts(pdf)).replace("\r\n", "\n").replace("\ufffe", "-")


def words_of(pdf: bytes) -> str:
    """The text with every line break a space: a cell's wrapped words read on."""
    return " ".join(text_of(pdf).split())


def test_an_a4_report_with_the_donor_the_date_and_page_x_of_y():
    pdf = render_donor_report(sample_report(), organisation="IOM Indonesia")
    assert page_size_mm(pdf) == (210.0, 297.0)
    pages = page_texts(pdf)
    assert pages[0].startswith("Donor report: Korea International Cooperation Agency")
    assert "IOM Indonesia · report of 2025-03-14" in pages[0]
    total = page_count(pdf)
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {total}" in page


def test_the_headline_figures_and_the_success_rate():
    text = text_of(render_donor_report(sample_report(), organisation="IOM"))
    assert "1,800\nhouseholds reached" in text
    assert "6,800\npeople reached" in text
    assert "400\nvulnerable households" in text
    assert "98%\ndelivery success rate" in text  # 1,800 of 1,845 parcels
    assert "(1,800 of 1,845 parcels)" in text
    assert "1,900\nkits delivered of 5,000" in text


def test_every_batch_named_by_its_lot_and_region_with_its_numbers():
    report = sample_report()
    text = words_of(render_donor_report(report, organisation="IOM"))
    assert (
        "L-001 agreement KOICA-2025-01 HK-FAM 2027-01-31 3,000 3,000 12 \u22123 1,285 400 200 "
        "1,500 1,400"
    ) in text
    assert (
        "L-002 agreement KOICA-2025-02 HK-FAM 2025-04-30 2,000 2,000 0 0 1,600 0 0 400 400" in text
    )
    assert "Total 5,000 5,000 12 \u22123 2,885 400 200 1,900 1,800" in text
    assert "L-001: 10 kits, water damage" in text
    # province, regency, kits delivered, households targeted and reached, people, vulnerable
    assert "Jawa Timur Kabupaten Malang 1,500 1,600 1,400 5,320 310" in text
    assert "Jawa Tengah Kabupaten Cilacap 400 450 400 1,480 90" in text
    assert "Total 1,900 2,050 1,800 6,800 400" in text
    assert "Households targeted: those with a parcel of the donor's kits" in text


def test_the_reconciliation_statement_gives_the_equation_with_the_numbers():
    text = text_of(render_donor_report(sample_report(), organisation="IOM"))
    assert (
        "L-001 3,000 received \u2212 3 adjusted = 12 lost + 1,285 on hand "
        "+ 200 in transit + 1,500 delivered reconciled"
    ) in text
    assert "Every batch reconciles to the last kit." in text


def test_a_batch_that_does_not_add_up_is_named():
    report = sample_report()
    report.batches[0].delivered += 1
    text = words_of(render_donor_report(report, organisation="IOM"))
    assert "1,501 delivered DOES NOT ADD UP" in text
    assert "At least one batch does not reconcile" in text


def test_batches_nearing_expiry_are_listed():
    text = text_of(render_donor_report(sample_report(), organisation="IOM"))
    expiring = text.split("Batches nearing expiry")[1]
    assert "L-002 HK-FAM SBY-01 2025-04-30 1,600" in expiring
    assert "L-001" not in expiring


def test_the_chart_shows_the_target_and_the_days_axis_in_the_readers_format():
    formats = Formats(short_date=lambda d: d.strftime("%d/%m"))
    text = text_of(render_donor_report(sample_report(), organisation="IOM", formats=formats))
    assert "Target: 5,000 kits pledged" in text
    assert "Kits delivered, cumulative" in text
    assert "02/02" in text  # the day before the first delivery: the line starts at 0
    assert "6,000" in text  # the axis goes past the target


def test_a_report_before_any_delivery_says_so():
    report = sample_report()
    report.timeline, report.by_region, report.expiring = [], [], []
    report.parcels_delivered = report.parcels_failed = 0
    text = words_of(render_donor_report(report, organisation="IOM"))
    assert text.count("No kit has been delivered yet.") == 2  # chart and regions
    assert "no delivery attempted yet" in text
    assert "No batch with kits on hand is nearing its expiry date." in text


def test_texts_come_in_the_readers_language_and_markup_is_not_interpreted():
    report = sample_report(donor_name="A&B <Foundation>")
    formats = Formats(
        gettext=lambda s: (
            s.replace("Donor report", "Laporan donor")
            .replace("Page", "Halaman")
            .replace(" of ", " dari ")
        )
    )
    text = text_of(render_donor_report(report, organisation="IOM", formats=formats))
    assert "Laporan donor: A&B <Foundation>" in text  # the whole translated title
    assert "Halaman 1 dari" in text


def test_many_batches_run_over_pages_and_every_page_is_numbered():
    report = sample_report()
    first = report.batches[0]
    report.batches = [
        BatchFigures(
            **{**first.__dict__, "id": i, "lot": f"B-{i:03}", "expiry_date": date(2026, 1, 1)}
        )
        for i in range(1, 90)
    ]
    pdf = render_donor_report(report, organisation="IOM")
    pages = page_texts(pdf)
    assert len(pages) >= 3
    assert all(f"Page {n} of {len(pages)}" in page for n, page in enumerate(pages, start=1))
    text = text_of(pdf)
    assert all(f"B-{i:03} " in text for i in range(1, 90))
    assert "Lot Kit type" in pages[1]  # the header row repeats on the next page
