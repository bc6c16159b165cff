"""`make bench`: scan throughput and p50/p99 latency under gunicorn, against cheap endpoints.

On SQLite (a scratch file) and on PostgreSQL (a scratch database `kitlog_bench_scans`,
created here, marked as the bench's own and dropped at the end unless --keep; skipped if
PostgreSQL does not answer), it builds through kitlog's services (bench/soak.py's
build_world: a warehouse, a donor batch, one imported household per parcel, an open round
allocated one kit per household, storekeepers with API tokens), starts `gunicorn
wsgi:app` on a free port of 127.0.0.1 and measures, with 8 and then 32 concurrent
clients, each for --duration seconds:

    bare   GET /ping of bench/bare_app.py, a bare Flask endpoint under a second gunicorn
           with the same options: the baseline of the other lines.
    anon   GET /api/v1/warehouses with no token: kitlog's whole request path (access check,
           problem+json answer), no database.
    bad    GET /api/v1/kit-types/HK-FAM with a token that is not one: the token lookup, 401.
    read   GET /api/v1/kit-types/HK-FAM with a bearer token: one small authenticated read
           (the token, the kit type and its contents).
    scan   POST /api/v1/scans, action pack, each on a parcel of the client's own with a new
           idempotency key: every answer must be 200 / ok.

Targets (printed with each run): the read at least 0.5x the bare endpoint; scans at least
0.5x the read, with p99 under 100 ms on PostgreSQL and 250 ms on SQLite, at 8 clients.

The clients are threads in --client-procs processes (a raw HTTP/1.1 client that
reconnects when gunicorn closes the connection), so the client is not limited by one
GIL; the client processes' CPU use is printed so it can be judged.

Afterwards, in the database: every scan answered ok is stored exactly once with outcome
ok, and its parcel is packed. It exits non-zero on any failed request, wrong answer or
a scan lost or stored twice (correctness); it asserts nothing about speed.

--profile N also runs N scans in-process (the Flask test client) on each database,
counting SQL statements per scan and printing the cProfile of the WSGI calls.

    python bench/scans.py [--duration S] [--workers N] [--worker-class sync|gthread]
                          [--threads N] [--client-procs N] [--parcels N] [--profile N]
                          [--sqlite-only] [--postgresql URL] [--keep]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import multiprocessing
import pstats
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/soak.py, bench/common.py

import common  # noqa: E402
from common import ScratchDatabase, free_port, percentile, stop_gunicorn  # noqa: E402
from sqlalchemy import event, func, select  # noqa: E402

BENCH_DATABASE = "kitlog_bench_scans"
SCRATCH = ScratchDatabase(
    BENCH_DATABASE, "kitlog scan bench scratch database: safe to drop", skip="SQLite only"
)
DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SECRET = "bench-scans-secret-key"  # noqa: S105 - a scratch server's, on loopback
HTTP_TIMEOUT = 60
CLIENT_COUNTS = (8, 32)
ENDPOINTS = ("bare", "anon", "bad", "read", "scan")
LABELS = {
    "bare": "GET /ping (bare Flask, same gunicorn)",
    "anon": "GET /api/v1/warehouses (no token: 401)",
    "bad": "GET /api/v1/kit-types/HK-FAM (bad token)",
    "read": "GET /api/v1/kit-types/HK-FAM",
    "scan": "POST /api/v1/scans (pack)",
}
READ_TARGET = 0.5  # the read, over the bare endpoint
SCAN_TARGET = 0.5  # scans, over the read
P99_TARGET_MS = {"sqlite": 250.0, "postgresql": 100.0}  # scans at 8 clients


# -- the client: raw HTTP/1.1 over a socket, reconnecting when the server closes ---------


class Client:
    def __init__(self, port: int):
        self.port = port
        self.sock: socket.socket | None = None
        self.buffer = b""

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock = None
        self.buffer = b""

    def _connect(self) -> None:
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=HTTP_TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def _read_more(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection mid-answer")
        self.buffer += chunk

    def send(self, raw: bytes) -> tuple[int, bytes]:
        """(status, body) of one request; reconnects when the server closed the last one."""
        for attempt in (1, 2):
            if self.sock is None:
                self._connect()
                fresh = True
            else:
                fresh = False
            try:
                self.sock.sendall(raw)
                while b"\r\n\r\n" not in self.buffer:
                    self._read_more()
                break
            except (ConnectionError, BrokenPipeError) as error:
                self.close()
                if fresh or attempt == 2:
                    raise ConnectionError(str(error)) from error
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        length = 0
        close = False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        self.buffer = rest
        while len(self.buffer) < length:
            self._read_more()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        if close:
            self.close()
        return status, body


def raw_request(method: str, path: str, token: str | None, body: bytes | None = None) -> bytes:
    head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Accept: application/json"]
    head.append("Accept-Language: en")
    if token:
        head.append(f"Authorization: Bearer {token}")
    if body is not None:
        head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + (body or b"")


@dataclass
class Job:
    """One client thread: what it sends."""

    endpoint: str
    token: str
    codes: list[str] = field(default_factory=list)  # for scan


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)  # ms
    ok_keys: list[tuple[str, str]] = field(default_factory=list)  # (key, code) answered ok
    errors: list[str] = field(default_factory=list)
    ran_out: bool = False


def run_job(job: Job, port: int, deadline: float) -> Outcome:
    out = Outcome()
    client = Client(port)
    codes = iter(job.codes)
    fixed = {
        "bare": (raw_request("GET", "/ping", None), 200),
        "anon": (raw_request("GET", "/api/v1/warehouses", None), 401),
        "bad": (raw_request("GET", "/api/v1/kit-types/HK-FAM", "not-a-token-" + "x" * 30), 401),
        "read": (raw_request("GET", "/api/v1/kit-types/HK-FAM", job.token), 200),
    }
    try:
        while time.monotonic() < deadline:
            key = code = None
            if job.endpoint in fixed:
                raw, expected = fixed[job.endpoint]
            else:
                code = next(codes, None)
                if code is None:
                    out.ran_out = True
                    break
                key = uuid.uuid4().hex
                body = json.dumps({"code": code, "action": "pack", "idempotency_key": key})
                raw, expected = raw_request("POST", "/api/v1/scans", job.token, body.encode()), 200
            started = time.perf_counter()
            try:
                status, answer = client.send(raw)
            except OSError as error:
                out.errors.append(f"{job.endpoint}: {type(error).__name__}: {error}")
                client.close()
                if len(out.errors) > 20:
                    break
                continue
            out.latencies.append((time.perf_counter() - started) * 1000)
            if status != expected:
                out.errors.append(f"{job.endpoint} {code or ''}: HTTP {status} {answer[:200]!r}")
                continue
            if key is not None:
                outcome = json.loads(answer).get("outcome")
                if outcome != "ok":
                    out.errors.append(f"scan {code}: outcome {outcome}")
                else:
                    out.ok_keys.append((key, code))
    finally:
        client.close()
    return out


def client_process(jobs, port, duration, barrier, results) -> None:
    """One client process: a thread per job, all starting after the barrier."""
    outcomes: list[Outcome | None] = [None] * len(jobs)
    barrier.wait()
    started_cpu = time.process_time()
    deadline = time.monotonic() + duration

    def run(i):
        outcomes[i] = run_job(jobs[i], port, deadline)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(duration + HTTP_TIMEOUT + 5)
    cpu = time.process_time() - started_cpu
    results.put(([o if o is not None else Outcome(errors=["stuck"]) for o in outcomes], cpu))


@dataclass
class Phase:
    endpoint: str
    clients: int
    elapsed: float
    outcomes: list[Outcome]
    client_cpu: float  # seconds of CPU used by the client processes

    @property
    def latencies(self) -> list[float]:
        return [ms for o in self.outcomes for ms in o.latencies]

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed

    @property
    def errors(self) -> list[str]:
        return [e for o in self.outcomes for e in o.errors]


def measure(jobs: list[Job], port: int, duration: float, procs: int) -> Phase:
    ctx = multiprocessing.get_context("fork")
    procs = max(1, min(procs, len(jobs)))
    barrier = ctx.Barrier(procs + 1)
    results = ctx.Queue()
    parts = [jobs[i::procs] for i in range(procs)]
    workers = [
        ctx.Process(target=client_process, args=(part, port, duration, barrier, results))
        for part in parts
    ]
    for worker in workers:
        worker.start()
    barrier.wait(timeout=60)
    began = time.monotonic()
    collected = [results.get(timeout=duration + 2 * HTTP_TIMEOUT) for _ in workers]
    elapsed = time.monotonic() - began
    for worker in workers:
        worker.join(10)
    outcomes = [o for part, _cpu in collected for o in part]
    return Phase(jobs[0].endpoint, len(jobs), elapsed, outcomes, sum(c for _o, c in collected))


# -- gunicorn ----------------------------------------------------------------------------------


def start_gunicorn(url: str, args, port: int, log: Path, *, bare: bool = False) -> subprocess.Popen:
    """kitlog under gunicorn, or (bare) bench/bare_app.py under the same options."""
    extra = ["--backlog", "2048"]
    if args.worker_class != "sync":
        extra += ["-k", args.worker_class, "--threads", str(args.threads)]
    if bare:
        extra += ["--pythonpath", str(Path(__file__).resolve().parent)]
    return common.start_gunicorn(
        url,
        args.workers,
        port,
        log,
        extra_env={"KITLOG_SECRET_KEY": SECRET},
        extra_args=extra,
        # kitlog: no token, the API answers, the app is loaded
        ready=("/ping", 200) if bare else ("/api/v1/warehouses", 401),
        app="bare_app:app" if bare else "wsgi:app",
    )


# -- one database --------------------------------------------------------------------------------


@dataclass
class Run:
    db: str
    phases: list[Phase] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    stored: int = 0
    profile: str = ""
    statements: float = float("nan")


def count_statements(engine) -> list[int]:
    counter = [0]

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*_args):
        counter[0] += 1

    return counter


def profile_scans(app, token: str, codes: list[str], run: Run, top: int) -> list[tuple[str, str]]:
    """Scans through the Flask test client: SQL statements per scan and a cProfile."""
    from kitlog.extensions import db

    client = app.test_client()
    with app.app_context():
        counter = count_statements(db.engine)
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
    ok = []
    # a few first, unmeasured (lazy imports, compiled statements)
    warm, codes = codes[:20], codes[20:]
    for code in warm:
        key = uuid.uuid4().hex
        answer = client.post(
            "/api/v1/scans",
            json={"code": code, "action": "pack", "idempotency_key": key},
            headers=headers,
        )
        if answer.status_code == 200:
            ok.append((key, code))
    counter[0] = 0
    profiler = cProfile.Profile()
    started = time.perf_counter()
    for code in codes:
        key = uuid.uuid4().hex
        profiler.enable()
        answer = client.post(
            "/api/v1/scans",
            json={"code": code, "action": "pack", "idempotency_key": key},
            headers=headers,
        )
        profiler.disable()
        if answer.status_code == 200 and answer.get_json()["outcome"] == "ok":
            ok.append((key, code))
        else:
            run.problems.append(f"profile scan {code}: {answer.status_code} {answer.data[:200]!r}")
    elapsed = time.perf_counter() - started
    run.statements = counter[0] / max(1, len(codes))
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats("cumulative").print_stats(top)
    run.profile = (
        f"{len(codes)} scans in-process in {elapsed:.2f} s ({len(codes) / elapsed:.0f}/s),"
        f" {run.statements:.1f} SQL statements per scan\n" + stream.getvalue()
    )
    return ok


def verify(run: Run, ok: list[tuple[str, str]]) -> None:
    """Every scan answered ok is stored once, ok, and its parcel is packed."""
    from kitlog.extensions import db
    from kitlog.models import Parcel, Scan

    session = db.session
    session.rollback()
    keys = dict(ok)
    stored: dict[str, tuple[int, str | None]] = {}
    chunk = 5000
    items = list(keys)
    for start in range(0, len(items), chunk):
        part = items[start : start + chunk]
        for key, count, outcome in session.execute(
            select(Scan.idempotency_key, func.count(), func.min(Scan.outcome))
            .where(Scan.idempotency_key.in_(part))
            .group_by(Scan.idempotency_key)
        ):
            stored[key] = (count, outcome)
    run.stored = sum(c for c, _o in stored.values())
    for key, code in keys.items():
        if key not in stored:
            run.problems.append(f"scan {key} of {code} was answered ok but is not stored")
        elif stored[key][0] != 1 or stored[key][1] != "ok":
            run.problems.append(f"scan {key} of {code} is stored {stored[key]}")
    total = session.scalar(select(func.count()).select_from(Scan))
    if total != len(keys):
        run.problems.append(f"{total} scan rows stored, {len(keys)} scans answered ok")
    codes = list(keys.values())
    packed = 0
    for start in range(0, len(codes), chunk):
        packed += session.scalar(
            select(func.count())
            .select_from(Parcel)
            .where(Parcel.short_code.in_(codes[start : start + chunk]), Parcel.status == "packed")
        )
    if packed != len(codes):
        run.problems.append(f"{len(codes) - packed} parcels scanned ok are not packed")
    session.rollback()


def bench_database(name: str, url: str, args, workdir: Path) -> Run:
    from soak import build_world

    from kitlog.extensions import db

    run = Run(name)
    instance = workdir / f"instance-{name}"
    app = common.migrated_app(url, instance)
    with app.app_context():
        crews_n = max(CLIENT_COUNTS)
        per_phase = args.parcels
        total = 2 * per_phase + args.profile + (20 if args.profile else 0)
        started = time.perf_counter()
        crews = build_world(crews_n, -(-total // crews_n))
        db.session.remove()
        pool = [code for crew in crews for code in crew.parcels]
        print(
            f"  {name}: {len(pool):,} households and parcels, {crews_n} storekeepers built in"
            f" {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        ok: list[tuple[str, str]] = []
        port, bare_port = free_port(), free_port()
        log = workdir / f"gunicorn-{name}.log"
        bare_server = start_gunicorn(
            url, args, bare_port, workdir / f"gunicorn-bare-{name}.log", bare=True
        )
        try:
            server = start_gunicorn(url, args, port, log)
        except BaseException:
            stop_gunicorn(bare_server)
            raise
        try:
            offset = 0
            for clients in CLIENT_COUNTS:
                tokens = [crew.store_token for crew in crews[:clients]]
                share = pool[offset : offset + per_phase]
                offset += per_phase
                for endpoint in ENDPOINTS:
                    jobs = [
                        Job(
                            endpoint,
                            tokens[i],
                            share[i::clients] if endpoint == "scan" else [],
                        )
                        for i in range(clients)
                    ]
                    target = bare_port if endpoint == "bare" else port
                    phase = measure(jobs, target, args.duration, args.client_procs)
                    run.phases.append(phase)
                    for outcome in phase.outcomes:
                        ok += outcome.ok_keys
                    run.problems += phase.errors[:5]
                    if len(phase.errors) > 5:
                        run.problems.append(f"... and {len(phase.errors) - 5} more errors")
                    if any(o.ran_out for o in phase.outcomes):
                        print("  note: clients ran out of parcels: give more with --parcels")
                    print(
                        f"    {clients:>2} clients {endpoint:<5} {phase.rate:>8.1f}/s"
                        f"  p50 {percentile(phase.latencies, 50):6.1f} ms"
                        f"  p99 {percentile(phase.latencies, 99):6.1f} ms",
                        flush=True,
                    )
        finally:
            stop_gunicorn(server)
            stop_gunicorn(bare_server)
        db.session.remove()
    if args.profile:  # outside the app context: each request has its own session, as in gunicorn
        ok += profile_scans(app, crews[0].store_token, pool[offset:], run, args.top)
    with app.app_context():
        verify(run, ok)
        db.session.remove()
        db.engine.dispose()
    server_errors = [
        line for line in log.read_text().splitlines() if "Traceback" in line or "ERROR" in line
    ]
    if server_errors:
        run.problems.append(f"gunicorn logged {len(server_errors)} error line(s): see {log}")
        args.keep = True
    return run


# -- the report ----------------------------------------------------------------------------------


def _phase(run: Run, clients: int, endpoint: str) -> Phase:
    return next(p for p in run.phases if p.clients == clients and p.endpoint == endpoint)


def report(args, runs: list[Run]) -> None:
    print()
    klass = args.worker_class + (f", {args.threads} threads" if args.worker_class != "sync" else "")
    print(
        f"Scans under gunicorn -w {args.workers} ({klass}), {args.duration:g} s per line,"
        f" clients in {args.client_procs} process(es); ratio: req/s over the bare line's"
        " (scan: also over the read's)"
    )
    header = (
        f"{'db':<10} {'clients':>7}  {'endpoint':<40} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7}"
        f" {'ratio':>6} {'/read':>6} {'client CPU':>10}"
    )
    print(header)
    print("-" * len(header))
    for run in runs:
        for phase in run.phases:
            bare = _phase(run, phase.clients, "bare").rate
            read = _phase(run, phase.clients, "read").rate
            over_read = f"{phase.rate / read:>6.2f}" if phase.endpoint == "scan" else " " * 6
            print(
                f"{run.db:<10} {phase.clients:>7}  {LABELS[phase.endpoint]:<40}"
                f" {phase.rate:>8.1f} {percentile(phase.latencies, 50):>7.1f}"
                f" {percentile(phase.latencies, 99):>7.1f} {phase.rate / bare:>6.2f}"
                f" {over_read} {100 * phase.client_cpu / phase.elapsed:>9.0f}%"
            )
    print()
    for run in runs:
        bare8, read8, scan8 = (_phase(run, 8, e) for e in ("bare", "read", "scan"))
        read_ratio = read8.rate / bare8.rate
        scan_ratio = scan8.rate / read8.rate
        p99 = percentile(scan8.latencies, 99)
        p99_target = P99_TARGET_MS[run.db]
        print(
            f"  {run.db}, 8 clients: read {read_ratio:.2f} x bare (target >= {READ_TARGET}:"
            f" {'met' if read_ratio >= READ_TARGET else 'NOT met'}); scans {scan_ratio:.2f} x"
            f" read, p99 {p99:.1f} ms (target >= {SCAN_TARGET} x, p99 < {p99_target:g} ms:"
            f" {'met' if scan_ratio >= SCAN_TARGET and p99 < p99_target else 'NOT met'})"
        )
        print(
            f"  {run.db}: {run.stored:,} scans stored once each, parcels packed"
            + ("" if not run.problems else " (see problems)")
        )
        if run.statements == run.statements:  # not NaN
            print(f"  {run.db}: {run.statements:.1f} SQL statements per scan (in-process)")
    for run in runs:
        if run.profile and args.show_profile:
            print(f"\n== cProfile of the scans on {run.db} ==\n{run.profile}")


def _terminated(signum, _frame) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5, help="seconds per line (5)")
    parser.add_argument("--workers", type=int, default=5, help="gunicorn workers (5)")
    parser.add_argument("--worker-class", default="sync", choices=("sync", "gthread"))
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--client-procs", type=int, default=2, help="client processes (2)")
    parser.add_argument("--parcels", type=int, default=8000, help="parcels per client count (8000)")
    parser.add_argument("--profile", type=int, default=0, help="in-process scans to profile (0)")
    parser.add_argument("--top", type=int, default=30, help="profile lines shown (30)")
    parser.add_argument("--show-profile", action="store_true", help="print the cProfile too")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--postgresql", default=DEFAULT_ADMIN_URL)
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases")
    args = parser.parse_args(argv)
    if not (
        0 < args.duration <= 600
        and 1 <= args.workers <= 32
        and 1 <= args.client_procs <= 16
        and args.parcels >= 64
        and 2 * args.parcels + args.profile <= 100_000
    ):
        parser.error("--duration 0-600, --workers 1-32, --client-procs 1-16, parcels 64-50,000")
    if args.profile and args.profile < 50:
        parser.error("--profile: at least 50 scans")
    signal.signal(signal.SIGTERM, _terminated)
    workdir = Path(tempfile.mkdtemp(prefix="kitlog-bench-scans-"))
    runs: list[Run] = []
    server = None
    try:
        print("Scan bench on SQLite ...", flush=True)
        runs.append(bench_database("sqlite", f"sqlite:///{workdir / 'kitlog.db'}", args, workdir))
        if not args.sqlite_only:
            server = SCRATCH.server(args.postgresql)
            if server is not None and SCRATCH.create(server[0]):
                print(f"Scan bench on PostgreSQL database {BENCH_DATABASE!r} ...", flush=True)
                runs.append(bench_database("postgresql", server[1], args, workdir))
            else:
                server = None
    finally:
        if args.keep:
            print(f"kept: {workdir}" + (f" and database {BENCH_DATABASE!r}" if server else ""))
        else:
            if server is not None:
                SCRATCH.drop(server[0])
            shutil.rmtree(workdir, ignore_errors=True)
    report(args, runs)
    problems = [p for run in runs for p in run.problems]
    for problem in problems[:20]:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    if problems:
        print(f"\nSCAN BENCH FAILED: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
