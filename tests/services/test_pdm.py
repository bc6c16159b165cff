"""Post-distribution monitoring: the default sample size (95 % confidence, 10 % margin),
a seeded draw of the round's delivered parcels that can be repeated, one survey answer a
sampled delivered parcel (idempotent by key, also for sends of one key at the same moment),
and the round's results."""

from __future__ import annotations

import json
import threading

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kitlog.extensions import db
from kitlog.models import AuditEvent, PdmResponse, PdmSample, User
from kitlog.services import pdm
from kitlog.services.errors import Conflict, InvalidValue, InvalidValues
from kitlog.services.locking import begin_write
from tests.worlds import T0, ScanWorld


@pytest.fixture
def w(make) -> ScanWorld:
    """Eight households; the first six parcels delivered, the last two still on the road."""
    world = ScanWorld(make, households=8)
    world.on_the_road(world.parcels)
    for parcel in world.parcels[:6]:
        world.scan(parcel, "deliver")
    return world


def sample(w, **kw) -> PdmSample:
    drawn = pdm.draw_sample(db.session, w.round, user=w.admin, **kw)
    db.session.commit()
    return drawn


def answer(w, parcel, **values):
    values = {"parcel": parcel.short_code, "received_complete": True, "satisfaction": 4, **values}
    response, new = pdm.record_response(db.session, values, user=w.siti, now=T0)
    db.session.commit()
    return response, new


@pytest.mark.parametrize(
    ("population", "size"),
    [
        # n = 96.04 / (1 + 95.04 / N), rounded up
        (1, 1),  # 1.0
        (10, 10),  # 9.14
        (50, 34),  # 33.11
        (100, 50),  # 49.24
        (551, 82),  # 81.91
        (1000, 88),  # 87.70
        (10000, 96),  # 95.14: one more household than 95
        (1_000_000, 97),  # 96.03: n0 = 96.04 itself for an endless population
    ],
)
def test_the_default_size_gives_95_percent_confidence_and_a_10_percent_margin(population, size):
    assert pdm.default_size(population) == size


def test_no_population_needs_no_sample():
    assert pdm.default_size(0) == 0


def test_a_sample_draws_delivered_parcels_only_with_its_default_size(w):
    drawn = sample(w)
    delivered = {p.id for p in w.parcels[:6]}
    assert drawn.population == 6 and drawn.size == pdm.default_size(6) == 6
    assert {line.parcel_id for line in drawn.parcels} == delivered
    assert [line.position for line in drawn.parcels] == [1, 2, 3, 4, 5, 6]
    assert 0 <= drawn.seed < 2**31


def test_the_same_seed_on_the_same_parcels_draws_the_same_households(w):
    first = sample(w, size=3, seed=20261207)
    again = sample(w, size=3, seed=20261207)
    other = sample(w, size=3, seed=1)
    assert [line.parcel_id for line in first.parcels] == [line.parcel_id for line in again.parcels]
    ids = [p.id for p in w.parcels[:6]]
    expected = pdm.draw(sorted(ids), 3, 20261207)
    assert [line.parcel_id for line in first.parcels] == expected
    assert [line.parcel_id for line in other.parcels] != expected or other.seed == first.seed
    # the latest is the current one
    assert pdm.current_sample(db.session, w.round).id == other.id


def test_a_sample_larger_than_the_delivered_parcels_is_refused(w):
    with pytest.raises(InvalidValue) as refused, force_locale("id"):
        sample(w, size=7)
    assert refused.value.status == 422 and refused.value.field == "size"
    with force_locale("id"):
        assert str(refused.value) == (
            "Baru 6 paket putaran ini yang diterima: ambil paling banyak 6."
        )


def test_a_round_with_nothing_delivered_cannot_be_sampled(make):
    world = ScanWorld(make, households=2)
    with pytest.raises(Conflict) as refused:
        pdm.draw_sample(db.session, world.round, user=world.admin)
    assert refused.value.status == 409
    assert db.session.scalar(select(func.count()).select_from(PdmSample)) == 0


def test_a_sample_is_audited_with_its_seed(w):
    drawn = sample(w, size=2, seed=42)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "pdm.sample")).one()
    assert event.object_ref == str(w.round.id)
    assert json.loads(event.detail) == {
        "population": 6,
        "sample": drawn.id,
        "seed": 42,
        "size": 2,
    }


def test_a_sampled_delivered_parcel_is_answered_once(w):
    sample(w)
    parcel = w.parcels[0]
    response, new = answer(
        w, parcel, received_complete=False, items_missing=["soap", 1], satisfaction=2,
        comment="  Sabun   tidak ada  ",
    )  # fmt: skip
    assert new and response.parcel_id == parcel.id
    assert json.loads(response.items_missing) == [1, 2]  # Mask is 1, Soap 2
    assert response.comment == "Sabun tidak ada"
    with pytest.raises(Conflict) as refused:
        answer(w, parcel)
    with force_locale("en"):
        assert (
            str(refused.value) == "This household already answered for this parcel on 3 Dec 2026."
        )


def test_the_same_key_again_gives_the_same_response_and_nothing_new(w):
    sample(w)
    first, new = answer(w, w.parcels[0], idempotency_key="phone-1")
    again, again_new = answer(w, w.parcels[0], idempotency_key="phone-1", satisfaction=1)
    assert new and not again_new and again.id == first.id and again.satisfaction == 4
    assert db.session.scalar(select(func.count()).select_from(PdmResponse)) == 1
    with pytest.raises(Conflict):
        answer(w, w.parcels[1], idempotency_key="phone-1")


@pytest.mark.postgresql_only
def test_one_answer_sent_six_times_at_once_is_recorded_once_and_each_send_gets_it(w, app):
    sample(w)
    code, officer_id = w.parcels[0].short_code, w.siti.id  # read here: threads share nothing
    sends = 6
    barrier = threading.Barrier(sends)
    errors: list[str] = []
    answers: list[tuple[int, bool]] = []

    def send():
        with app.app_context():
            session = Session(db.engine)
            try:
                officer = session.get(User, officer_id)
                barrier.wait(timeout=30)
                begin_write(session)
                response, new = pdm.record_response(
                    session,
                    {
                        "parcel": code,
                        "received_complete": True,
                        "satisfaction": 5,
                        "idempotency_key": "phone-same-moment",
                    },
                    user=officer,
                )
                session.commit()
                answers.append((response.id, new))
            except Exception as error:  # noqa: BLE001 - reported below
                session.rollback()
                errors.append(repr(error))
            finally:
                session.close()

    threads = [threading.Thread(target=send) for _ in range(sends)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    db.session.commit()  # a new transaction sees what the threads committed
    [recorded] = db.session.scalars(select(PdmResponse)).all()
    assert (recorded.satisfaction, recorded.idempotency_key) == (5, "phone-same-moment")
    assert sorted(answers, key=lambda a: not a[1]) == [(recorded.id, True)] + [
        (recorded.id, False)
    ] * (sends - 1)
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == pdm.ANSWERED)
        )
        == 1
    )


def test_a_parcel_not_delivered_or_not_sampled_is_refused(w):
    sample(w, size=2, seed=7)
    drawn = {line.parcel_id for line in pdm.current_sample(db.session, w.round).parcels}
    on_the_road = w.parcels[7]
    outside = next(p for p in w.parcels[:6] if p.id not in drawn)
    with force_locale("en"):
        with pytest.raises(Conflict, match="not been delivered"):
            answer(w, on_the_road)
        with pytest.raises(Conflict, match="not in a monitoring sample"):
            answer(w, outside)


def test_bad_answers_are_each_named(w):
    sample(w)
    with pytest.raises(InvalidValues) as refused:
        answer(
            w, w.parcels[0], received_complete="yes", items_missing=["torch"], satisfaction=6,
            comment="x" * 1001,
        )  # fmt: skip
    fields = [e.field for e in refused.value.errors]
    assert fields == ["received_complete", "items_missing", "satisfaction", "comment"]
    with pytest.raises(InvalidValues) as refused:
        answer(w, w.parcels[0], received_complete=True, items_missing=[1])
    assert [e.field for e in refused.value.errors] == ["items_missing"]


def test_an_incomplete_kit_may_list_no_missing_item(w):
    sample(w)
    response, _ = answer(w, w.parcels[0], received_complete=False)
    assert json.loads(response.items_missing) == []


def test_the_results_sum_up_every_answer_of_the_round(w):
    drawn = sample(w, size=4, seed=3)
    parcels = {p.id: p for p in w.parcels}
    lines = [parcels[line.parcel_id] for line in drawn.parcels]
    answer(w, lines[0], satisfaction=5)
    answer(w, lines[1], received_complete=False, items_missing=[2], satisfaction=2)
    answer(w, lines[2], received_complete=False, items_missing=[1, 2], satisfaction=3)
    results = pdm.round_results(db.session, w.round)
    assert (results.responses, results.complete) == (3, 1)
    assert results.complete_rate == pytest.approx(1 / 3)
    assert results.satisfaction_mean == pytest.approx(10 / 3)
    assert results.distribution == {1: 0, 2: 1, 3: 1, 4: 0, 5: 1}
    assert [(m.position, m.item.item, m.count) for m in results.missing] == [
        (2, "Soap", 2),
        (1, "Mask", 1),
    ]
    assert (results.sample.size, results.sample.seed, results.sample.population) == (4, 3, 6)
    assert results.sample_answered == 3


def test_a_round_with_no_answer_has_empty_results(w):
    results = pdm.round_results(db.session, w.round)
    assert results.responses == 0 and results.complete_rate is None
    assert results.satisfaction_mean is None and results.sample is None
