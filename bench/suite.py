"""`make bench`: how long `make test` takes here, against the 6-minute target.

Runs `scripts/run_tests.py` (what `make test` runs once the venv is installed: the lint
steps, then the suite on SQLite and on PostgreSQL) and prints each step's seconds from
its summary. The baseline, measured in the same run before and after the suite, is a
fixed piece of pure-Python work on one core (the same loop every run): when it takes
longer than usual the machine was busy, and the suite's time says more about the
machine than about the suite. The load average is printed too.

    python bench/suite.py [--target-s 360] [--only sqlite|postgresql|lint]

It exits non-zero when the suite fails, never because it was slow.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STEP = re.compile(r"^\s{2}(\S.{0,16}?)\s+(ok|FAILED|skipped)\s+(.*?)\((\d+) s\)\s*$")
TOTAL = re.compile(r"kitlog test summary \((\d+) s\)")


def calibration() -> float:
    """Seconds for a fixed pure-Python workload (about 1 s on an idle core here)."""
    started = time.perf_counter()
    total = 0
    for n in range(6_000_000):
        total += n * n % 7
    assert total > 0  # noqa: S101 - the loop ran
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target-s", type=float, default=360.0)
    parser.add_argument("--only", choices=("lint", "sqlite", "postgresql"))
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    before = calibration()
    command = [sys.executable, str(ROOT / "scripts" / "run_tests.py")]
    if args.only:
        command += ["--only", args.only]
    started = time.monotonic()
    process = subprocess.run(  # noqa: S603 - our own interpreter and script
        command, cwd=ROOT, capture_output=True, text=True, check=False
    )
    elapsed = time.monotonic() - started
    after = calibration()
    output = process.stdout.splitlines()
    steps = [m.groups() for line in output if (m := STEP.match(line))]
    print("\n`make test` (scripts/run_tests.py), after the venv is installed:")
    print(f"{'step':<18} {'status':<8} {'s':>6}  detail")
    print("-" * 72)
    for name, status, detail, seconds in steps:
        print(f"{name:<18} {status:<8} {int(seconds):>6}  {detail.strip()}")
    print("-" * 72)
    print(
        f"{'whole run':<18} {'':<8} {elapsed:>6.0f}  target <= {args.target_s:.0f} s:"
        f" {'met' if elapsed <= args.target_s else 'NOT met'} ({elapsed / args.target_s:.2f} x)"
    )
    print(
        f"baseline: a fixed pure-Python loop took {before:.2f} s before and {after:.2f} s after"
        f" the suite; load average before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f}"
    )
    last = [line for line in output if line.startswith("kitlog: ")]
    if last:
        print(last[-1])
    if process.returncode != 0:
        # which tests failed, from either half's summary (the tail shows only the last half)
        failed = [line for line in output if line.startswith(("FAILED ", "ERROR "))]
        print("\n".join(failed), file=sys.stderr)
        print("\n".join(output[-40:]), file=sys.stderr)
        print(process.stderr[-4000:], file=sys.stderr)
        print(f"SUITE FAILED (exit {process.returncode})", file=sys.stderr)
    return process.returncode


if __name__ == "__main__":
    sys.exit(main())
