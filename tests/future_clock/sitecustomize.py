"""Runs the wall clock KITLOG_TEST_CLOCK_OFFSET_DAYS days ahead in every Python process of a
test run: pytest, its xdist workers, and the gunicorn and child processes tests start.

scripts/run_tests.py --clock-offset DAYS puts this folder on PYTHONPATH, so Python imports
this module before anything else and nothing can keep a reference to the real clock.
time-machine moves time.time(), datetime.now(), date.today() and the like, and lets the
clock tick; time.monotonic() and sleeps stay real. Self-contained (the standard library and
time-machine only): the repository is not yet on sys.path when Python imports it.
"""

from __future__ import annotations

import os
import time

ENV = "KITLOG_TEST_CLOCK_OFFSET_DAYS"
_started: list[object] = []


def start() -> float:
    """Move this process's wall clock ahead by the offset, once; the offset in days (0: none)."""
    days = float(os.environ.get(ENV) or 0)
    if days and not _started:
        import time_machine

        traveller = time_machine.travel(time.time() + days * 86_400, tick=True)
        traveller.start()
        _started.append(traveller)
    return days


start()
