"""`make test`: ruff, the import contracts, mypy, then the suite on SQLite and on PostgreSQL.

Every step runs even when an earlier one failed, so one run shows all that is wrong;
the exit status is non-zero when any step failed. The last line is the total count,
for example `kitlog: 212 passed, 0 failed, 4 skipped`.

Environment:
  KITLOG_TEST_DATABASE_URL  the PostgreSQL half's database (its tables are emptied!)
                            default postgresql+psycopg://postgres@127.0.0.1:5432/test
  CI                        `true`: an unreachable PostgreSQL fails the run instead of
                            skipping the PostgreSQL half
  PYTEST_ARGS               extra pytest arguments for both halves, e.g. "-x -k stock"
                            (the PostgreSQL half leaves out the tests marked one_database,
                            the browser and documents tests, which the SQLite half runs)
  PYTEST_WORKERS            pytest-xdist workers for each half (default 2; 0 = off).
                            On PostgreSQL each worker uses its own database next to the
                            configured one (`test_gw0`, `test_gw1`), created when missing.
  (each half keeps pytest's cache apart: `pytest --lf -o cache_dir=.pytest_cache/sqlite`
  reruns what failed in the SQLite half, `.pytest_cache/postgresql` in the other)
  KITLOG_TEST_HALVES        `together` (default): the PostgreSQL half runs at the same time
                            as the lint steps and the SQLite half, its output shown when it
                            ends; `one-at-a-time`: SQLite, then PostgreSQL, both shown live

The halves share the machine's cores: a half alone leaves them idle while its tests wait
(on PostgreSQL's server, on a subprocess, on Chromium, on the last long test of a worker),
and the other half fills those gaps. Compiled modules and pytest's rewritten test modules
are cached in `__pycache__` (git-ignored) even when PYTHONDONTWRITEBYTECODE is set, so each
of the run's pytest processes does not compile them all again.

`--clock-offset DAYS` runs the suite (without the lint steps, unless --only lint) with the
wall clock DAYS days ahead, as `make test-future` does at +365 and +1095: the tests must
pass on any date. Every Python process of the run (pytest, its workers, the gunicorn and
child processes tests start) travels through time-machine (tests/future_clock/ on
PYTHONPATH); Chromium through libfaketime (Debian's `faketime` package). The monotonic
clock stays real, and so does PostgreSQL's: kitlog never asks the server for the time.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FUTURE_CLOCK = ROOT / "tests" / "future_clock"
CLOCK_OFFSET_ENV = "KITLOG_TEST_CLOCK_OFFSET_DAYS"
CLOCK_WARNING_FILTER = "ignore:Module already imported so cannot be rewritten"
BIN = Path(sys.executable).parent
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

PYTEST_EXIT = {
    1: "some tests failed",
    2: "pytest was interrupted",
    3: "pytest hit an internal error",
    4: "pytest was called wrongly",
    5: "pytest collected no tests",
}


@dataclass
class Step:
    name: str
    status: str = "ok"  # ok | FAILED | skipped
    detail: str = ""
    passed: int = 0
    failed: int = 0
    skipped: int = 0


def on_ci() -> bool:
    return os.environ.get("CI", "") in ("1", "true", "True", "yes")


def banner(text: str) -> None:
    print(f"\n==> {text}", flush=True)


def run(cmd: list[str]) -> int:
    print("$ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    return subprocess.call(cmd, cwd=ROOT)


def halves_together() -> bool:
    return os.environ.get("KITLOG_TEST_HALVES", "together").strip() != "one-at-a-time"


def pytest_env() -> dict[str, str]:
    """The environment of a pytest run: bytecode cached (see the module's doc)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


@dataclass
class Started:
    """A pytest half running in the background, its output going to a file."""

    name: str
    process: subprocess.Popen
    output: Path
    report: Path
    started: float


def lint_steps() -> list[Step]:
    steps = []
    started = time.monotonic()
    for name, cmd, hint in (
        ("ruff check", [str(BIN / "ruff"), "check", "."], "run `make format`, then fix the rest"),
        (
            "ruff format",
            [str(BIN / "ruff"), "format", "--check", "."],
            "run `make format` (ruff format .)",
        ),
        (
            "import contracts",
            [str(BIN / "lint-imports"), "--no-cache", "--no-logo"],
            "see docs/architecture.md",
        ),
        (
            "mypy",
            [str(BIN / "mypy")],
            "fix the types it names ([tool.mypy] in pyproject.toml)",
        ),
    ):
        banner(name)
        code = run(cmd)
        steps.append(Step(name) if code == 0 else Step(name, "FAILED", hint))
    steps[-1].detail = f"{steps[-1].detail}  ({time.monotonic() - started:.0f} s)".strip()
    return steps


def count_junit(path: Path) -> tuple[int, int, int]:
    """(passed, failed, skipped) from a JUnit XML report; failed includes errors."""
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    tests = failures = errors = skipped = 0
    for suite in suites:
        tests += int(suite.get("tests", 0))
        failures += int(suite.get("failures", 0))
        errors += int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
    failed = failures + errors
    return tests - failed - skipped, failed, skipped


def cache_dir(name: str) -> Path:
    """Each half keeps pytest's cache (the tests that failed last, for `--lf`) in its own
    folder: in one, the half that ended last rewrote what the other had found failing."""
    return ROOT / ".pytest_cache" / name.lower()


def pytest_command(name: str, args: list[str], report_dir: Path) -> tuple[list[str], Path]:
    report = report_dir / f"{name.lower()}.xml"
    extra = shlex.split(os.environ.get("PYTEST_ARGS", ""))
    disabled = "no:cacheprovider" in [*args, *extra]  # then pytest has no cache_dir option
    cache = [] if disabled else ["-o", f"cache_dir={cache_dir(name)}"]
    return [str(BIN / "pytest"), *args, *cache, f"--junitxml={report}", *extra], report


def pytest_step(name: str, args: list[str], report_dir: Path) -> Step:
    banner(f"the test suite on {name}")
    cmd, report = pytest_command(name, args, report_dir)
    started = time.monotonic()
    print("$ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    code = subprocess.call(cmd, cwd=ROOT, env=pytest_env())
    return pytest_result(name, code, report, time.monotonic() - started)


def start_pytest(name: str, args: list[str], report_dir: Path) -> Started:
    """Start a half in the background (see KITLOG_TEST_HALVES); finish_pytest shows it."""
    cmd, report = pytest_command(name, args, report_dir)
    output = report_dir / f"{name.lower()}.out"
    with open(output, "wb") as out:
        process = subprocess.Popen(
            cmd, cwd=ROOT, env=pytest_env(), stdout=out, stderr=subprocess.STDOUT
        )
    print(f"(the suite on {name} runs meanwhile; its output follows the SQLite half's)")
    print("$ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    return Started(name, process, output, report, time.monotonic())


def finish_pytest(started: Started) -> Step:
    banner(f"the test suite on {started.name}")
    code = started.process.wait()
    elapsed = time.monotonic() - started.started
    sys.stdout.flush()
    with open(started.output, "rb") as out:
        sys.stdout.buffer.write(out.read())
    sys.stdout.buffer.flush()
    return pytest_result(started.name, code, started.report, elapsed)


def pytest_result(name: str, code: int, report: Path, elapsed: float) -> Step:
    step = Step(name)
    if report.exists():
        step.passed, step.failed, step.skipped = count_junit(report)
    if code != 0:
        step.status = "FAILED"
        step.detail = PYTEST_EXIT.get(code, f"pytest exited {code}")
    elif step.passed == 0:
        step.status = "FAILED"
        step.detail = "no test passed (all skipped or deselected)"
    step.detail = f"{step.detail}  ({elapsed:.0f} s)".strip()
    return step


def xdist_args() -> list[str]:
    workers = os.environ.get("PYTEST_WORKERS", "2").strip()
    if workers in ("", "0", "1"):
        return []
    try:
        import xdist  # noqa: F401
    except ImportError:
        return []
    return ["-n", workers]


def postgres_problem(url: str) -> str | None:
    """None when PostgreSQL answers at url within 5 s; otherwise why not."""
    try:
        import psycopg
        from sqlalchemy.engine import make_url

        conninfo = make_url(url).set(drivername="postgresql").render_as_string(False)
        with psycopg.connect(conninfo, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except Exception as error:  # any failure means "not reachable"
        return " ".join(str(error).split()) or type(error).__name__
    return None


def safe_url(url: str) -> str:
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unreadable URL>"


POSTGRESQL_ARGS = ["--db", "postgresql", "-m", "not one_database"]


def postgresql_step(report_dir: Path, *, background: bool = False) -> Step | Started:
    """The PostgreSQL half, or why it does not run; with background=True, a half started
    in the background when PostgreSQL answers."""
    url = os.environ.get("KITLOG_TEST_DATABASE_URL") or DEFAULT_PG_URL
    os.environ["KITLOG_TEST_DATABASE_URL"] = url
    shown = safe_url(url)
    banner(f"PostgreSQL at {shown}")
    problem = postgres_problem(url)
    if problem is None:
        # The tests marked one_database (browser, documents, and every test that never
        # reaches the database) run in the SQLite half.
        args = [*POSTGRESQL_ARGS, *xdist_args()]
        if background:
            return start_pytest("PostgreSQL", args, report_dir)
        return pytest_step("PostgreSQL", args, report_dir)
    if on_ci():
        print(
            f"ERROR: PostgreSQL not reachable at {shown}: {problem}\n"
            "CI=true, so the PostgreSQL half is required: failing the run.",
            file=sys.stderr,
            flush=True,
        )
        return Step("PostgreSQL", "FAILED", f"not reachable at {shown} (CI=true)")
    print(
        f"PostgreSQL not reachable at {shown}: skipping the PostgreSQL half.\n"
        f"  ({problem})\n"
        "  Start PostgreSQL or set KITLOG_TEST_DATABASE_URL to run it; with CI=true this fails.",
        flush=True,
    )
    return Step("PostgreSQL", "skipped", f"not reachable at {shown}")


def set_clock_offset(days: int) -> None:
    """Every process of the run sees the wall clock `days` ahead (see the module's doc)."""
    os.environ[CLOCK_OFFSET_ENV] = str(days)
    # time-machine is also a pytest plugin, already imported here: pytest would warn that
    # it cannot rewrite its asserts.
    addopts = os.environ.get("PYTEST_ADDOPTS", "")
    os.environ["PYTEST_ADDOPTS"] = f"{addopts} -W '{CLOCK_WARNING_FILTER}'".strip()
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    os.environ["PYTHONPATH"] = os.pathsep.join([str(FUTURE_CLOCK), *paths])
    banner(f"clock {days:+d} days")
    print(
        f"{CLOCK_OFFSET_ENV}={days} PYTHONPATH={os.environ['PYTHONPATH']}: the suite runs "
        f"as if it were {time.strftime('%Y-%m-%d', time.gmtime(time.time() + days * 86_400))}",
        flush=True,
    )


def summary(
    steps: list[Step], tested: bool, elapsed: float | None = None, clock_offset: int = 0
) -> int:
    took = f" ({elapsed:.0f} s)" if elapsed is not None else ""
    clock = f", clock {clock_offset:+d} days" if clock_offset else ""
    print("\n" + "=" * 24 + f" kitlog test summary{took}{clock} " + "=" * 24)
    for s in steps:
        counts = ""
        if s.name in ("SQLite", "PostgreSQL") and s.status != "skipped":
            counts = f"{s.passed} passed, {s.failed} failed, {s.skipped} skipped  "
        print(f"  {s.name:<17} {s.status:<8} {counts}{s.detail}".rstrip())
    failed_steps = [s.name for s in steps if s.status == "FAILED"]
    if failed_steps:
        print(f"make test FAILED: {', '.join(failed_steps)}")
    if tested:
        passed = sum(s.passed for s in steps)
        failed = sum(s.failed for s in steps)
        skipped = sum(s.skipped for s in steps)
        print(f"kitlog: {passed} passed, {failed} failed, {skipped} skipped", flush=True)
    return 1 if failed_steps else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", choices=["lint", "sqlite", "postgresql"], help="run just this part"
    )
    parser.add_argument(
        "--clock-offset",
        type=int,
        default=0,
        metavar="DAYS",
        help="run the suite with the wall clock DAYS days ahead (no lint steps unless --only lint)",
    )
    args = parser.parse_args(argv)
    only, offset = args.only, args.clock_offset
    if offset:
        set_clock_offset(offset)
    steps: list[Step] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="kitlog-test-") as tmp:
        report_dir = Path(tmp)
        postgresql: Step | Started | None = None
        if only is None and halves_together():
            postgresql = postgresql_step(report_dir, background=True)
        try:
            if only == "lint" or (only is None and not offset):
                steps += lint_steps()
            if only in (None, "sqlite"):
                steps.append(pytest_step("SQLite", ["--db", "sqlite", *xdist_args()], report_dir))
        finally:
            if isinstance(postgresql, Started) and sys.exc_info()[0] is not None:
                postgresql.process.kill()  # interrupted: the half in the background goes too
                postgresql.process.wait()
        if isinstance(postgresql, Started):
            postgresql = finish_pytest(postgresql)
        if postgresql is None and only in (None, "postgresql"):
            postgresql = postgresql_step(report_dir)
        if postgresql is not None:
            steps.append(postgresql)
    return summary(
        steps, tested=only != "lint", elapsed=time.monotonic() - started, clock_offset=offset
    )


if __name__ == "__main__":
    sys.exit(main())
