"""The fast path of an import: rows cleaned without an object per row, and
inserted below the ORM (COPY on PostgreSQL, executemany on SQLite), must store exactly
what registering the same households by hand stores, report progress as it inserts,
and still import nothing when a NIK appears meanwhile or the job was stopped."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select, text

from kitlog.extensions import db
from kitlog.models import Household, HouseholdImport, ImportStatus
from kitlog.services import households, imports
from kitlog.services.errors import Conflict, InvalidValues
from tests.worlds import IMPORT_DAY as TODAY
from tests.worlds import csv_file, nik_number, row_values

NOW = datetime(2020, 12, 10, 3, 4, 5, 678901, tzinfo=UTC)


@pytest.fixture(autouse=True)
def english(app):
    with force_locale("en"):
        yield


def household_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Household))


ROWS = [
    row_values(0),
    row_values(1, vulnerabilities="hamil, difabel;lansia", consent="no", phone=""),
    row_values(2, consent_date="2020-11-30", province="Provinsi Jawa Timur", members=7),
    row_values(3, head_name="  Ni   Luh  Putu Ayu ", worker_relation="Anak", nik=3507124501850001),
    row_values(4, head_name="Dèwi O'Brien-Saputra", village="desa  SUMBER-rejo"),
    row_values(5, members="0", nik="12", province="Atlantis", vulnerabilities="tall"),
    row_values(6, consent="maybe", consent_date="2030-01-01", worker_relation=""),
    row_values(7, consent="ya", consent_date="30/11/2020", phone="12345", members=2.0),
    row_values(8, status="inactive"),
    row_values(9, status="gone", head_name="1234", vulnerabilities=["elderly", "x"]),
]


@pytest.mark.parametrize("raw", ROWS, ids=range(len(ROWS)))
def test_an_import_row_is_cleaned_exactly_as_a_household_registered_by_hand(app, raw):
    try:
        expected = households.clean_household(raw, today=TODAY, row=5).columns()
    except InvalidValues as invalid:
        with pytest.raises(InvalidValues) as refused:
            households.clean_household_columns(raw, today=TODAY, row=5)
        assert [e.as_dict() for e in refused.value.errors] == [e.as_dict() for e in invalid.errors]
        return
    assert households.clean_household_columns(raw, today=TODAY, row=5) == expected
    # Asked twice (the remembered words), the answer is the same.
    assert households.clean_household_columns(raw, today=TODAY, row=5) == expected


def test_remembered_words_keep_a_number_apart_from_text_and_refuse_every_time(app):
    assert households.clean_relation("anak") == "child"
    for _ in range(2):
        with pytest.raises(households._Bad):
            households.clean_relation("tetangga")
        with pytest.raises(households._Bad):
            households.clean_members(True)
    assert households.clean_members(1) == 1
    assert households.clean_vulnerabilities("lansia;balita") == ["elderly", "under5"]
    mine = households.clean_vulnerabilities("lansia;balita")
    mine.append("changed")  # a caller's list is its own
    assert households.clean_vulnerabilities("lansia;balita") == ["elderly", "under5"]


def stored(code: str) -> dict:
    """A household's row as the database holds it (no type conversion on the way out)."""
    row = db.session.execute(
        text("SELECT * FROM households WHERE code = :code"), {"code": code}
    ).mappings()
    return dict(row.one())


def test_imported_rows_are_stored_as_the_orm_stores_a_registered_household(app, make):
    user = make.user("field")
    rows = [row_values(i, consent_date="2020-11-30" if i == 1 else "") for i in range(3)]
    checked = imports.check_spreadsheet(db.session, csv_file(rows), "h.csv", today=TODAY)
    db.session.commit()
    imports.import_households(db.session, checked, user=user, now=NOW)
    db.session.commit()
    by_hand = households.register_household(
        db.session,
        row_values(1, nik=nik_number(500), consent_date="2020-11-30"),
        user=user,
        confirm_duplicate=True,
        now=NOW,
        today=TODAY,
    )
    db.session.commit()
    imported = stored("HH-000002")
    registered = stored(by_hand.code)
    different = {"id", "code", "nik", "import_id"}
    assert {k: v for k, v in imported.items() if k not in different} == {
        k: v for k, v in registered.items() if k not in different
    }
    first = db.session.scalar(select(Household).where(Household.code == "HH-000001"))
    created = first.created_at  # SQLite gives back the UTC time without its zone
    assert (created if created.tzinfo else created.replace(tzinfo=UTC)) == NOW
    assert first.consent_date == TODAY and first.elderly
    assert first.created_by_id == user.id and first.nik == nik_number(0)


def test_the_insert_reports_its_progress_chunk_by_chunk(app, monkeypatch):
    monkeypatch.setattr(imports.inserting, "INSERT_CHUNK", 7)
    rows = [row_values(i) for i in range(30)]
    checked = imports.check_spreadsheet(db.session, csv_file(rows), "h.csv", today=TODAY)
    db.session.commit()
    seen = []
    imports.import_households(
        db.session, checked, user=None, progress=lambda done, total: seen.append((done, total))
    )
    db.session.commit()
    assert seen == [(0, 30), (7, 30), (14, 30), (21, 30), (28, 30), (30, 30)]
    assert household_count() == 30
    codes = list(db.session.scalars(select(Household.code).order_by(Household.id)))
    assert codes == [f"HH-{n:06d}" for n in range(1, 31)]


def test_a_nik_registered_after_the_registry_check_imports_nothing(app, make, monkeypatch):
    rows = [row_values(i) for i in range(20)]
    checked = imports.check_spreadsheet(db.session, csv_file(rows), "h.csv", today=TODAY)
    db.session.commit()
    make.household(nik=nik_number(13))
    # The registry check under the lock misses it (as it would in a race): the unique
    # NIK in the database is the last guard, also for COPY.
    monkeypatch.setattr(imports.inserting, "registered_niks", lambda session, niks: {})
    with pytest.raises(Conflict) as refused:
        imports.import_households(db.session, checked, user=None)
    assert "registered while the file was being imported" in str(refused.value.message)
    db.session.rollback()
    assert household_count() == 1


def test_a_job_stopped_while_its_rows_were_inserted_imports_nothing(app, make):
    user = make.user("field")
    content = csv_file([row_values(i) for i in range(10)])
    job = imports.create_import(
        db.session, filename="h.csv", content=content, user=user, language="en"
    )
    db.session.commit()
    checked = imports.check_spreadsheet(db.session, content, "h.csv", today=TODAY)
    job.status = ImportStatus.CANCELLED  # cancelled (or anonymised) meanwhile
    db.session.commit()
    with pytest.raises(Conflict):
        imports.import_households(db.session, checked, user=user, job=job)
    db.session.rollback()
    assert household_count() == 0
    assert db.session.get(HouseholdImport, job.id).status == ImportStatus.CANCELLED
