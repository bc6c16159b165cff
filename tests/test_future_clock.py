"""`scripts/run_tests.py --clock-offset DAYS` (make test-future) really moves the clock: of
a Python process started as the run starts its subprocesses, and of a program that is not
Python (Chromium) through libfaketime; the monotonic clock of neither moves."""

from __future__ import annotations

import glob
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from time_machine import escape_hatch

import config as kitlog_config
from tests.conftest import CLOCK_OFFSET_ENV, FUTURE_CLOCK, LIBFAKETIME, faked_clock_env

DAYS = 400
CHILD = (
    "import datetime, time; "
    "print(datetime.datetime.now(datetime.UTC).isoformat(), time.monotonic()); "
    "time.sleep(0.01)"
)


def _env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in (CLOCK_OFFSET_ENV, "PYTHONPATH")}
    return {**env, **values}


def _real_now() -> datetime:
    """The machine's clock, even when this very run is one with an offset."""
    if escape_hatch.is_travelling():
        return escape_hatch.datetime.datetime.now(UTC)
    return datetime.now(UTC)


def _ahead(moment: datetime, days: int) -> timedelta:
    """How far `moment` is from `days` days after the real now."""
    return abs(moment - (_real_now() + timedelta(days=days)))


def test_a_python_process_of_the_run_sees_the_clock_days_ahead_and_sleeps_for_real():
    here = _real_now()
    env = _env(**{CLOCK_OFFSET_ENV: str(DAYS), "PYTHONPATH": str(FUTURE_CLOCK)})
    out = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert _ahead(datetime.fromisoformat(out[0]), DAYS) < timedelta(minutes=5)
    assert float(out[1]) < 10 * 365 * 86_400  # the monotonic clock is the machine's own
    plain = subprocess.run(
        [sys.executable, "-c", CHILD], env=_env(), capture_output=True, text=True, check=True
    ).stdout.split()
    assert abs(datetime.fromisoformat(plain[0]) - here) < timedelta(days=1)


def test_without_an_offset_the_browser_gets_no_faked_clock(monkeypatch):
    monkeypatch.delenv(CLOCK_OFFSET_ENV, raising=False)
    assert faked_clock_env() == {}


def test_a_program_that_is_not_python_sees_the_same_clock_through_libfaketime(monkeypatch):
    if not glob.glob(LIBFAKETIME):
        if kitlog_config.TestConfig.CI:
            pytest.fail("libfaketime is missing (apt-get install faketime)", pytrace=False)
        pytest.skip("libfaketime is not installed (apt-get install faketime)")
    monkeypatch.setenv(CLOCK_OFFSET_ENV, str(DAYS))
    env = {**os.environ, **faked_clock_env()}
    shown = subprocess.run(
        ["date", "-u", "+%Y-%m-%dT%H:%M:%S+00:00"], env=env, capture_output=True, text=True
    ).stdout.strip()
    assert _ahead(datetime.fromisoformat(shown), DAYS) < timedelta(minutes=5)
