"""The admin's export of every household streams: a few thousand households come out
in chunks, complete, in code order, neutralised, and the export is logged once."""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import AuditEvent
from kitlog.services import imports
from tests.worlds import IMPORT_DAY as TODAY
from tests.worlds import csv_file, nik_number, row_values

HOUSEHOLDS = 2_500


def test_the_export_of_thousands_of_households_streams_complete_and_is_logged_once(browser, login):
    rows = [row_values(i) for i in range(HOUSEHOLDS)]
    rows[1234]["head_name"] = "=HYPERLINK(1) Siti"
    imports.import_spreadsheet(
        db.session, csv_file(rows), "h.csv", user=None, today=TODAY, now=None
    )
    db.session.commit()
    admin = login("admin")
    response = browser.get("/households/export.csv", buffered=False)
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Cache-Control"] == "no-store"
    chunks = list(response.response)
    response.close()
    assert len(chunks) >= HOUSEHOLDS // 1000
    body = b"".join(chunks).decode("utf-8")
    assert body.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    header, hashtags, data = table[0], table[1], table[2:]
    assert hashtags[0] == "#household+code"
    assert len(data) == HOUSEHOLDS
    records = [dict(zip(header, row, strict=True)) for row in data]
    assert [r["Household code"] for r in records] == [
        f"HH-{n:06d}" for n in range(1, HOUSEHOLDS + 1)
    ]
    assert {r["NIK"] for r in records} == {nik_number(i) for i in range(HOUSEHOLDS)}
    assert records[1234]["Head of household"] == "'=HYPERLINK(1) Siti"  # never a formula
    assert records[0]["Vulnerabilities"] == "elderly under5"
    assert records[0]["Phone"] == "'+62812" + "00000000"
    db.session.expire_all()
    events = list(
        db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export.personal_data"))
    )
    assert len(events) == 1
    assert events[0].user_id == admin.id
    assert json.loads(events[0].detail) == {"format": "csv", "rows": HOUSEHOLDS}
