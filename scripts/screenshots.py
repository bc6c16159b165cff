"""Take the documentation's phone screenshots (README, user guide) from the demo, in Indonesian.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Builds a fresh demo on a temporary SQLite database, serves it on a loopback port, and
drives Debian's Chromium (/usr/bin/chromium; never `playwright install`) at 390x844
through the flow of docs/user-guide.md: login, receiving a batch, registering a household,
a round, printing labels, the scan station after a few scans, a manifest, delivery at the
door with a parcel found, a parcel's page, and the donor's report.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
from datetime import date
from pathlib import Path

from flask_migrate import upgrade
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import select
from werkzeug.serving import make_server

from kitlog import create_app
from kitlog.extensions import db
from kitlog.models import Parcel
from kitlog.services import demo

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "id-ID",
}


def build_demo(folder: Path):
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{folder / 'kitlog.db'}",
            "BASE_URL": "https://kitlog.example.id",
        },
        instance_path=str(folder),
    )
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        logins = demo.load_demo(db.session, str(folder), today=date.today())
        db.session.commit()
        by_status: dict[str, list[Parcel]] = {}
        for parcel in db.session.scalars(select(Parcel).order_by(Parcel.id)):
            by_status.setdefault(parcel.status, []).append(parcel)
        codes = {
            status: [(p.short_code, p.token) for p in parcels]
            for status, parcels in by_status.items()
        }
    passwords = {role: (email, password) for role, email, password in logins.rows}
    return app, passwords, codes


def log_in(page, email: str, password: str) -> None:
    page.goto("/")
    form = page.locator("form", has=page.locator("input[name=password]"))
    form.locator("input[name=email]").fill(email)
    form.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    out = Path(parser.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app, passwords, codes = build_demo(Path(tmp))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)

            shots: list[str] = []

            def shoot(page, name: str, *, full_page: bool = False) -> None:
                page.screenshot(path=str(out / name), full_page=full_page)
                shots.append(name)

            anonymous = browser.new_context(base_url=base, **PHONE).new_page()
            anonymous.goto("/")
            shoot(anonymous, "guide-login.png")

            station = browser.new_context(base_url=base, **PHONE).new_page()
            log_in(station, *passwords["warehouse"])
            station.goto("/stock/receive")
            shoot(station, "guide-receive.png", full_page=True)
            station.goto("/rounds/1/labels")
            shoot(station, "guide-labels.png", full_page=True)
            station.goto("/scan/")
            code_input = station.locator("input[name=code]")
            for short_code, _token in codes["allocated"][:2] + codes["packed"][:1]:
                code_input.fill(short_code)
                code_input.press("Enter")
                expect(station.locator("[data-feedback]")).not_to_have_attribute(
                    "data-outcome", "waiting"
                )
            expect(station.locator("[data-outbox-count]")).to_have_attribute("data-count", "0")
            shoot(station, "scan-station-phone.png")
            station.goto("/manifests/")
            station.locator("main a[href^='/manifests/']").filter(has_text="/").first.click()
            shoot(station, "guide-manifest.png")

            admin = browser.new_context(base_url=base, **PHONE).new_page()
            log_in(admin, *passwords["admin"])
            admin.goto("/rounds/1")
            shoot(admin, "guide-round.png")

            field = browser.new_context(base_url=base, **PHONE).new_page()
            log_in(field, *passwords["field"])
            field.goto("/households/new")
            shoot(field, "guide-household.png", full_page=True)
            short_code, token = codes["dispatched"][0]
            field.goto(f"/deliver/?code={short_code}")
            shoot(field, "delivery-phone.png", full_page=True)
            field.goto(f"/p/{token}")
            shoot(field, "parcel-page-phone.png", full_page=True)

            donor = browser.new_context(base_url=base, **PHONE).new_page()
            log_in(donor, *passwords["donor"])
            donor.goto("/reports/")
            if donor.locator("canvas").count():
                donor.wait_for_timeout(500)  # Chart.js animates its first drawing
                shoot(donor, "donor-report-phone.png", full_page=True)
            browser.close()
        server.shutdown()
    for name in shots:
        print(out / name)


if __name__ == "__main__":
    main()
