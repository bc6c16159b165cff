"""Household cards: one current card per household; a reissued card is refused by name,
wherever it is scanned; every issue is audited; two staff reissuing at once leave one
current card."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kitlog.extensions import db
from kitlog.models import AuditEvent, Household, HouseholdCard, User
from kitlog.services import cards
from kitlog.services.locking import begin_write

DAY1 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
DAY2 = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)


def test_a_card_is_found_by_its_url_token_or_short_code_typed_any_way(make, app):
    household = make.household()
    card = cards.issue_card(db.session, household, user=None, now=DAY1)
    db.session.commit()
    url = cards.card_url(card, "https://kitlog.example.org")
    assert url == f"https://kitlog.example.org/h/{card.token}"
    short = cards.shown_code(card)
    for text in (url, card.token, card.token.lower(), short, short.lower().replace("-", " ")):
        assert cards.find_card(db.session, text).id == card.id, text
    # a parcel's URL, a typo in the short code, and nonsense name no card
    typo = short[:-1] + ("2" if short[-1] != "2" else "3")
    for text in (f"https://kitlog.example.org/p/{card.token}", typo, "hello", ""):
        assert cards.find_card(db.session, text) is None, text
    assert household.card.id == card.id
    assert cards.card_refusal(card) is None


def test_reissuing_replaces_the_card_which_is_then_refused_with_its_date(make, app):
    household = make.household()
    old = cards.issue_card(db.session, household, user=None, now=DAY1)
    db.session.commit()
    new = cards.issue_card(db.session, household, user=None, now=DAY2)
    db.session.commit()
    assert new.token != old.token and new.short_code != old.short_code
    found = cards.find_card(db.session, old.token)
    assert found.id == old.id and found.replaced
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert str(cards.card_refusal(found)) == "Card replaced on 5 Dec 2026."
    db.session.expire_all()
    assert household.card.id == new.id
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_ref == household.code, AuditEvent.action.like("card.%"))
        .order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in events] == ["card.issue", "card.reissue"]
    assert cards.shown_code(old) in events[1].detail and cards.shown_code(new) in events[1].detail
    # never personal data in the log
    assert household.nik not in events[1].detail and household.head_name not in events[1].detail


def test_current_card_issues_one_only_when_there_is_none(make, app):
    household = make.household()
    first = cards.current_card(db.session, household, user=None)
    again = cards.current_card(db.session, household, user=None)
    db.session.commit()
    assert first.id == again.id
    assert db.session.scalar(select(func.count()).select_from(HouseholdCard)) == 1


def test_the_database_refuses_two_current_cards_for_one_household(make, app):
    from sqlalchemy.exc import IntegrityError

    household = make.household()
    cards.issue_card(db.session, household, user=None)
    db.session.commit()
    db.session.add(HouseholdCard(household_id=household.id, token="A" * 16, short_code="23456789A"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.postgresql_only
def test_staff_reissuing_at_once_leave_exactly_one_current_card(make, app):
    household = make.household()
    admin = make.user("admin")
    cards.issue_card(db.session, household, user=None)
    db.session.commit()
    admin_id, household_id = admin.id, household.id  # read here: the threads share nothing
    threads_count = 6
    barrier = threading.Barrier(threads_count)
    errors: list[str] = []

    def work():
        with app.app_context():
            session = Session(db.engine)
            try:
                user = session.get(User, admin_id)
                barrier.wait(timeout=30)
                begin_write(session)
                cards.issue_card(session, session.get(Household, household_id), user=user)
                session.commit()
            except Exception as error:  # noqa: BLE001 - reported below
                session.rollback()
                errors.append(repr(error))
            finally:
                session.close()

    threads = [threading.Thread(target=work) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    rows = db.session.execute(
        select(HouseholdCard.replaced_at).where(HouseholdCard.household_id == household_id)
    ).all()
    assert len(rows) == threads_count + 1
    assert sum(1 for (replaced_at,) in rows if replaced_at is None) == 1
