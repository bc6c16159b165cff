"""POST /api/v1/feedback: staff record feedback (201 with its number), a phone's key
again answers 200 with the first entry, and roles without the right are refused."""

from __future__ import annotations

from sqlalchemy import func, select

from kitlog.extensions import db
from kitlog.models import Feedback


def test_a_field_officer_records_feedback_once_per_key(api, make):
    household = make.household()
    officer = api("field")
    body = {
        "household": household.code,
        "channel": "officer",
        "category": "missing_items",
        "text": "Masker kurang dua",
        "idempotency_key": "fb-key-12345678",
    }
    first = officer.post("/api/v1/feedback", json=body)
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["number"].startswith("FB-")
    again = officer.post("/api/v1/feedback", json=body)
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert db.session.scalar(select(func.count()).select_from(Feedback)) == 1


def test_bad_values_are_422_and_other_roles_403(api, make):
    answer = api("admin").post(
        "/api/v1/feedback", json={"channel": "public", "category": "x", "text": ""}
    )
    assert answer.status_code == 422
    fields = {e["field"] for e in answer.get_json()["errors"]}
    assert fields == {"channel", "category", "text"}
    for role in ("warehouse", "donor"):
        body = {"channel": "phone", "category": "question", "text": "?"}
        assert api(role).post("/api/v1/feedback", json=body).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Feedback)) == 0
