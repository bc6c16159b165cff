"""No word of any feedback, any answer to it or any PDM comment in any donor output.

Feedback of every category is written with distinctive texts (a sensitive complaint about
staff conduct among them, and one that names no parcel), answered with distinctive
responses; PDM responses carry distinctive comments. Then every donor output is fetched
as the donor user and as an administrator (each CSV table, the workbook, the PDF, from the
report page, the API and a share link; the JSON; the report page and the shared page)
and searched for every text: none may appear, and the counts must. The search is shown
able to fail at the end.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest

from kitlog.documents.donor_report import Formats, render_donor_report
from kitlog.documents.spreadsheets import TABLES, render_csv, render_xlsx, report_tables
from kitlog.extensions import db
from kitlog.models import FEEDBACK_CATEGORIES, Feedback, FeedbackEvent, PdmResponse
from kitlog.services import share_links
from kitlog.services.reports import donor_report
from tests.exports import (
    as_text,
    every_export,
    leaks,
    pdf_text,
    xlsx_text,
)
from tests.worlds import DAY1, ReportWorld

RECEIVED = DAY1 + timedelta(days=2)
# KOICA's feedback by category: distinct counts, so that each one is seen where it belongs
EXPECTED = {
    "not_received": 1,
    "damaged": 3,
    "missing_items": 2,
    "wrong_person": 1,
    "staff_conduct": 1,
    "question": 0,
    "other": 1,
}


class FeedbackWorld(ReportWorld):
    """ReportWorld with feedback and PDM responses whose words are worth searching for."""

    def play(self):
        super().play()
        self.texts: list[str] = []
        p, q = self.p, self.q
        parcels = {
            "not_received": [p[5]],
            "damaged": [p[0], p[1], None],  # the last names only its household
            "missing_items": [p[2], p[4]],
            "wrong_person": [p[3]],
            "staff_conduct": [p[1]],
            "other": [p[0]],
        }
        number = 0
        for category, targets in parcels.items():
            for n, parcel in enumerate(targets):
                number += 1
                words = f"ZXQ-FEEDBACK-TEXT-4711 {category} {n} Bu Sulastri bilang"
                answer = f"ZXQ-RESPONSE-4711 {category} {n} sudah ditelepon"
                resolved = n == 0
                row = Feedback(
                    number=f"FB-2026-{number:04d}",
                    category=category,
                    channel="officer",
                    sensitive=category == "staff_conduct",
                    household_id=(parcel.household_id if parcel else self.households[2].id),
                    parcel_id=parcel.id if parcel else None,
                    text=words,
                    status="resolved" if resolved else "open",
                    response=answer if resolved else "",
                    created_by_id=self.w.siti.id,
                    created_at=RECEIVED,
                    resolved_at=RECEIVED + timedelta(days=2) if resolved else None,
                )
                db.session.add(row)
                db.session.flush()
                db.session.add(
                    FeedbackEvent(
                        feedback_id=row.id,
                        status=row.status,
                        response=answer,
                        user_id=self.w.admin.id,
                    )
                )
                self.texts += [words, answer]
        # DFAT's parcel: its words must not reach KOICA's report either
        dfat_words = "ZXQ-FEEDBACK-TEXT-4711 dfat Pak Harjono"
        db.session.add(
            Feedback(
                number="FB-2026-0099",
                category="question",
                channel="phone",
                household_id=q[0].household_id,
                parcel_id=q[0].id,
                text=dfat_words,
                created_by_id=self.w.admin.id,
            )
        )
        self.texts.append(dfat_words)
        for n, (parcel, complete, satisfaction) in enumerate(
            [(p[0], True, 5), (p[1], False, 2), (p[2], True, 4)]
        ):
            comment = f"ZXQ-PDM-COMMENT-4711 {n} kain sarung basah"
            db.session.add(
                PdmResponse(
                    parcel_id=parcel.id,
                    received_complete=complete,
                    satisfaction=satisfaction,
                    comment=comment,
                    items_missing="[]" if complete else "[1, 2]",
                )
            )
            self.texts.append(comment)
        db.session.commit()

    def secrets(self) -> list[str]:
        """Every text, and the markers they share (a text cut short still leaks them):
        long enough that no random token on a page (a CSRF token, a CSP nonce) holds one
        by chance, as "ZXQ" alone did."""
        markers = ["ZXQ-FEEDBACK", "ZXQ-RESPONSE", "ZXQ-PDM", "Sulastri", "Harjono"]
        return [*self.texts, *markers, "sarung basah"]


@pytest.fixture
def world(make) -> FeedbackWorld:
    world = FeedbackWorld(make)
    world.play()
    return world


def csv_rows(text: str) -> list[dict[str, str]]:
    """A CSV's data rows by HXL hashtag (the second row)."""
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return [dict(zip(rows[1], row, strict=True)) for row in rows[2:]]


def shows_counts(name: str, response, text: str) -> bool:
    """The output shows KOICA's feedback and PDM counts, each where it belongs, in its
    reader's language: English, but Indonesian for the share link (its language)."""
    indonesian = name.startswith("shared")
    if name == "api json":
        data = response.get_json()
        by = {c["category"]: c["count"] for c in data["feedback"]["by_category"]}
        assert by == EXPECTED, name
        assert data["feedback"]["resolved"] == 6, name
        assert data["feedback"]["median_days_to_resolve"] == 2.0, name
        assert data["pdm"]["responses"] == 3, name
        assert data["pdm"]["satisfaction_mean"] == 3.7, name
    elif name.endswith("csv feedback"):
        rows = csv_rows(text)
        assert {r["#x_feedback+category"]: int(r["#x_feedback+received"]) for r in rows} == (
            EXPECTED
        ), name
        assert {r["#x_feedback+category"]: r["#x_feedback+name"] for r in rows}[
            "staff_conduct"
        ] == ("Perilaku petugas" if indonesian else "Staff conduct"), name
    elif name.endswith("csv pdm"):
        (row,) = csv_rows(text)
        assert (row["#x_pdm+responses"], row["#x_pdm+complete+pct"]) == ("3", "66.7"), name
        assert row["#x_pdm+satisfaction+mean"] == "3.7", name
    elif name.endswith("xlsx "):
        book = openpyxl.load_workbook(io.BytesIO(response.data))
        assert book.sheetnames[3:] == (
            ["Masukan", "Pemantauan (PDM)"] if indonesian else ["Feedback", "Monitoring (PDM)"]
        ), name
        sheet = book.worksheets[3]
        values = list(sheet.iter_rows(min_row=3, values_only=True))
        assert {row[2]: row[4] for row in values} == EXPECTED, name
        assert list(book.worksheets[4].iter_rows(min_row=3, values_only=True))[0][2:5] == (
            3,
            66.7,
            3.7,
        ), name
    elif name.endswith("pdf "):
        flat = " ".join(text.split())
        if indonesian:
            assert "Masukan dan pemantauan" in flat and "Perilaku petugas" in flat, name
            assert "3 tanggapan; 67% menerima paket dengan lengkap; rata-rata kepuasan 3,7" in flat
        else:
            assert "Feedback and monitoring" in flat and "Staff conduct" in flat, name
            assert "3 responses; 67% received the parcel complete; mean satisfaction 3.7" in flat
    elif name in ("report page", "shared page"):
        html = response.get_data(as_text=True)
        for category, expected in EXPECTED.items():
            row = re.search(rf'data-feedback-category="{category}">(.*?)</tr>', html, re.S)
            assert row, (name, category)
            cells = re.findall(r'<td class="num">([^<]*)</td>', row.group(1))
            assert cells[0] == str(expected), (name, category, cells)
        assert re.search(r"data-satisfaction-mean>3[.,]7<", html), name
    else:
        return False  # the other tables: no counts of feedback to show
    return True


@pytest.mark.parametrize("role", ["admin", "donor"])
def test_no_donor_output_holds_any_feedback_or_comment_text(client, auth, api, world, role):
    secrets = world.secrets()
    extra = {"donor": world.koica} if role == "donor" else {}
    auth.login(role, language="en", **extra)
    api_client = api(role, **extra)
    _link, token = share_links.create_share_link(
        db.session, world.koica, label="Seoul", user=None, now=datetime.now(UTC)
    )
    db.session.commit()

    answers = every_export(client, api_client, token)
    assert len(answers) == 3 * (len(TABLES) + 1 + 1) + 3
    assert {"web csv feedback", "api csv pdm", "shared csv feedback"} <= set(answers)
    counted = []
    for name, response in answers.items():
        text = as_text(response)
        assert "KOICA" in text, name  # a real report, not an error page
        assert leaks(text, secrets) == [], name
        if shows_counts(name, response, text):
            counted.append(name)
    # 3 ways (page, API, share link) x (feedback CSV, PDM CSV, XLSX, PDF); JSON; 2 pages
    assert len(counted) == 3 * 4 + 1 + 2, counted


def test_the_search_finds_a_planted_text_in_each_format(app, world):
    """The same search on outputs given a feedback's words on purpose: it must find them
    in the CSV, the XLSX and the PDF, or the test above proves nothing."""
    report = donor_report(
        db.session, world.koica, today=DAY1.date(), timezone=app.config["TIMEZONE"]
    )
    planted = world.texts[0]

    def category(code: str) -> str:
        return planted if code == "staff_conduct" else code

    tables = report_tables(report, organisation="IOM", category=category)
    csv_text = render_csv(tables["feedback"]).decode("utf-8-sig")
    xlsx = xlsx_text(render_xlsx(list(tables.values())))
    pdf = pdf_text(
        render_donor_report(report, organisation="IOM", formats=Formats(category=category))
    )
    for text in (csv_text, xlsx, pdf):
        assert planted in leaks(text, world.secrets())


def test_every_category_of_the_model_is_counted():
    assert set(EXPECTED) == set(FEEDBACK_CATEGORIES)
