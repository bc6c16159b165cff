"""A transaction PostgreSQL ends for a deadlock (or a serialisation failure) wrote
nothing: the request runs again and its work is recorded once; past the last attempt,
or for any other database error, the error is answered."""

from __future__ import annotations

import psycopg.errors
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from kitlog import unit_of_work
from kitlog.extensions import db
from kitlog.models import Scan
from kitlog.services import scans as scan_service
from tests.conftest import ApiClient
from tests.worlds import ScanWorld


def _failing_first(monkeypatch, times: int, error: Exception) -> list[int]:
    """record_scan raises `error` after doing its work, `times` times, then works."""
    real = scan_service.record_scan
    calls: list[int] = []

    def flaky(session, *args, **kwargs):
        result = real(session, *args, **kwargs)
        session.flush()
        calls.append(1)
        if len(calls) <= times:
            raise error
        return result

    monkeypatch.setattr(scan_service, "record_scan", flaky)
    return calls


def _deadlock() -> OperationalError:
    return OperationalError("UPDATE parcel_kit_totals ...", {}, psycopg.errors.DeadlockDetected())


@pytest.fixture
def w(make) -> ScanWorld:
    return ScanWorld(make)


@pytest.fixture
def scan(client, make, w):
    api = ApiClient(client, make.token(w.budi), "en")

    def send(key: str):
        parcel = w.parcels[0]
        body = {"code": parcel.short_code, "action": "pack", "idempotency_key": key}
        return api.post("/api/v1/scans", json=body)

    return send


def _scans() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Scan))


def test_a_deadlocked_scan_runs_again_and_is_recorded_once(monkeypatch, scan):
    calls = _failing_first(monkeypatch, 2, _deadlock())
    response = scan("retry-key-0001")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["outcome"] == "ok"
    assert len(calls) == unit_of_work.ATTEMPTS  # two deadlocks, then the third ran
    assert _scans() == 1


def test_past_the_last_attempt_the_error_is_answered_and_nothing_kept(monkeypatch, scan):
    calls = _failing_first(monkeypatch, unit_of_work.ATTEMPTS, _deadlock())
    response = scan("retry-key-0002")
    assert response.status_code >= 500
    assert len(calls) == unit_of_work.ATTEMPTS
    assert _scans() == 0


def test_another_database_error_is_not_run_again(monkeypatch, scan):
    other = OperationalError("SELECT ...", {}, psycopg.errors.QueryCanceled())
    calls = _failing_first(monkeypatch, 1, other)
    response = scan("retry-key-0003")
    assert response.status_code >= 500
    assert len(calls) == 1
    assert _scans() == 0
