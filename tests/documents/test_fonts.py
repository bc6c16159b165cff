"""The faces the PDFs print in: vendored with their version, checksum and licence, set per
run of text (Latin in the main face, what it lacks in the fallback), and text broken only
where a line may break."""

from __future__ import annotations

import hashlib

import pytest
from reportlab.pdfbase.ttfonts import TTFontFile

from kitlog.documents.fonts import (
    BOLD,
    FALLBACK,
    FONT_DIR,
    REGULAR,
    markup,
    runs,
    size_for_words,
    string_width,
    widest_word,
    wrap_words,
)


def vendored() -> list[list[str]]:
    lines = (FONT_DIR / "VERSIONS.txt").read_text(encoding="utf-8").splitlines()
    return [line.split() for line in lines if line and not line.startswith("#")]


def test_every_vendored_font_is_listed_with_its_package_licence_and_checksum():
    listed = vendored()
    assert {name for name, *_rest in listed} == {p.name for p in FONT_DIR.glob("*.ttf")}
    for name, package, _version, licence, digest in listed:
        assert hashlib.sha256((FONT_DIR / name).read_bytes()).hexdigest() == digest, name
        text = (FONT_DIR / f"{package}.LICENSE").read_text(encoding="utf-8")
        expected = {"OFL-1.1": "SIL OPEN FONT LICENSE Version 1.1", "Apache-2.0": "Apache License"}
        assert expected[licence] in text, package


@pytest.mark.parametrize("name", ["LiberationSans-Regular.ttf", "DroidSansFallback.ttf"])
def test_the_fonts_have_truetype_outlines_that_reportlab_embeds(name):
    font = TTFontFile(str(FONT_DIR / name))  # refuses CFF outlines and fonts not to embed
    assert "glyf" in font.table
    assert len(font.makeSubset([0, 65])) < 20_000  # a subset: a glyph or two, no hinting


def test_the_fallback_face_has_hangul_and_cjk_and_the_main_face_polish_and_vietnamese():
    assert runs("Śląsk Nguyễn Thị Ánh Żółć Đà Nẵng") == [
        (REGULAR, "Śląsk Nguyễn Thị Ánh Żółć Đà Nẵng")
    ]
    for name in ("한국국제협력단", "国際協力機構", "中国国际发展合作署"):
        assert runs(name) == [(FALLBACK, name)]


def test_latin_text_stays_in_the_main_face_beside_korean():
    assert runs("Donor: 한국 국제 (KOICA)", BOLD) == [
        (BOLD, "Donor: "),
        (FALLBACK, "한국"),
        (BOLD, " "),
        (FALLBACK, "국제"),
        (BOLD, " (KOICA)"),
    ]
    assert markup("A&B <b> 한국") == f'A&amp;B &lt;b&gt; <font name="{FALLBACK}">한국</font>'


def test_text_typed_with_combining_accents_is_set_as_one_letter():
    assert runs("Nguye\u0302\u0303n") == [(REGULAR, "Nguyễn")]


def test_width_is_measured_in_each_runs_own_face():
    assert string_width("KOICA 한국", REGULAR, 10) == pytest.approx(
        string_width("KOICA ", REGULAR, 10) + string_width("한국", FALLBACK, 10)
    )


def test_lines_break_at_spaces_hyphens_and_slashes_never_inside_a_word():
    agreement = "agreement IOM-BP2MI/KOICA/2020-11"
    width = string_width("IOM-BP2MI/", REGULAR, 8) + 1
    lines = wrap_words(agreement, REGULAR, 8, width)
    assert lines == ["agreement", "IOM-BP2MI/", "KOICA/", "2020-11"]
    assert all(string_width(line, REGULAR, 8) <= width for line in lines)
    assert wrap_words("Jawa Timur", REGULAR, 8, 500) == ["Jawa Timur"]


def test_a_word_wider_than_its_room_is_set_smaller_not_cut():
    word = "Sumberagungkulonprogo"
    room = widest_word(word, BOLD, 7.5) / 2
    size = size_for_words(word, BOLD, 7.5, room, 3)
    assert size == pytest.approx(7.5 / 2, rel=0.01) and string_width(word, BOLD, size) <= room
    assert size_for_words("KOICA-HK-2020-001", BOLD, 7.5, room, 3) == 7.5  # it may break
