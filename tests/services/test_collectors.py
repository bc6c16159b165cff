"""Collectors (wakil penerima): cleaned like a head of household; at most three active per
household, also when officers add them at the same moment; never the head's own NIK;
removed, never deleted; every change audited without personal data."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kitlog.extensions import db
from kitlog.models import AuditEvent, Collector, Household, User
from kitlog.services import collectors
from kitlog.services.errors import Conflict, Duplicate, InvalidValue, InvalidValues, NotFound
from kitlog.services.locking import begin_write

DAY1 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def neighbour(n: int = 1, **values) -> dict:
    return {"name": f"Sri Wahyuni {n}", "relation": "tetangga", **values}


def test_a_collector_is_stored_cleaned_like_a_head_of_household(make, app):
    household = make.household()
    nik = make.nik()
    collector = collectors.add_collector(
        db.session,
        household,
        {
            "name": "  Sri   Wahyuni ",
            "relation": " anak  sulung ",
            "nik": f"{nik[:6]} {nik[6:12]} {nik[12:]}",
            "phone": "0812-3456-7890",
        },
        user=None,
        now=DAY1,
    )
    db.session.commit()
    db.session.expire_all()
    assert (collector.name, collector.relation) == ("Sri Wahyuni", "anak sulung")
    assert (collector.nik, collector.phone) == (nik, "+6281234567890")
    assert collector.active and collector.created_at.replace(tzinfo=UTC) == DAY1
    assert [c.id for c in household.collectors] == [collector.id]


def test_a_collectors_nik_and_phone_may_be_left_out(make, app):
    household = make.household()
    collector = collectors.add_collector(
        db.session, household, neighbour(nik="", phone=None), user=None
    )
    assert collector.nik is None and collector.phone == ""


def test_every_bad_value_is_listed_on_its_field(make, app):
    household = make.household()
    with app.test_request_context(headers={"Accept-Language": "en"}):
        with pytest.raises(InvalidValues) as refused:
            collectors.add_collector(
                db.session,
                household,
                {"name": "1234", "relation": "x" * 41, "nik": "12345", "phone": "12"},
                user=None,
            )
        messages = {e.field: str(e.message) for e in refused.value.errors}
        assert messages == {
            "name": "A name needs letters.",
            "relation": "Keep this under 40 characters.",
            "nik": "A NIK has exactly 16 digits.",
            "phone": "Enter an Indonesian phone number: 08…, +62… or 62….",
        }
        with pytest.raises(InvalidValues) as refused:
            collectors.add_collector(db.session, household, {}, user=None)
        messages = {e.field: str(e.message) for e in refused.value.errors}
        assert messages == {
            "name": "Enter a name.",
            "relation": "Say how the collector is related to the household.",
        }
    assert db.session.scalar(select(func.count()).select_from(Collector)) == 0


def test_a_fourth_active_collector_is_refused_naming_the_limit(make, app):
    household = make.household()
    for n in range(3):
        collectors.add_collector(db.session, household, neighbour(n), user=None)
    db.session.commit()
    with app.test_request_context(headers={"Accept-Language": "en"}):
        with pytest.raises(Conflict) as refused:
            collectors.add_collector(db.session, household, neighbour(4), user=None)
        assert refused.value.status == 409
        assert str(refused.value) == (
            "A household names at most 3 collectors. Remove one before adding another."
        )
    db.session.rollback()
    assert len(household.collectors) == 3


def test_a_removed_collector_frees_a_place_and_keeps_its_row(make, app):
    household = make.household()
    user = make.user("field")
    added = [
        collectors.add_collector(db.session, household, neighbour(n), user=user) for n in range(3)
    ]
    removed = collectors.deactivate_collector(
        db.session, household, added[0].id, user=user, now=DAY1
    )
    assert not removed.active and removed.deactivated_by_id == user.id
    assert removed.deactivated_at.replace(tzinfo=UTC) == DAY1
    fourth = collectors.add_collector(db.session, household, neighbour(4), user=user)
    db.session.commit()
    db.session.expire_all()
    assert [c.id for c in household.collectors] == [added[1].id, added[2].id, fourth.id]
    assert db.session.scalar(select(func.count()).select_from(Collector)) == 4
    # removing it again changes nothing
    again = collectors.deactivate_collector(db.session, household, added[0].id, user=None)
    assert again.deactivated_by_id == user.id


def test_the_head_of_household_is_not_their_own_collector(make, app):
    household = make.household()
    with app.test_request_context(headers={"Accept-Language": "en"}):
        with pytest.raises(InvalidValue) as refused:
            collectors.add_collector(db.session, household, neighbour(nik=household.nik), user=None)
        assert refused.value.field == "nik"
        assert "head of household's own NIK" in str(refused.value)


def test_one_person_is_named_once(make, app):
    household = make.household()
    nik = make.nik()
    collectors.add_collector(db.session, household, neighbour(1, nik=nik), user=None)
    with pytest.raises(Duplicate) as refused:
        collectors.add_collector(db.session, household, neighbour(2, nik=nik), user=None)
    assert refused.value.field == "nik"


def test_a_collector_of_another_household_is_not_found(make, app):
    ours, theirs = make.household(), make.household()
    collector = collectors.add_collector(db.session, theirs, neighbour(), user=None)
    for collector_id in (collector.id, 999_999, 2**40):
        with pytest.raises(NotFound):
            collectors.deactivate_collector(db.session, ours, collector_id, user=None)
    assert collector.active


def test_naming_and_removing_a_collector_are_audited_without_personal_data(make, app):
    household = make.household()
    user = make.user("field")
    collector = collectors.add_collector(
        db.session, household, neighbour(nik=make.nik(), phone="081298765432"), user=user
    )
    collectors.deactivate_collector(db.session, household, collector.id, user=user)
    db.session.commit()
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.like("collector.%")).order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.object_ref, e.user_id) for e in events] == [
        ("collector.add", household.code, user.id),
        ("collector.deactivate", household.code, user.id),
    ]
    for event in events:
        assert str(collector.id) in event.detail
        for secret in (collector.name, collector.nik, "98765432", "tetangga"):
            assert secret not in event.detail


@pytest.mark.postgresql_only
def test_officers_adding_at_once_never_make_a_fourth_collector(make, app):
    household = make.household()
    user = make.user("field")
    collectors.add_collector(db.session, household, neighbour(0), user=None)
    db.session.commit()
    user_id, household_id = user.id, household.id  # read here: the threads share nothing
    threads_count = 6
    barrier = threading.Barrier(threads_count)
    refused: list[str] = []
    errors: list[str] = []

    def work(n: int):
        with app.app_context():
            session = Session(db.engine)
            try:
                barrier.wait(timeout=30)
                begin_write(session)
                collectors.add_collector(
                    session,
                    session.get(Household, household_id),
                    neighbour(n + 1),
                    user=session.get(User, user_id),
                )
                session.commit()
            except Conflict as error:
                session.rollback()
                refused.append(type(error).__name__)
            except Exception as error:  # noqa: BLE001 - reported below
                session.rollback()
                errors.append(repr(error))
            finally:
                session.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert refused == ["Conflict"] * 4
    active = db.session.scalar(
        select(func.count())
        .select_from(Collector)
        .where(Collector.household_id == household_id, Collector.active)
    )
    assert active == 3
