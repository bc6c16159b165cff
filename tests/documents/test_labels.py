"""Label PDFs: every label on every layout decodes to its parcel's URL, and its words stay
on their own label."""

from __future__ import annotations

import re

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
import pytest
from reportlab.pdfbase.pdfmetrics import stringWidth

from kitlog.documents.labels import (
    BOLD,
    LAYOUTS,
    QR_MASK,
    Label,
    fit_text,
    render_labels,
    render_test_sheet,
    wrap_text,
)
from kitlog.documents.qr import QUIET_ZONE, dark_runs, qr_matrix
from tests.documents.label_runs import LONG_ROUND, LONG_VILLAGE
from tests.documents.label_runs import make_labels as _labels
from tests.documents.pdf import DPI, char_boxes, decode_pages, page_count, page_size_mm, page_texts

MM = 72 / 25.4


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_every_label_on_every_layout_decodes_to_its_url(name):
    layout = LAYOUTS[name]
    count = layout.per_page * 2 + 3 if layout.per_page > 1 else 5  # more than two sheets
    labels = _labels(count)
    pdf = render_labels(labels, layout)

    pages = decode_pages(pdf)
    assert len(pages) == layout.pages_for(count) == page_count(pdf)
    assert [len(found) for found in pages] == [
        min(layout.per_page, count - i * layout.per_page) for i in range(len(pages))
    ]
    codes = [found for page in pages for found in page]
    assert sorted(found.text for found in codes) == sorted(label.url for label in labels)
    # The lowest version that holds a 45-character URL at L, raised to the strongest
    # level it holds; and the measured mask, never the checkerboard (mask 0).
    assert {(found.version, found.ec_level) for found in codes} == {(3, "M")}
    assert {found.mask for found in codes} == {QR_MASK} != {0}
    assert page_size_mm(pdf) == (layout.page_width, layout.page_height)


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_labels_show_the_short_code_household_village_round_and_donor(name):
    label = _labels(1, village="Sedayu", round_name="Round 1", head_name=None)[0]
    text = page_texts(render_labels([label], LAYOUTS[name]))[0]
    # a short code too wide for its column breaks after a hyphen, which the PDF reader
    # marks as a line-end hyphen
    text = text.replace("\ufffe", "-").replace("-\r\n", "-")
    for words in ("ABC-DEF-000", "HH-000000", "Sedayu", "Round 1", "KOICA", "2 kits"):
        assert words in text


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_the_short_code_keeps_its_size_and_breaks_only_at_its_hyphens(name):
    layout = LAYOUTS[name]
    codes = ["ABC-DEF-GHJ", "WWW-MWM-WWW", "234-567-89A"]
    for label in _labels(len(codes)):
        label = Label(**{**label.__dict__, "code": codes.pop(0)})
        pdf = render_labels([label], layout)
        sizes = _font_sizes(pdf)
        code_sizes = [size for char, size in sizes[: len(label.code)]]
        assert "".join(char for char, _size in sizes[: len(label.code)]) == label.code
        assert min(code_sizes) >= layout.code_min_size
        lines = page_texts(pdf)[0].replace("\ufffe", "-").split("\r\n")
        printed = [line for line in lines if line and line in label.code]
        assert "".join(printed) == label.code
        assert all(line.endswith("-") for line in printed[:-1])
    assert LAYOUTS["thermal-50x30"].code_min_size >= 11


def _font_sizes(pdf: bytes) -> list[tuple[str, float]]:
    """Each printed character of the first page and its font size in points."""
    document = pdfium.PdfDocument(pdf)
    try:
        text_page = document[0].get_textpage()
        chars = []
        for i in range(text_page.count_chars()):
            char = text_page.get_text_range(i, 1).replace("\ufffe", "-")  # a line-end hyphen
            if char.strip():
                chars.append((char, pdfium_raw.FPDFText_GetFontSize(text_page.raw, i)))
        return chars
    finally:
        document.close()


def test_the_head_name_is_printed_only_when_given():
    with_name, without = _labels(2, head_name=None)
    with_name = Label(**{**with_name.__dict__, "head_name": "Siti Rahayu"})
    text = page_texts(render_labels([with_name, without], LAYOUTS["a4-3x8"]))[0]
    assert text.count("Siti Rahayu") == 1


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_long_texts_stay_on_their_own_label(name):
    layout = LAYOUTS[name]
    labels = _labels(
        layout.per_page,
        village=LONG_VILLAGE * 2,
        round_name=LONG_ROUND * 2,
        head_name="Siti Rahayu binti Abdul Rahman Wahyudi Kusumawardhani",
        household="HH-WWWWWWWWWWWWWWWWWWWWW",
    )
    pdf = render_labels(labels, layout)
    boxes = _label_boxes(layout)
    chars = char_boxes(pdf)
    assert chars
    for char, (left, bottom, right, top) in chars:
        centre = ((left + right) / 2, (bottom + top) / 2)
        home = [b for b in boxes if b[0] <= centre[0] <= b[2] and b[1] <= centre[1] <= b[3]]
        assert home, (char, centre)
        b = home[0]
        assert b[0] <= left and right <= b[2] and b[1] <= bottom and top <= b[3], char
    text = page_texts(pdf)[0]
    assert "…" in text  # cut short, not spilled over
    assert "Kelurahan" in text and "Sumberejo" in text


def _label_boxes(layout) -> list[tuple[float, float, float, float]]:
    """(left, bottom, right, top) of each label of a page, in PDF points."""
    page_height = layout.page_height * MM
    return [
        (
            left * MM,
            page_height - (top + layout.label_height) * MM,
            (left + layout.label_width) * MM,
            page_height - top * MM,
        )
        for left, top in layout.positions()
    ]


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_the_quiet_zone_around_each_code_is_blank_and_on_its_label(name):
    layout = LAYOUTS[name]
    labels = _labels(layout.per_page, village=LONG_VILLAGE * 3, round_name=LONG_ROUND * 3)
    document = pdfium.PdfDocument(render_labels(labels, layout))
    objects = [(o.type, o.get_bounds()) for o in document[0].get_objects()]
    document.close()
    codes = [bounds for kind, bounds in objects if kind == pdfium_raw.FPDF_PAGEOBJ_PATH]
    texts = [bounds for kind, bounds in objects if kind == pdfium_raw.FPDF_PAGEOBJ_TEXT]
    assert len(codes) == len(labels) and texts

    for label, code, box in zip(labels, codes, _label_boxes(layout), strict=True):
        modules = len(qr_matrix(label.url, layout.error_correction))
        module = (code[2] - code[0]) / modules
        assert module >= 0.5 * MM  # big enough for a phone camera at arm's length
        if layout.dot:  # a whole number of the thermal head's dots
            dots = module / MM / layout.dot
            assert dots == pytest.approx(round(dots), abs=1e-6)
        quiet = QUIET_ZONE * module
        zone = (code[0] - quiet, code[1] - quiet, code[2] + quiet, code[3] + quiet)
        assert box[0] <= zone[0] and zone[2] <= box[2] and box[1] <= zone[1] and zone[3] <= box[3]
        assert not [t for t in texts if _overlap(t, zone)]
        assert not [c for c in codes if c != code and _overlap(c, zone)]


def test_the_printer_offset_moves_every_label_by_its_millimetres():
    layout = LAYOUTS["a4-3x8"]
    labels = _labels(layout.per_page)
    plain = {f.text: f for f in decode_pages(render_labels(labels, layout))[0]}
    shifted = {
        f.text: f
        for f in decode_pages(render_labels(labels, layout, offset_x=4.0, offset_y=-2.5))[0]
    }
    assert set(plain) == set(shifted) == {label.url for label in labels}
    px_per_mm = DPI / 25.4
    for url, before in plain.items():
        after = shifted[url]
        assert after.x - before.x == pytest.approx(4.0 * px_per_mm, abs=1.5)
        assert after.y - before.y == pytest.approx(-2.5 * px_per_mm, abs=1.5)  # + is down


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_every_layout_keeps_its_labels_on_the_page_and_apart(name):
    layout = LAYOUTS[name]
    positions = layout.positions()
    assert len(positions) == layout.per_page
    for left, top in positions:
        assert left >= 0 and left + layout.label_width <= layout.page_width + 1e-9
        assert top >= 0 and top + layout.label_height <= layout.page_height + 1e-9
    assert layout.pitch_x >= layout.label_width and layout.pitch_y >= layout.label_height


def test_the_sheet_layouts_are_the_avery_geometries():
    assert (LAYOUTS["a4-3x8"].per_page, LAYOUTS["a4-3x8"].label_height) == (24, 33.9)
    l7160 = LAYOUTS["a4-3x7"]
    assert (l7160.per_page, l7160.label_width, l7160.label_height) == (21, 63.5, 38.1)
    assert (l7160.pitch_x, l7160.pitch_y) == (66.0, 38.1)
    assert l7160.left == pytest.approx(7.2, abs=0.1) and l7160.top == pytest.approx(15.15)
    assert (LAYOUTS["thermal-50x30"].page_width, LAYOUTS["thermal-50x30"].per_page) == (50, 1)


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_a_test_sheet_outlines_every_label_and_says_its_shift(name):
    layout = LAYOUTS[name]
    pdf = render_test_sheet(layout, offset_x=1.5, offset_y=-2.0, lines=[f"{name} X +1.5 Y -2.0"])
    assert page_count(pdf) == 1
    assert page_size_mm(pdf) == (layout.page_width, layout.page_height)
    assert f"{name} X +1.5 Y -2.0" in page_texts(pdf)[0]


def test_a_long_text_shrinks_then_is_cut_short_with_an_ellipsis():
    width = 60.0
    assert fit_text("Sedayu", BOLD, 9, width, 6) == ("Sedayu", 9)
    text, size = fit_text("Sumberejo Kidul", BOLD, 9, width, 6)
    assert text == "Sumberejo Kidul" and 6 <= size < 9
    assert stringWidth(text, BOLD, size) <= width
    text, size = fit_text(LONG_VILLAGE, BOLD, 9, width, 6)
    assert text.endswith("…") and size == 6 and stringWidth(text, BOLD, size) <= width


def test_wrapping_keeps_to_its_lines_and_its_width():
    lines = wrap_text(LONG_VILLAGE, BOLD, 7, 90.0, 2)
    assert len(lines) == 2 and lines[0].startswith("Kelurahan") and lines[1].endswith("…")
    assert all(stringWidth(line, BOLD, 7) <= 90.0 for line in lines)
    assert wrap_text("Sedayu", BOLD, 7, 90.0, 2) == ["Sedayu"]


def test_a_qr_code_is_drawn_as_one_rectangle_per_run_of_dark_modules():
    matrix = [[True, True, False, True], [False, False, False, False], [True, True, True, True]]
    assert dark_runs(matrix) == [(0, 0, 2), (0, 3, 1), (2, 0, 4)]


def _decoded(pdf: bytes) -> list[str]:
    return [found.text for page in decode_pages(pdf) for found in page]


def test_a_choice_of_more_labels_than_one_file_takes_prints_in_parts_that_cover_it_once(
    app, api, client, auth, make, monkeypatch
):
    from kitlog.services import labels as label_service
    from tests.documents.rounds import labelled_round

    monkeypatch.setattr(label_service, "MAX_LABELS", 5)  # 6 households in Sedayu, 2 in Turen
    labelled = labelled_round(make, villages={"Sedayu": 6, "Turen": 2})
    round_id = labelled.round.id
    path = f"/api/v1/rounds/{round_id}/labels.pdf"
    warehouse = api("warehouse")

    refused = warehouse.get(path)
    assert refused.status_code == 409
    detail = refused.get_json()["detail"]
    assert "8 labels are too many" in detail and "print at most 5 at a time" in detail
    assert "in 2 parts" in detail
    village = warehouse.get(path, query_string={"village": "Turen"})
    assert village.status_code == 200 and village.headers["X-Label-Count"] == "2"

    first = warehouse.get(path, query_string={"part": 1})
    second = warehouse.get(path, query_string={"part": "2"})
    assert first.status_code == second.status_code == 200
    assert (first.headers["X-Label-Count"], second.headers["X-Label-Count"]) == ("5", "3")
    assert "part-2-of-2" in second.headers["Content-Disposition"]
    one, two = _decoded(first.data), _decoded(second.data)
    base = app.config["BASE_URL"]
    sedayu = labelled.urls(base, labelled.parcels_where(village="Sedayu"))
    everything = labelled.urls(base, labelled.parcels)
    assert len(one) == 5 and set(one) <= sedayu  # village by village: Sedayu comes first
    assert len(two) == 3 and not set(one) & set(two)
    assert set(one) | set(two) == everything  # every parcel once

    beyond = warehouse.get(path, query_string={"part": 3})
    assert beyond.status_code == 409 and "no part 3" in beyond.get_json()["detail"]
    for bad in ("0", "two", "-1"):
        answer = warehouse.get(path, query_string={"part": bad})
        assert answer.status_code == 422, (bad, answer.get_json())

    auth.login("warehouse", language="en")
    page = client.get(f"/rounds/{round_id}/labels", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert "8 labels" in html and "at most 5 labels" in html
    assert re.search(r"<button[^>]*formaction=[^>]*disabled", html)
    links = re.findall(r'href="([^"]*labels\.pdf[^"]*part=(\d)[^"]*)"', html)
    assert [number for _link, number in links] == ["1", "2"]
    assert "Part 1 of 2 (PDF)" in html and "labels 1 to 5 (Sedayu)" in html
    assert "labels 6 to 8 (Sedayu – Turen)" in html
    downloaded = client.get(links[1][0].replace("&amp;", "&"), headers={"Accept-Language": "en"})
    assert downloaded.status_code == 200 and downloaded.mimetype == "application/pdf"
    assert set(_decoded(downloaded.data)) == set(two)
    pdf = client.get(f"/rounds/{round_id}/labels.pdf", headers={"Accept-Language": "en"})
    assert pdf.status_code == 409 and "print at most 5 at a time" in pdf.get_data(as_text=True)
