"""`kitlog anonymise`: asks first, says how many households it anonymised, and a second
run changes nothing more."""

from __future__ import annotations

from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import AuditEvent, Household
from kitlog.services.stock import reconciliation_problems
from tests.worlds import EndOfRound


def _names() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(Household.head_name).order_by(Household.id)))


def test_anonymise_a_round_asks_first_then_says_how_many(runner, make):
    end = EndOfRound(make)
    names = _names()
    refused = runner.invoke(args=["anonymise", "--round", str(end.w.round.id)], input="n\n")
    assert refused.exit_code == 1 and "Aborted" in refused.output
    assert _names() == names

    result = runner.invoke(args=["anonymise", "--round", str(end.w.round.id)], input="y\n")
    assert result.exit_code == 0, result.output
    assert "2 household(s) anonymised" in result.output
    assert _names() == ["—", "—", names[2]]
    assert reconciliation_problems(db.session) == []

    again = runner.invoke(args=["anonymise", "--round", str(end.w.round.id), "--yes"])
    assert again.exit_code == 0
    assert "0 household(s) anonymised (2 already anonymised)" in again.output
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions == ["households.anonymise"]


def test_anonymise_by_date_and_bad_arguments(runner, make):
    EndOfRound(make)
    result = runner.invoke(args=["anonymise", "--before", "2026-12-04", "--yes"])
    assert result.exit_code == 0, result.output
    assert "2 household(s) anonymised" in result.output
    neither = runner.invoke(args=["anonymise", "--yes"])
    assert neither.exit_code == 2 and "--round N or --before" in neither.output
    missing = runner.invoke(args=["anonymise", "--round", "999", "--yes"])
    assert missing.exit_code == 1 and "There is no round 999" in missing.output
    help_text = " ".join(runner.invoke(args=["anonymise", "--help"]).output.split())
    assert "in progress" in help_text and "donor reports do not change" in help_text
