"""The front-end files kitlog vendors from npm: the versions package.json pins, served by
kitlog itself (the .wasm as application/wasm), and never a CDN at run time."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "kitlog" / "static" / "vendor"
TEST_VENDOR = ROOT / "tests" / "browser" / "vendor"  # what only the browser tests use
DATA = ROOT / "kitlog" / "data"  # data kitlog loads (the official places), never served
WASM = "/static/vendor/zxing-wasm/zxing_reader.wasm"


def vendored_versions(vendor: Path = VENDOR) -> dict[str, str]:
    lines = (vendor / "VERSIONS.txt").read_text(encoding="utf-8").splitlines()
    return dict(line.split(" ", 1) for line in lines if line and not line.startswith("#"))


def test_the_versions_file_matches_package_json_and_the_lock():
    served, for_tests = vendored_versions(), vendored_versions(TEST_VENDOR)
    data = vendored_versions(DATA)
    assert not served.keys() & for_tests.keys() and not data.keys() & served.keys()
    versions = {**served, **for_tests, **data}
    pinned = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["dependencies"]
    for package, version in pinned.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{package} is not pinned: {version}"
        assert versions.get(package) == version, package
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))["packages"]
    for vendor, listed in ((VENDOR, served), (TEST_VENDOR, for_tests), (DATA, data)):
        for package, version in listed.items():
            assert lock[f"node_modules/{package}"]["version"] == version, package
            assert (vendor / package).is_dir(), f"{package} is listed but not vendored"
    assert versions["barcode-detector"] == "3.2.2"
    assert versions["chart.js"] == "4.6.1"
    assert versions["idn-area-data"] == "4.0.1"


def test_axe_core_is_vendored_for_the_tests_only_and_never_served(client):
    axe = TEST_VENDOR / "axe-core" / "axe.min.js"
    assert axe.read_text(encoding="utf-8").startswith(
        f"/*! axe v{vendored_versions(TEST_VENDOR)['axe-core']}"
    )
    assert (TEST_VENDOR / "axe-core" / "LICENSE").exists()
    assert not (VENDOR / "axe-core").exists()
    assert client.get("/static/vendor/axe-core/axe.min.js").status_code == 404


def test_no_vendored_or_kitlog_script_names_an_outside_address():
    scripts = [*VENDOR.rglob("*.js"), *(ROOT / "kitlog" / "static" / "js").glob("*.js")]
    scripts = [script for script in scripts if script.is_file()]  # not the chart.js folder
    assert scripts
    for script in scripts:
        text = script.read_text(encoding="utf-8")
        # Comments may cite a URL; code may not fetch one. Vendored files are minified,
        # so any address in them is code, except in a /*! ... */ licence banner (Chart.js
        # names its home page and that of @kurkle/color, which its UMD build bundles).
        text = re.sub(r"/\*!.*?\*/", "", text, flags=re.S)
        found = re.findall(r"https?://[^\s\"'`)]+", text)
        if script.is_relative_to(VENDOR):
            assert not found, f"{script.relative_to(ROOT)} names {found}"
        else:
            code = re.sub(r"/\*.*?\*/|^\s*//.*$", "", text, flags=re.S | re.M)
            assert not re.findall(r"https?://", code), script.name


def test_the_scanner_points_the_polyfill_at_kitlogs_own_wasm():
    scanner = (ROOT / "kitlog" / "static" / "js" / "scanner.js").read_text(encoding="utf-8")
    assert "prepareZXingModule" in scanner
    assert "locateFile" in scanner
    polyfill = (VENDOR / "barcode-detector" / "polyfill.js").read_text(encoding="utf-8")
    assert "/static/vendor/zxing-wasm/${" in polyfill  # the default, rewritten by vendor_assets


def test_flask_serves_the_wasm_as_application_wasm_and_the_polyfill(client):
    wasm = client.get(WASM)
    assert wasm.status_code == 200
    assert wasm.mimetype == "application/wasm"
    assert wasm.get_data()[:4] == b"\0asm"
    polyfill = client.get("/static/vendor/barcode-detector/polyfill.js")
    assert polyfill.status_code == 200
    assert polyfill.mimetype in ("text/javascript", "application/javascript")


def test_the_station_page_asks_for_the_wasm_at_kitlogs_own_address(client, auth):
    auth.login("warehouse")
    html = client.get("/scan/").get_data(as_text=True)
    assert f'data-zxing-wasm="{WASM}"' in html
    assert "/static/vendor/barcode-detector/polyfill.js" in html


def test_chart_js_is_vendored_as_its_umd_build_and_served(client):
    chart = VENDOR / "chart.js" / "chart.umd.min.js"
    text = chart.read_text(encoding="utf-8")
    assert text.startswith("/*!\n * Chart.js v4.6.1")  # the version VERSIONS.txt records
    assert (VENDOR / "chart.js" / "LICENSE.md").exists()
    response = client.get("/static/vendor/chart.js/chart.umd.min.js")
    assert response.status_code == 200
    assert response.mimetype in ("text/javascript", "application/javascript")
