"""The audit log: every event says who, from where and when, and the
database refuses to edit or delete one, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from kitlog.extensions import db
from kitlog.models import AuditEvent
from kitlog.services import audit


def test_an_event_records_who_with_which_role_from_where_and_when(make):
    admin = make.user("admin")
    event = audit.record(
        db.session,
        "household.view",
        user=admin,
        object_type="household",
        object_ref="HH-000001",
        detail={"rows": 3},
        address="10.0.0.7",
    )
    db.session.commit()
    stored = db.session.get(AuditEvent, event.id)
    assert (stored.action, stored.user_id, stored.role, stored.address) == (
        "household.view",
        admin.id,
        "admin",
        "10.0.0.7",
    )
    assert (stored.object_type, stored.object_ref) == ("household", "HH-000001")
    assert json.loads(stored.detail) == {"rows": 3}
    assert stored.created_at is not None


def test_a_command_without_a_user_is_recorded_without_one(make):
    event = audit.record(db.session, "households.anonymise", user=None, address=None)
    db.session.commit()
    assert (event.user_id, event.role, event.address) == (None, "", "")


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_events SET action = 'nothing'", "DELETE FROM audit_events"],
    ids=["update", "delete"],
)
def test_nobody_can_edit_or_delete_the_log(make, statement):
    audit.record(db.session, "parcel.cancel", user=make.user("admin"), object_ref="ABC")
    db.session.commit()
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text(statement))
        db.session.flush()
    db.session.rollback()
    assert db.session.scalars(select(AuditEvent.action)).all() == ["parcel.cancel"]


def test_the_log_reads_newest_first_by_action_and_by_user(make):
    admin, other = make.user("admin"), make.user("admin")
    for action, user in [
        ("household.view", admin),
        ("stock.loss", other),
        ("household.view", other),
    ]:
        audit.record(db.session, action, user=user)
    db.session.commit()
    newest_first = db.session.scalars(audit.events_query()).all()
    assert [(e.action, e.user_id) for e in newest_first] == [
        ("household.view", other.id),
        ("stock.loss", other.id),
        ("household.view", admin.id),
    ]
    views = db.session.scalars(audit.events_query(action="household.view")).all()
    assert [e.user_id for e in views] == [other.id, admin.id]
    by_admin = db.session.scalars(audit.events_query(user_id=admin.id)).all()
    assert [e.action for e in by_admin] == ["household.view"]
    assert audit.logged_actions(db.session) == ["household.view", "stock.loss"]


def test_a_role_change_is_logged_and_an_unchanged_role_is_not(make):
    admin, target = make.user("admin"), make.user("warehouse")
    assert (
        audit.user_change(db.session, target, role="warehouse", active=True, user=admin, address="")
        is None
    )
    event = audit.user_change(db.session, target, role="field", active=True, user=admin, address="")
    assert event.action == "user.role_change"
    assert json.loads(event.detail) == {"role": ["warehouse", "field"]}
    event = audit.user_change(
        db.session, target, role="warehouse", active=False, user=admin, address=""
    )
    assert event.action == "user.deactivate"
    assert json.loads(event.detail) == {"active": [True, False]}
