"""At the end of a programme, households lose their names, NIK, phone
and GPS, while the ledger reconciles and the donor report gives the same figures."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import AuditEvent, Household, ParcelEvent, Scan
from kitlog.services import anonymise, stock
from kitlog.services.errors import DomainError
from tests.worlds import EndOfRound


@pytest.fixture
def end(make) -> EndOfRound:
    return EndOfRound(make)


def _snapshot():
    db.session.expire_all()
    households = [
        (h.id, h.head_name, h.worker_name, h.nik, h.phone, h.province, h.village, h.members)
        for h in db.session.scalars(select(Household).order_by(Household.id))
    ]
    scans = [
        (s.id, s.recipient_name, s.recipient_relation, s.note, s.lat, s.lon)
        for s in db.session.scalars(select(Scan).order_by(Scan.id))
    ]
    events = [
        (e.id, e.note, e.lat, e.lon)
        for e in db.session.scalars(select(ParcelEvent).order_by(ParcelEvent.id))
    ]
    return households, scans, events


def test_a_round_s_served_households_lose_names_nik_phone_and_gps_and_reports_stay(end):
    report_before = end.report()
    served, waiting = end.households[:2], end.households[2]
    waiting_before = (waiting.head_name, waiting.nik, waiting.phone)
    result = anonymise.anonymise_households(db.session, round_id=end.w.round.id, user=None)
    db.session.commit()
    assert (result.households, result.selected) == (2, 2)

    db.session.expire_all()
    for household in served:
        assert (household.head_name, household.worker_name, household.phone) == ("—", "—", "")
        assert household.nik == anonymise.anonymous_nik(household.id)
        assert not household.nik.isdigit() and len(household.nik) == 16
        assert (household.province, household.regency, household.members) == (
            "Jawa Timur",
            "Kabupaten Malang",
            4,
        )
    assert (waiting.head_name, waiting.nik, waiting.phone) == waiting_before  # still to serve
    for scan in db.session.scalars(select(Scan).where(Scan.parcel_id.is_not(None))):
        assert (scan.recipient_name, scan.recipient_relation, scan.note) == ("", "", "")
        assert (scan.lat, scan.lon) == (None, None)
    parcel_ids = [p.id for p in end.w.parcels[:2]]
    for event in db.session.scalars(
        select(ParcelEvent).where(ParcelEvent.parcel_id.in_(parcel_ids))
    ):
        assert (event.lat, event.lon) == (None, None)
        assert "0812" not in event.note and "Siti" not in event.note

    assert stock.reconciliation_problems(db.session) == []
    assert end.report() == report_before
    [event] = db.session.scalars(select(AuditEvent)).all()
    assert event.action == "households.anonymise"
    assert json.loads(event.detail)["households"] == 2


def test_anonymising_twice_changes_nothing_more(end):
    anonymise.anonymise_households(db.session, round_id=end.w.round.id)
    db.session.commit()
    after_first = _snapshot()
    again = anonymise.anonymise_households(db.session, round_id=end.w.round.id)
    db.session.commit()
    assert (again.households, again.selected) == (0, 2)
    assert _snapshot() == after_first
    assert len(db.session.scalars(select(AuditEvent)).all()) == 1


def test_by_date_only_households_with_no_parcel_allocated_since_that_day(end):
    # The round was allocated on 3 Dec 2026 (Jakarta): from that day on, nobody qualifies.
    none = anonymise.anonymise_households(db.session, before=date(2026, 12, 3))
    assert none.households == 0
    served = anonymise.anonymise_households(db.session, before=date(2026, 12, 4))
    db.session.commit()
    assert served.households == 2
    assert [h.head_name for h in end.households] == ["—", "—", end.households[2].head_name]


def test_a_round_or_a_date_must_be_named_and_the_round_must_exist(end):
    with pytest.raises(DomainError):
        anonymise.anonymise_households(db.session)
    with pytest.raises(DomainError):
        anonymise.anonymise_households(db.session, round_id=end.w.round.id, before=date.today())
    with pytest.raises(DomainError) as error:
        anonymise.anonymise_households(db.session, round_id=999)
    with force_locale("en"):
        assert str(error.value) == "There is no round 999."
    assert error.value.field == "round"


def test_by_date_old_imports_lose_their_file_and_row_errors(end):
    from kitlog.models import HouseholdImport, ImportStatus

    old = datetime(2026, 11, 1, tzinfo=UTC)
    errors = json.dumps([{"row": 2, "field": "nik", "message": "Already registered as H-1."}])

    def job(status, *, created_at=old, content=b"head_name,nik\nSiti,3507124501850001\n"):
        value = HouseholdImport(
            filename="list.csv",
            content=content,
            status=status,
            errors=errors,
            created_at=created_at,
        )
        db.session.add(value)
        return value

    waiting = job(ImportStatus.READY)
    refused = job(ImportStatus.INVALID, content=None)
    working = job(ImportStatus.IMPORTING)
    recent = job(ImportStatus.READY, created_at=datetime(2026, 12, 10, tzinfo=UTC))
    db.session.commit()

    result = anonymise.anonymise_households(db.session, before=date(2026, 12, 4))
    db.session.commit()
    db.session.expire_all()
    assert result.imports == 2
    assert (waiting.status, waiting.content, waiting.errors) == ("cancelled", None, "[]")
    assert (refused.status, refused.content, refused.errors) == ("cancelled", None, "[]")
    assert (working.status, working.errors) == ("importing", errors)  # left to finish
    assert working.content is not None
    assert (recent.status, recent.errors) == ("ready", errors) and recent.content is not None
    event = db.session.scalars(select(AuditEvent)).one()
    assert json.loads(event.detail)["imports"] == 2

    # By round, imports are not touched.
    again = anonymise.anonymise_households(db.session, round_id=end.w.round.id)
    assert again.imports == 0


def test_the_collectors_of_served_households_lose_their_names_nik_and_phone(end):
    from kitlog.models import Collector

    served, waiting = end.households[0], end.households[2]
    for household in (served, waiting):
        db.session.add(
            Collector(
                household_id=household.id,
                name="Wati Susanti",
                relation="tetangga",
                nik="3507010101850001" if household is served else "3507010101850002",
                phone="081234567890",
                active=True,
            )
        )
    db.session.commit()
    anonymise.anonymise_households(db.session, round_id=end.w.round.id, user=None)
    db.session.commit()
    db.session.expire_all()
    rows = {
        c.household_id: (c.name, c.nik, c.phone, c.relation)
        for c in db.session.scalars(select(Collector))
    }
    assert rows[served.id] == ("—", None, "", "tetangga")
    assert rows[waiting.id] == ("Wati Susanti", "3507010101850002", "081234567890", "tetangga")


def test_feedback_and_monitoring_comments_of_served_households_lose_their_words(end):
    from datetime import UTC, datetime

    from kitlog.models import Feedback, FeedbackEvent, PdmResponse

    served, waiting = end.households[0], end.households[2]
    now = datetime(2026, 12, 20, tzinfo=UTC)
    admin = end.w.admin
    for n, household in enumerate((served, waiting), start=1):
        entry = Feedback(
            number=f"FB-2026-{n:04d}",
            category="damaged",
            channel="phone",
            household_id=household.id,
            text="Siti: sabun pecah, telepon 0812",
            status="resolved",
            response="Diganti oleh Budi",
            created_at=now,
            updated_at=now,
            resolved_at=now,
            created_by_id=admin.id,
        )
        db.session.add(entry)
        db.session.flush()
        db.session.add(
            FeedbackEvent(feedback_id=entry.id, status="resolved", response="Diganti oleh Budi")
        )
    delivered = end.w.parcels[0]
    db.session.add(
        PdmResponse(
            parcel_id=delivered.id,
            received_complete=True,
            satisfaction=4,
            comment="Terima kasih Bu Siti",
        )
    )
    db.session.commit()
    anonymise.anonymise_households(db.session, round_id=end.w.round.id, user=None)
    db.session.commit()
    db.session.expire_all()
    by_household = {f.household_id: f for f in db.session.scalars(select(Feedback))}
    gone = by_household[served.id]
    assert (gone.text, gone.response, gone.category, gone.status) == (
        "—",
        "",
        "damaged",
        "resolved",
    )
    assert gone.resolved_at is not None  # the donor report's days to resolve stay
    assert [e.response for e in gone.events] == [""]
    kept = by_household[waiting.id]
    assert kept.text.startswith("Siti") and kept.events[0].response == "Diganti oleh Budi"
    [response] = db.session.scalars(select(PdmResponse)).all()
    assert (response.comment, response.satisfaction) == ("", 4)
