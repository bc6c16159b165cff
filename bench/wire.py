"""`make bench`: the first load of /deliver/ on a phone over a slow network, in Chromium.

Builds the demo in a scratch SQLite file (`kitlog demo`'s data and logins), starts
`gunicorn wsgi:app` on loopback and drives Debian's Chromium (/usr/bin/chromium) with
Playwright for Python at 390x844, as a phone. It logs in once as the demo's field officer
(the login form's `button.button-primary`: the form's first submit button is the language
switch), then loads each page --repeat times, each time in a fresh browser context (an
empty HTTP cache, no service worker, only the login cookie), with Chrome's own network
and CPU throttling set through the DevTools protocol before the page is asked for
(Network.emulateNetworkConditions, Emulation.setCPUThrottlingRate):

    slow-3g            Chrome DevTools' "Slow 3G": 2,000 ms latency per request,
                       400 kbit/s (50,000 bytes/s) down and up; the CPU as it is
    slow-3g-cpu4       the same network on a phone whose CPU is 4x slower
    lighthouse-mobile  Lighthouse's mobile figures: 150 ms per request, 1,638.4 kbit/s
                       down, 675 kbit/s up, CPU 4x slower (applied per request here:
                       Lighthouse simulates round trips, Chrome adds latency per request)

For each load it reports what went over the wire (the compressed bytes Chrome received,
headers included, and the number of requests, from the DevTools protocol's Network
events, up to the load event), first contentful paint, DOMContentLoaded (every deferred
script has run), the load event, and "usable": the first moment the page is painted
with the parcel lookup's code input and Find button in the screen, visible and enabled
(the form works without JavaScript; the scripts add the camera, the outbox and the saved
trips at DOMContentLoaded). Medians of the --repeat loads.

Baselines in the same run: the same page with no throttling at all, and one small static
file (kitlog.svg, a single request) under each profile: the floor that the network alone
sets. Ratios: each figure over the static file's load under the same profile, and over
the same figure unthrottled.

It also lists, once, what the page loads (unthrottled): each resource, its bytes over the
wire and whether Chrome held the first paint for it (render-blocking), and the bytes the
service worker fetches after the load event to keep the page working offline (its
precache, which the measured loads block); and when each file was asked for and came in
the last load of the first throttled profile (Chrome opens at most six HTTP/1.1
connections to a server: a seventh file waits for one of them).

It asserts nothing about speed; it exits non-zero only when a page does not load, a load
is not the delivery page, or the lookup never becomes usable.

    python bench/wire.py [--repeat N] [--profiles slow-3g,lighthouse-mobile,...]
                         [--workers N] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))  # bench/common.py

from common import free_port, migrated_app, start_gunicorn, stop_gunicorn  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 14; SM-A155F) AppleWebKit/537.36 (KHTML, like Gecko)"
        " Chrome/126.0.0.0 Mobile Safari/537.36"
    ),
    "locale": "id-ID",
}
PAGE = "/deliver/"
MINIMAL = "/static/img/kitlog.svg"
TARGET_MS = 3000


@dataclass(frozen=True)
class Profile:
    name: str
    latency_ms: float  # added to each request by Chrome
    down: float  # bytes a second
    up: float
    cpu: float  # slowdown factor, 1 = none
    label: str


PROFILES = {
    p.name: p
    for p in (
        Profile("slow-3g", 2000, 50_000, 50_000, 1, "Slow 3G (DevTools): 2,000 ms, 400 kbit/s"),
        Profile("slow-3g-cpu4", 2000, 50_000, 50_000, 4, "Slow 3G and a 4x slower CPU"),
        Profile(
            "lighthouse-mobile",
            150,
            1638.4 * 1000 / 8,
            675 * 1000 / 8,
            4,
            "Lighthouse mobile: 150 ms, 1,638.4 kbit/s, CPU 4x",
        ),
    )
}
NONE = Profile("none", 0, -1, -1, 1, "no throttling")

# Runs in the page before its own scripts (Playwright adds it through the DevTools
# protocol, which the page's Content-Security-Policy does not govern): notes when the
# lookup is first on screen, visible and enabled, and the largest contentful paint.
PROBE_JS = """(() => {
  const probe = (window.__wire = { usable: null, lcp: null });
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) probe.lcp = entry.startTime;
    }).observe({ type: "largest-contentful-paint", buffered: true });
  } catch (e) {}
  const shown = (el) => {
    if (!el || el.disabled || el.closest("[hidden]")) return false;
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return box.width > 0 && box.height > 0 && box.top < innerHeight && box.bottom > 0
      && style.visibility !== "hidden" && style.display !== "none";
  };
  const check = () => {
    if (probe.usable !== null) return;
    const input = document.querySelector("[data-lookup] input[name=code]");
    const find = document.querySelector("[data-lookup] button[type=submit]");
    if (shown(input) && shown(find)) probe.usable = performance.now();
    else setTimeout(check, 10);
  };
  check();
})();"""

READ_JS = """() => {
  const nav = performance.getEntriesByType("navigation")[0] || {};
  const paint = performance.getEntriesByName("first-contentful-paint")[0];
  const resources = performance.getEntriesByType("resource").map((r) => ({
    url: r.name, type: r.initiatorType, transfer: r.transferSize, body: r.decodedBodySize,
    blocking: r.renderBlockingStatus || "", start: r.startTime, end: r.responseEnd,
  }));
  return {
    fcp: paint ? paint.startTime : null,
    dcl: nav.domContentLoadedEventEnd || null,
    load: nav.loadEventEnd || null,
    page_transfer: nav.transferSize || 0,
    page_body: nav.decodedBodySize || 0,
    usable: window.__wire ? window.__wire.usable : null,
    lcp: window.__wire ? window.__wire.lcp : null,
    resources: resources,
    title: document.title,
    deliver: !!document.querySelector("[data-deliver]"),
  };
}"""


@dataclass
class Load:
    wire_bytes: int
    requests: int
    fcp: float | None
    dcl: float | None
    load: float | None
    usable: float | None
    lcp: float | None
    after: dict = field(default_factory=dict)  # the raw page figures

    @property
    def usable_painted(self) -> float | None:
        """The lookup is usable once it is on screen: not before the first paint."""
        if self.usable is None or self.fcp is None:
            return None
        return max(self.usable, self.fcp)


@dataclass
class Line:
    profile: Profile
    what: str  # "page" or "minimal"
    loads: list[Load] = field(default_factory=list)

    def median(self, name: str) -> float | None:
        values = [getattr(load, name) for load in self.loads]
        values = [v for v in values if v is not None]
        return statistics.median(values) if values else None


# -- the world and the server ------------------------------------------------------------------


def build_world(workdir: Path) -> tuple[str, str, str]:
    """The demo in a scratch SQLite file: (database URL, field officer's email, password)."""

    from kitlog.extensions import db
    from kitlog.services import demo
    from kitlog.services.locking import transaction

    url = f"sqlite:///{workdir / 'kitlog.db'}"
    app = migrated_app(url, workdir / "instance")
    with app.app_context():
        with transaction(db.session, write=True):
            logins = demo.load_demo(db.session, app.instance_path)
        db.session.remove()
        db.engine.dispose()
    role, email, password = next(row for row in logins.rows if row[0] == "field")
    return url, email, password


def precache_bytes(base: str, cookie_header: str) -> tuple[int, int]:
    """(files, gzip bytes) the service worker fetches at install: its shell list."""
    request = urllib.request.Request(  # noqa: S310 - loopback
        f"{base}/sw.js", headers={"Cookie": cookie_header}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - loopback
        body = answer.read().decode()
    urls = json.loads(re.search(r"var SHELL_URLS = (\[.*?\]);", body).group(1))
    total = 0
    for url in urls:
        request = urllib.request.Request(  # noqa: S310 - loopback
            base + url, headers={"Accept-Encoding": "gzip"}
        )
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - loopback
            total += len(answer.read())
    return len(urls), total


# -- the browser -----------------------------------------------------------------------------


def log_in(browser, base: str, email: str, password: str) -> list[dict]:
    """The login cookie(s) of a real login through the form."""
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.goto(f"{base}/login")
        form = page.locator("form", has=page.locator("input[name=password]"))
        form.locator("input[name=email]").fill(email)
        form.locator("input[name=password]").fill(password)
        with page.expect_navigation():
            form.locator("button.button-primary").click()
        if "/login" in page.url:
            raise SystemExit(f"the field officer's login failed: still on {page.url}")
        return context.cookies()
    finally:
        context.close()


def measure(browser, base: str, path: str, cookies: list[dict], profile: Profile) -> Load:
    """One load of path in a fresh context (empty cache, no service worker), throttled."""
    context = browser.new_context(**PHONE, service_workers="block")
    try:
        context.add_cookies(cookies)
        context.add_init_script(PROBE_JS)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        received: dict[str, int] = {}
        failed: list[str] = []

        def finished(event):
            received[event["requestId"]] = int(event["encodedDataLength"])

        def refused(event):
            failed.append(event.get("errorText", ""))

        cdp.on("Network.loadingFinished", finished)
        cdp.on("Network.loadingFailed", refused)
        cdp.send("Network.enable")
        cdp.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": profile.latency_ms,
                "downloadThroughput": profile.down,
                "uploadThroughput": profile.up,
            },
        )
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": profile.cpu})
        answer = page.goto(base + path, wait_until="load", timeout=180_000)
        if answer is None or answer.status != 200:
            raise SystemExit(f"{path}: HTTP {answer.status if answer else '(none)'}")
        figures = page.evaluate(READ_JS)
        wire, requests = sum(received.values()), len(received) + len(failed)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
        return Load(
            wire,
            requests,
            figures["fcp"],
            figures["dcl"],
            figures["load"],
            figures["usable"],
            figures["lcp"],
            figures,
        )
    finally:
        context.close()


# -- the report ------------------------------------------------------------------------------


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def ratio(value: float | None, base: float | None) -> str:
    if value is None or not base:
        return "-"
    return f"{value / base:.2f}"


def describe(load: Load, base: str) -> list[str]:
    lines = [
        f"  {'resource':<52} {'type':<8} {'wire B':>8} {'body B':>8}  render-blocking",
        f"  {PAGE + ' (the page)':<52} {'html':<8} {load.after['page_transfer']:>8,}"
        f" {load.after['page_body']:>8,}",
    ]
    for r in load.after["resources"]:
        path = r["url"].removeprefix(base)
        blocking = "yes" if r["blocking"] == "blocking" else ""
        lines.append(f"  {path:<52} {r['type']:<8} {r['transfer']:>8,} {r['body']:>8,}  {blocking}")
    return lines


def report(lines: list[Line], described: Load, base: str, precache: tuple[int, int]) -> None:
    print()
    print(f"What {PAGE} loads (unthrottled; wire = compressed bytes with headers):")
    for text in describe(described, base):
        print(text)
    print(
        f"  and after the load event the service worker keeps {precache[0]} files for"
        f" offline use: {precache[1]:,} bytes gzipped (not in the figures below)"
    )
    print()
    print(
        f"First load of {PAGE}, fresh context, 390x844 phone; median of"
        f" {len(lines[0].loads)} loads (ms; usable = the lookup painted, visible, enabled)"
    )
    header = (
        f"{'profile':<18} {'what':<8} {'wire B':>8} {'reqs':>4} {'FCP':>7} {'usable':>7}"
        f" {'DCL':>7} {'load':>7}  {'usable/file':>11} {'load/file':>9}"
        f" {'usable/unthr':>12} {'load/unthr':>10}"
    )
    print(header)
    print("-" * len(header))
    unthrottled = next(line for line in lines if line.profile is NONE and line.what == "page")
    for line in lines:
        minimal = next(
            (m for m in lines if m.profile is line.profile and m.what == "minimal"), None
        )
        file_load = minimal.median("load") if minimal else None
        page = line.what == "page"
        usable = line.median("usable_painted") if page else None
        print(
            f"{line.profile.name:<18} {line.what:<8} {line.median('wire_bytes'):>8,.0f}"
            f" {line.median('requests'):>4.0f} {ms(line.median('fcp') if page else None):>7}"
            f" {ms(usable):>7} {ms(line.median('dcl') if page else None):>7}"
            f" {ms(line.median('load')):>7}"
            f"  {ratio(usable, file_load) if page else '':>11}"
            f" {ratio(line.median('load'), file_load) if page else '':>9}"
            f" {ratio(usable, unthrottled.median('usable_painted')) if page else '':>12}"
            f" {ratio(line.median('load'), unthrottled.median('load')) if page else '':>10}"
        )
    throttled = next(line for line in lines if line.what == "page" and line.profile is not NONE)
    last = throttled.loads[-1]
    print()
    print(
        f"When each file came, {throttled.profile.name}, the last load (ms from the navigation;"
        f" the page's first paint {ms(last.fcp)}, DOMContentLoaded {ms(last.dcl)}):"
    )
    for r in last.after["resources"]:
        print(
            f"  {r['url'].removeprefix(base):<52} asked {r['start']:>7,.0f}  came {r['end']:>7,.0f}"
        )
    print()
    for line in lines:
        if line.what != "page" or line.profile is NONE:
            continue
        usable, load = line.median("usable_painted"), line.median("load")

        def verdict(value: float | None) -> str:
            return "met" if value is not None and value < TARGET_MS else "NOT met"

        print(
            f"  {line.profile.name}: target (first load under {TARGET_MS:,} ms): usable in"
            f" {ms(usable)} ms ({verdict(usable)}), load event {ms(load)} ms ({verdict(load)})"
        )


def machine() -> str:
    stamp = subprocess.run(["date", "-u"], capture_output=True, text=True, check=False).stdout
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{stamp.strip()}; load average {load}; {os.cpu_count()} CPUs"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="loads per line (3)")
    parser.add_argument(
        "--profiles",
        default=",".join(PROFILES),
        help=f"comma-separated, of {', '.join(PROFILES)} (all)",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.profiles.split(",") if n.strip()]
    if not 1 <= args.repeat <= 20 or not 1 <= args.workers <= 8:
        parser.error("--repeat 1-20, --workers 1-8")
    if not names or any(n not in PROFILES for n in names):
        parser.error(f"--profiles: some of {', '.join(PROFILES)}")
    if not CHROMIUM.exists():
        print(f"Debian's Chromium is not at {CHROMIUM}: skipping the wire bench.")
        return 0
    from playwright.sync_api import sync_playwright

    print(f"Wire bench: {machine()}", flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="kitlog-bench-wire-"))
    server = None
    try:
        started = time.perf_counter()
        url, email, password = build_world(workdir)
        print(f"  the demo built in {time.perf_counter() - started:.1f} s", flush=True)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_gunicorn(url, args.workers, port, workdir / "gunicorn.log")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            try:
                cookies = log_in(browser, base, email, password)
                cookie_header = "; ".join(f"{c['name']}={c['value']}" for c in cookies)
                described = measure(browser, base, PAGE, cookies, NONE)  # a warm-up, too
                if not described.after["deliver"]:
                    raise SystemExit(f"{PAGE} is not the delivery page: {described.after['title']}")
                lines = [Line(NONE, "page")]
                for name in names:
                    lines += [Line(PROFILES[name], "page"), Line(PROFILES[name], "minimal")]
                for _ in range(args.repeat):
                    for line in lines:
                        path = PAGE if line.what == "page" else MINIMAL
                        load = measure(browser, base, path, cookies, line.profile)
                        if line.what == "page" and load.usable is None:
                            raise SystemExit(f"{line.profile.name}: the lookup never showed")
                        line.loads.append(load)
                    print(".", end="", flush=True)
                print()
            finally:
                browser.close()
        precache = precache_bytes(base, cookie_header)
        report(lines, described, base, precache)
        print(f"\n  done: {machine()}")
    finally:
        if server is not None:
            stop_gunicorn(server)
        if args.keep:
            print(f"kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
