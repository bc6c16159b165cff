"""No personal data of any household in any export.

A scenario is played through the services: households registered with distinctive names,
NIKs and phones; parcels delivered to named recipients; failed deliveries with notes that
name people. Then every export is fetched (CSV of each table, XLSX, PDF, the JSON; from
the report page, the API and a share link; and the pages themselves) and searched for
every household's NIK, phone (+62… and 08…), head's and worker's names, every recipient's
name and every note, and every collector's name, NIK and phone. The search is shown able
to fail at the end.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from kitlog.documents.donor_report import render_donor_report
from kitlog.documents.spreadsheets import TABLES, render_csv, render_xlsx, report_tables
from kitlog.extensions import db
from kitlog.models import Collector, Household
from kitlog.services import collectors, share_links
from kitlog.services.reports import donor_report
from tests.exports import as_text, every_export, leaks, pdf_text, xlsx_text
from tests.worlds import DAY1, ReportWorld

# Surnames no report would print by chance; one per household, in letters (no "1" in "12").
SURNAMES = ["Wiryokusumo", "Hadiningrat", "Kartasasmita", "Djojohadikusumo", "Prawiranegara",
            "Soerjadarma"]  # fmt: skip


class PrivateWorld(ReportWorld):
    """ReportWorld with names worth searching for, recipients and notes."""

    def __init__(self, make):
        surnames = iter(SURNAMES)
        original = make.household_values

        def distinctive(**values):
            surname = next(surnames)
            values.setdefault("head_name", f"Raden Ayu {surname} Kepala")
            values.setdefault("worker_name", f"Bagus {surname} Pekerja")
            return original(**values)

        make.household_values = distinctive
        self.make_nik = make.nik
        try:
            super().__init__(make)
        finally:
            make.household_values = original
        self.recipients = [f"Penerima {surname} Nyonya" for surname in SURNAMES]
        self.notes = [f"Tetangga {surname} Tetangga bilang pindah ke Batam" for surname in SURNAMES]

    def play(self):
        w, p, q = self.w, self.p, self.q
        w.on_the_road(p[:5] + q[:2], at=DAY1)
        hour = timedelta(hours=1)
        w.scan(
            p[0],
            "deliver",
            at=DAY1 + hour,
            recipient_name=self.recipients[0],
            recipient_relation="spouse",
            note=self.notes[0],
        )
        w.scan(q[0], "deliver", at=DAY1 + hour, recipient_name=self.recipients[0])
        w.scan(
            p[1],
            "deliver",
            at=DAY1 + 2 * hour,
            recipient_name=self.recipients[1],
            note=self.notes[1],
        )
        w.scan(p[2], "fail", reason="nobody_home", at=DAY1 + 2 * hour, note=self.notes[2])
        w.scan(p[2], "deliver", at=DAY1 + 3 * hour, recipient_name=self.recipients[2])
        w.scan(p[3], "fail", reason="moved", at=DAY1 + 3 * hour, note=self.notes[3])
        w.scan(p[3], "return", at=DAY1 + timedelta(days=1))
        w.scan(p[4], "fail", reason="other", at=DAY1 + 4 * hour, note=self.notes[4])
        # Each household names a collector, with a NIK and a phone: personal data too.
        for n, household in enumerate(db.session.scalars(select(Household).order_by(Household.id))):
            collectors.add_collector(
                db.session,
                household,
                {
                    "name": f"Wakil {SURNAMES[n % len(SURNAMES)]} Penerima",
                    "relation": "tetangga",
                    "nik": self.make_nik(),
                    "phone": f"0813{n + 1:08d}",
                },
                user=None,
            )
        db.session.commit()

    def secrets(self) -> list[str]:
        """Everything that must never appear: per household its NIK, both phone forms, the
        head's and worker's names and their surname; every recipient and every note."""
        found = []
        for household in db.session.scalars(select(Household).order_by(Household.id)):
            found += [household.nik, household.head_name, household.worker_name]
            if household.phone:
                assert household.phone.startswith("+62")
                national = household.phone.removeprefix("+62")
                found += [household.phone, "0" + national, "62" + national]
        named = db.session.scalars(select(Collector)).all()
        assert len(named) == db.session.query(Household).count() and all(c.nik for c in named)
        for collector in named:
            national = collector.phone.removeprefix("+62")
            found += [collector.name, collector.nik, collector.phone, "0" + national]
        found += self.recipients + self.notes + SURNAMES
        assert len(found) > 6 * 7
        return found


@pytest.fixture
def world(make) -> PrivateWorld:
    world = PrivateWorld(make)
    world.play()
    return world


@pytest.mark.parametrize("role", ["admin", "donor"])
def test_no_export_holds_any_households_personal_data(client, auth, api, world, role):
    secrets = world.secrets()
    extra = {"donor": world.koica} if role == "donor" else {}
    auth.login(role, language="en", **extra)
    api_client = api(role, **extra)
    link, token = share_links.create_share_link(
        db.session, world.koica, label="Seoul", user=None, now=datetime.now(UTC)
    )
    db.session.commit()

    answers = every_export(client, api_client, token)
    assert len(answers) == 3 * (len(TABLES) + 1 + 1) + 3
    checked = 0
    for name, response in answers.items():
        text = as_text(response)
        assert "KOICA" in text, name  # a real report, not an error page
        assert leaks(text, secrets) == [], name
        checked += 1
    assert checked == len(answers)


def test_the_search_finds_a_name_nik_or_phone_in_each_format(app, world):
    """The same search on exports that were given personal data on purpose: it must find
    it in the CSV, the XLSX and the PDF, or the test above proves nothing."""
    household = db.session.scalars(select(Household).order_by(Household.id)).first()
    national = household.phone.removeprefix("+62")
    report = donor_report(
        db.session, world.koica, today=DAY1.date(), timezone=app.config["TIMEZONE"]
    )
    secrets = world.secrets()
    for planted, expected in (
        (household.head_name, household.head_name),
        (household.nik, household.nik),
        ("0" + national, household.phone),  # an 08… phone is found by its +62… form too
        (world.recipients[1], world.recipients[1]),
    ):
        report.by_region[0].regency = planted
        report.batches[0].lost_by_reason = {world.notes[3]: 1}
        tables = report_tables(report, organisation="IOM")
        csv_text = "\n".join(render_csv(t).decode("utf-8-sig") for t in tables.values())
        xlsx = xlsx_text(render_xlsx(list(tables.values())))
        pdf = pdf_text(render_donor_report(report, organisation="IOM"))
        for text in (csv_text, xlsx, pdf):
            found = leaks(text, secrets)
            assert world.notes[3] in found
            assert any(expected in s or s in planted for s in found), (planted, found)


def test_the_search_folds_line_breaks_and_spaces():
    secrets = ["Raden Ayu Wiryokusumo Kepala", "+6281200000007", "081200000007"]
    assert leaks("Raden Ayu\r\nWiryokusumo  Kepala", secrets) == secrets[:1]
    assert leaks("0812 0000 0007", secrets) == secrets[2:]
    assert leaks("nothing here", secrets) == []
    assert list(itertools.chain(leaks("RADEN AYU WIRYOKUSUMO KEPALA", secrets))) == secrets[:1]
