"""GET /api/v1/feedback, GET /api/v1/feedback/{id} and POST /api/v1/feedback/{id}/status:
oldest first with the days open, a field officer only the non-sensitive entries they
recorded (404 for the others), the administrator answering, and other roles refused."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import AuditEvent, Feedback
from kitlog.services import feedback as service

EARLY = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
LATER = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _record(user, at=LATER, **values):
    values = {"category": "damaged", "channel": "officer", "text": "Sabun pecah", **values}
    entry = service.record_feedback(db.session, values, user=user, now=at).feedback
    db.session.commit()
    return entry


def test_the_admin_lists_every_entry_oldest_first_with_days_open(api, make):
    household = make.household()
    officer = make.user("field")
    admin = api("admin")
    late = _record(officer, household=household.code)
    early = _record(officer, at=EARLY, category="staff_conduct", channel="phone", text="Kasar")
    answer = admin.get("/api/v1/feedback")
    assert answer.status_code == 200, answer.get_json()
    items = answer.get_json()["items"]
    assert [i["number"] for i in items] == [early.number, late.number]
    assert items[0]["sensitive"] and items[0]["category_name"] == "Staff conduct"
    assert items[1]["household"] == household.code and items[1]["days_open"] > 0
    assert items[1]["created_by"] == officer.name and items[1]["status"] == "open"
    only = admin.get("/api/v1/feedback?category=staff_conduct").get_json()["items"]
    assert [i["number"] for i in only] == [early.number]
    assert admin.get("/api/v1/feedback?status=resolved").get_json()["items"] == []
    assert admin.get("/api/v1/feedback?status=done").status_code == 422
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "feedback.sensitive_read")
    ).all()
    assert len(events) == 2  # one a request that showed it: the list, then by category
    assert all(early.number in e.detail and "Kasar" not in e.detail for e in events)


def test_a_field_officer_sees_only_their_own_non_sensitive_entries(api, make):
    officer = make.user("field")
    client = api(None)
    client.headers["Authorization"] = f"Bearer {make.token(officer)}"
    mine = _record(officer)
    secret = _record(officer, sensitive=True, text="Rahasia")
    others = _record(make.user("field"), text="Punya orang lain")
    items = client.get("/api/v1/feedback").get_json()["items"]
    assert [i["number"] for i in items] == [mine.number]
    assert client.get(f"/api/v1/feedback/{mine.id}").status_code == 200
    for entry in (secret, others):
        answer = client.get(f"/api/v1/feedback/{entry.id}")
        assert answer.status_code == 404
        assert entry.text not in answer.get_data(as_text=True)


def test_the_admin_answers_and_the_detail_shows_its_history(api, make):
    officer = make.user("field")
    entry = _record(officer)
    admin = api("admin")
    refused = admin.post(f"/api/v1/feedback/{entry.id}/status", json={"status": "resolved"})
    assert refused.status_code == 422
    assert [e["field"] for e in refused.get_json()["errors"]] == ["response"]
    done = admin.post(
        f"/api/v1/feedback/{entry.id}/status",
        json={"status": "resolved", "response": "Kit pengganti diantar"},
    )
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    assert body["status"] == "resolved" and body["response"] == "Kit pengganti diantar"
    assert body["resolved_at"] is not None
    detail = admin.get(f"/api/v1/feedback/{entry.id}").get_json()
    assert [(e["from_status"], e["status"]) for e in detail["events"]] == [
        (None, "open"),
        ("open", "resolved"),
    ]
    assert detail["events"][1]["response"] == "Kit pengganti diantar"
    db.session.expire_all()
    assert db.session.get(Feedback, entry.id).status == "resolved"


def test_other_roles_are_refused(api, make):
    entry = _record(make.user("field"))
    field = api("field")
    body = {"status": "closed", "response": "ok"}
    assert field.post(f"/api/v1/feedback/{entry.id}/status", json=body).status_code == 403
    for role in ("warehouse", "donor"):
        assert api(role).get("/api/v1/feedback").status_code == 403
        assert api(role).get(f"/api/v1/feedback/{entry.id}").status_code == 403
    assert api("admin").get("/api/v1/feedback/999999").status_code == 404
    db.session.expire_all()
    assert db.session.get(Feedback, entry.id).status == "open"
