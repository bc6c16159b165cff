"""Answering feedback: any status to any other, a response to resolve or close, resolved_at
on the first answer and cleared when opened again, the days it has been open, who reads
what, and every reading of a sensitive entry in the audit log (numbers, never text)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import AuditEvent, FeedbackEvent
from kitlog.services import feedback as service
from kitlog.services.errors import InvalidValues
from tests.worlds import ScanWorld

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture
def world(make):
    return ScanWorld(make, households=2)


def _record(world, user=None, at=NOW, **values):
    values = {"category": "damaged", "channel": "officer", "text": "Sabun pecah", **values}
    entry = service.record_feedback(db.session, values, user=user or world.siti, now=at).feedback
    db.session.commit()
    return entry


def test_resolving_or_closing_needs_a_response_in_the_users_language(world):
    entry = _record(world)
    for status in ("resolved", "closed"):
        with pytest.raises(InvalidValues) as caught:
            service.change_status(db.session, entry, status, "  ", user=world.admin, now=NOW)
        with force_locale("id"):
            messages = {e.field: str(e.message) for e in caught.value.errors}
        assert set(messages) == {"response"}
        assert "tanggapan" in messages["response"]
        db.session.rollback()
    assert entry.status == "open" and entry.resolved_at is None


def test_an_unknown_status_or_the_same_one_is_refused(world):
    entry = _record(world)
    for status in ("done", "open", None):
        with pytest.raises(InvalidValues) as caught:
            service.change_status(db.session, entry, status, "ok", user=world.admin, now=NOW)
        assert [e.field for e in caught.value.errors] == ["status"]
        db.session.rollback()


def test_resolved_at_is_the_first_answer_and_is_cleared_when_opened_again(world):
    entry = _record(world)
    day = timedelta(days=1)
    service.change_status(db.session, entry, "referred", "", user=world.admin, now=NOW + day)
    assert entry.resolved_at is None
    service.change_status(
        db.session, entry, "resolved", "Kit baru dikirim", user=world.admin, now=NOW + 2 * day
    )
    service.change_status(
        db.session, entry, "closed", "Selesai", user=world.admin, now=NOW + 3 * day
    )
    db.session.commit()
    assert entry.status == "closed" and entry.response == "Selesai"
    assert entry.resolved_at.replace(tzinfo=UTC) == NOW + 2 * day
    service.change_status(
        db.session, entry, "open", "Ternyata masih kurang", user=world.admin, now=NOW + 4 * day
    )
    db.session.commit()
    assert entry.resolved_at is None and entry.response == "Ternyata masih kurang"
    events = db.session.scalars(
        select(FeedbackEvent)
        .where(FeedbackEvent.feedback_id == entry.id)
        .order_by(FeedbackEvent.id)
    ).all()
    assert [(e.from_status, e.status, e.response, e.user_id) for e in events] == [
        (None, "open", "", world.siti.id),
        ("open", "referred", "", world.admin.id),
        ("referred", "resolved", "Kit baru dikirim", world.admin.id),
        ("resolved", "closed", "Selesai", world.admin.id),
        ("closed", "open", "Ternyata masih kurang", world.admin.id),
    ]


def test_days_open_count_whole_days_until_resolved_or_now(world):
    entry = _record(world)
    assert service.days_open(entry, NOW + timedelta(hours=23)) == 0
    assert service.days_open(entry, NOW + timedelta(days=3, hours=2)) == 3
    service.change_status(
        db.session, entry, "resolved", "Selesai", user=world.admin, now=NOW + timedelta(days=5)
    )
    db.session.commit()
    assert service.days_open(entry, NOW + timedelta(days=40)) == 5


def test_a_field_officer_sees_only_the_non_sensitive_entries_they_recorded(world, make):
    mine = _record(world, at=NOW)
    _record(world, at=NOW - timedelta(days=1), sensitive=True, text="Rahasia")
    other_officer = make.user("field")
    _record(world, user=other_officer, text="Punya orang lain")
    hotline = _record(world, user=world.admin, channel="phone", at=NOW - timedelta(days=2))
    conduct = _record(world, user=world.admin, category="staff_conduct", text="Minta uang")
    assert service.visible_feedback(db.session, world.siti) == [mine]
    everything = service.visible_feedback(db.session, world.admin)
    assert everything[0] == hotline and len(everything) == 5  # oldest first
    assert service.visible_feedback(db.session, world.admin, category="staff_conduct") == [conduct]
    assert service.visible_feedback(db.session, world.budi) == []
    assert service.visible_feedback(db.session, world.siti, status="resolved") == []


def test_reading_sensitive_entries_is_logged_once_with_their_numbers_only(world):
    plain = _record(world)
    secret = _record(world, sensitive=True, text="Petugas kasar")
    service.audit_sensitive_reads(db.session, [plain, secret], user=world.admin, address="10.0.0.1")
    service.audit_sensitive_reads(db.session, [plain], user=world.admin, address="10.0.0.1")
    db.session.rollback()  # the log lines were committed on their own: read them afresh
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "feedback.sensitive_read")
    ).all()
    assert len(events) == 1
    assert json.loads(events[0].detail) == {"numbers": [secret.number]}
    assert events[0].user_id == world.admin.id
    assert "kasar" not in events[0].detail
