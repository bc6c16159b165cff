"""Feedback and post-distribution monitoring in the donor's report: counts, a rate and a
mean, attributed to the donor whose kits the parcel held, never a word of any text.

The report world's two donors share every household: KOICA's parcels are `p`, DFAT's
`q`. Feedback is written here straight into its table (the feedback services are not
what is tested), with the moments a status change would have set.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

import pytest

from kitlog.blueprints.reports.common import report_data
from kitlog.documents.spreadsheets import render_csv, report_tables
from kitlog.extensions import db
from kitlog.models import FEEDBACK_CATEGORIES, Feedback, PdmResponse
from kitlog.services import distribution as dist
from tests.worlds import ReportWorld, report

RECEIVED = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
_numbers = count(1)


@pytest.fixture
def world(make) -> ReportWorld:
    world = ReportWorld(make)
    world.play()
    return world


def feedback(world, *, category="question", parcel=None, household=None, text="", **values):
    """A piece of feedback; with a parcel and no household, the parcel's household."""
    if parcel is not None and household is None:
        household = parcel.household
    row = Feedback(
        number=f"FB-2026-{next(_numbers):04d}",
        category=category,
        channel="officer",
        sensitive=category == "staff_conduct" or values.pop("sensitive", False),
        household_id=household.id if household is not None else None,
        parcel_id=parcel.id if parcel is not None else None,
        text=text or f"Feedback {category}",
        created_by_id=world.w.siti.id,
        created_at=values.pop("created_at", RECEIVED),
        **values,
    )
    db.session.add(row)
    db.session.flush()
    return row


def resolved_after(world, delay: timedelta, *, status="resolved", **values):
    return feedback(world, status=status, resolved_at=RECEIVED + delay, **values)


def pdm(parcel, *, complete: bool, satisfaction: int, comment: str = "") -> PdmResponse:
    row = PdmResponse(
        parcel_id=parcel.id,
        received_complete=complete,
        satisfaction=satisfaction,
        comment=comment,
    )
    db.session.add(row)
    db.session.flush()
    return row


def counts(r) -> dict[str, int]:
    return {c.category: c.received for c in r.feedback.by_category}


def test_every_category_is_listed_in_order_with_zeros_before_any_feedback(world):
    r = report(world.koica)
    assert [c.category for c in r.feedback.by_category] == list(FEEDBACK_CATEGORIES)
    assert len(FEEDBACK_CATEGORIES) == 7
    assert set(counts(r).values()) == {0}
    assert (r.feedback.received, r.feedback.resolved) == (0, 0)
    assert r.feedback.median_days_to_resolve is None
    assert (r.pdm.responses, r.pdm.complete_rate, r.pdm.satisfaction_mean) == (0, None, None)
    data = report_data(r)
    assert data["feedback"]["median_days_to_resolve"] is None
    assert [c["count"] for c in data["feedback"]["by_category"]] == [0] * 7
    assert data["pdm"] == {"responses": 0, "complete_rate": None, "satisfaction_mean": None}


def test_a_donor_with_no_batch_has_zeros_too(make):
    r = report(make.donor("EMPTY"))
    assert [c.received for c in r.feedback.by_category] == [0] * 7
    assert r.pdm.responses == 0


def test_feedback_about_a_parcel_counts_for_the_donor_whose_kits_it_holds(world):
    feedback(world, category="damaged", parcel=world.p[0])  # KOICA's kits
    feedback(world, category="damaged", parcel=world.p[5])  # KOICA's, lots A and B both
    feedback(world, category="not_received", parcel=world.q[1])  # DFAT's kits
    koica, dfat = report(world.koica), report(world.dfat)
    assert counts(koica)["damaged"] == 2 and counts(koica)["not_received"] == 0
    assert counts(dfat)["damaged"] == 0 and counts(dfat)["not_received"] == 1


def test_feedback_naming_no_parcel_counts_for_every_donor_whose_kits_the_household_has(world, make):
    household = world.households[2]  # a parcel of each donor
    feedback(world, category="question", household=household)
    assert counts(report(world.koica))["question"] == 1
    assert counts(report(world.dfat))["question"] == 1


def test_feedback_with_neither_a_donors_parcel_nor_household_is_no_donors(world, make):
    stranger = make.household(province="Jawa Timur", regency="Kota Surabaya")  # no parcel
    feedback(world, category="other", household=stranger)
    feedback(world, category="other")  # a call that named no household at all
    # a household whose only KOICA parcel was cancelled is no longer KOICA's
    dist.cancel_parcel(db.session, world.p[5], user=None)
    dist.cancel_parcel(db.session, world.q[5], user=None)
    feedback(world, category="other", household=world.households[5])
    for donor in (world.koica, world.dfat):
        assert counts(report(donor))["other"] == 0


def test_resolved_counts_resolved_and_closed_feedback_with_its_date(world):
    p = world.p
    resolved_after(world, timedelta(days=1), parcel=p[0])
    resolved_after(world, timedelta(days=2), status="closed", parcel=p[1])
    feedback(world, status="referred", parcel=p[2])
    feedback(world, status="open", parcel=p[3])
    # resolved, but no moment recorded (a row older than the moment): not counted
    feedback(world, status="resolved", parcel=p[4])
    r = report(world.koica)
    assert (r.feedback.received, r.feedback.resolved) == (5, 2)


def test_the_median_days_to_resolve_is_to_one_decimal(world):
    p = world.p
    hours = timedelta(hours=1)
    resolved_after(world, 27 * hours, category="damaged", parcel=p[0])  # 1.125 days
    resolved_after(world, 48 * hours, category="damaged", parcel=p[1])  # 2 days
    resolved_after(world, 120 * hours, category="missing_items", parcel=p[2])  # 5 days
    r = report(world.koica)
    assert r.feedback.median_days_to_resolve == 2.0  # of 1.125, 2 and 5
    by = {c.category: c for c in r.feedback.by_category}
    assert by["damaged"].median_days_to_resolve == 1.6  # (1.125 + 2) / 2 = 1.5625
    assert by["missing_items"].median_days_to_resolve == 5.0
    assert by["question"].median_days_to_resolve is None
    resolved_after(world, 6 * hours, category="question", parcel=p[3])  # 0.25 days
    r = report(world.koica)
    assert r.feedback.median_days_to_resolve == 1.6  # of 0.25, 1.125, 2 and 5
    assert report_data(r)["feedback"]["median_days_to_resolve"] == 1.6


def test_pdm_gives_the_responses_complete_rate_and_mean_satisfaction(world):
    p, q = world.p, world.q
    pdm(p[0], complete=True, satisfaction=5)
    pdm(p[1], complete=False, satisfaction=2)
    pdm(p[2], complete=True, satisfaction=4)
    pdm(q[0], complete=False, satisfaction=1)  # DFAT's parcel
    koica = report(world.koica).pdm
    assert koica.responses == 3
    assert koica.complete_rate == pytest.approx(2 / 3)
    assert koica.satisfaction_mean == 3.7  # 11 / 3
    dfat = report(world.dfat).pdm
    assert (dfat.responses, dfat.complete_rate, dfat.satisfaction_mean) == (1, 0.0, 1.0)


def test_a_sensitive_staff_conduct_complaint_is_counted_but_never_quoted(world):
    words = "Petugas ZXQ-STAFF-4711 meminta uang rokok"
    comment = "Komentar ZXQ-PDM-4711 paket basah"
    feedback(world, category="staff_conduct", parcel=world.p[0], text=words)
    feedback(world, category="damaged", parcel=world.p[1], sensitive=True, text=words + " 2")
    pdm(world.p[0], complete=False, satisfaction=3, comment=comment)
    r = report(world.koica)
    assert counts(r)["staff_conduct"] == 1 and counts(r)["damaged"] == 1
    assert r.pdm.responses == 1
    tables = report_tables(r, organisation="IOM")
    written = (
        repr(report_data(r))
        + repr(r)
        + "".join(render_csv(t).decode("utf-8-sig") for t in tables.values())
    )
    assert "ZXQ" not in written
    assert "staff_conduct" in written  # the category is named, its words are not


def statements_of(call) -> int:
    from sqlalchemy import event

    statements = []

    def counted(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", counted)
    try:
        call()
    finally:
        event.remove(db.engine, "before_cursor_execute", counted)
    return len(statements)


def test_feedback_and_pdm_take_two_statements_however_many_rows(world):
    db.session.commit()
    assert world.koica.code  # loaded again after the commit, before the count
    before = statements_of(lambda: report(world.koica))
    for n, parcel in enumerate(world.p):
        pdm(parcel, complete=n % 2 == 0, satisfaction=1 + n % 5)
        for category in FEEDBACK_CATEGORIES:
            resolved_after(world, timedelta(hours=n + 1), category=category, parcel=parcel)
    db.session.commit()
    assert world.koica.code
    after = statements_of(lambda: report(world.koica))
    assert after == before <= 8  # the ledger's and the lines' six, feedback's and PDM's one each
    assert report(world.koica).feedback.received == 7 * len(world.p)
