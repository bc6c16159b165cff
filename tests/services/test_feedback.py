"""Recording feedback and complaints: numbered per year, staff conduct always sensitive,
a phone's key recorded once, and bad input that changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from kitlog.extensions import db
from kitlog.models import Feedback, FeedbackEvent
from kitlog.services import feedback as service
from kitlog.services.errors import InvalidValues
from tests.worlds import ScanWorld

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture
def world(make):
    return ScanWorld(make, households=2)


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Feedback))


def test_entries_are_numbered_per_year_and_the_parcel_names_the_household(world):
    parcel = world.parcels[0]
    first = service.record_feedback(
        db.session,
        {
            "category": "damaged",
            "channel": "officer",
            "text": "Sabun pecah",
            "parcel": parcel.short_code,
        },
        user=world.siti,
        now=NOW,
    ).feedback
    second = service.record_feedback(
        db.session,
        {"category": "question", "channel": "phone", "text": "Kapan paket datang?"},
        user=world.admin,
        now=NOW,
    ).feedback
    db.session.commit()
    assert (first.number, second.number) == ("FB-2026-0001", "FB-2026-0002")
    assert first.household_id == parcel.household_id and first.status == "open"
    assert second.household_id is None and not second.sensitive
    events = db.session.scalars(select(FeedbackEvent).where(FeedbackEvent.feedback_id == first.id))
    assert [(e.from_status, e.status, e.user_id) for e in events] == [(None, "open", world.siti.id)]


def test_staff_conduct_is_always_sensitive(world):
    entry = service.record_feedback(
        db.session,
        {
            "category": "staff_conduct",
            "channel": "phone",
            "text": "Petugas meminta uang",
            "sensitive": False,
        },
        user=world.admin,
        now=NOW,
    ).feedback
    assert entry.sensitive


def test_a_phones_key_records_one_entry_and_another_text_under_it_is_refused(world):
    values = {
        "category": "not_received",
        "channel": "officer",
        "text": "Belum terima",
        "idempotency_key": "key-0001-abcd",
    }
    one = service.record_feedback(db.session, dict(values), user=world.siti, now=NOW)
    again = service.record_feedback(db.session, dict(values), user=world.siti, now=NOW)
    db.session.commit()
    assert one.created and not again.created and again.feedback.id == one.feedback.id
    assert _count() == 1
    with pytest.raises(InvalidValues) as caught:
        service.record_feedback(db.session, {**values, "text": "lain"}, user=world.siti, now=NOW)
    assert [e.field for e in caught.value.errors] == ["idempotency_key"]


def test_bad_input_lists_every_bad_value_in_the_users_language_and_writes_nothing(world):
    other = world.parcels[1]
    with pytest.raises(InvalidValues) as caught:
        service.record_feedback(
            db.session,
            {
                "category": "angry",
                "channel": "public",
                "text": "  ",
                "household": world.parcels[0].household.code,
                "parcel": other.short_code,
            },
            user=world.siti,
            now=NOW,
        )
    with force_locale("id"):
        messages = {e.field: str(e.message) for e in caught.value.errors}
    assert set(messages) == {"category", "channel", "text", "parcel"}
    assert "Pilih" in messages["category"]
    db.session.rollback()
    assert _count() == 0
