"""Copy the front-end files kitlog serves from node_modules into kitlog/static/vendor.

Run by `make vendor` after `npm ci` (package.json pins the versions; package-lock.json
the whole tree). The copies are committed: kitlog never fetches anything from a CDN at
run time, and node is only needed to refresh them.

Indonesia's official list of places (idn-area-data: provinces, regencies, districts and
villages with their Kemendagri codes, under the ODbL) goes to kitlog/data/idn-area-data/,
with its licence file and its own VERSIONS.txt; kitlog loads it into the places table.

For each package (barcode-detector and its zxing-wasm; chart.js) it copies the listed
files to kitlog/static/vendor/<package>/, and it writes kitlog/static/vendor/VERSIONS.txt
with each package's installed version. Packages only the tests use (axe-core, the
accessibility checker the browser tests run on every page) go to tests/browser/vendor/
instead, with their own VERSIONS.txt: kitlog never serves them, so no page and no service
worker cache can ask for them.

barcode-detector's polyfill defaults to fetching zxing_reader.wasm from a CDN. kitlog's
scanner.js points it at our own copy with prepareZXingModule({overrides: {locateFile}})
before the first detect(); as a second guard, the copy here gets that default rewritten
to the local path, so even a page that forgot the override never leaves the server.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
VENDOR = ROOT / "kitlog" / "static" / "vendor"
TEST_VENDOR = ROOT / "tests" / "browser" / "vendor"
DATA = ROOT / "kitlog" / "data"
LOCAL_WASM_DIR = "/static/vendor/zxing-wasm/"

# package -> files inside the package, copied flat into vendor/<package>/
FILES: dict[str, list[str]] = {
    "barcode-detector": ["dist/iife/polyfill.js", "LICENSE"],
    "zxing-wasm": ["dist/reader/zxing_reader.wasm", "LICENSE"],
    # The donor report's deliveries-over-time chart (static/js/report.js); the UMD build
    # bundles its one dependency (@kurkle/color) and defines window.Chart.
    "chart.js": ["dist/chart.umd.min.js", "LICENSE.md"],
}

# Packages for the browser tests only, copied flat into tests/browser/vendor/<package>/.
TEST_FILES: dict[str, list[str]] = {
    "axe-core": ["axe.min.js", "LICENSE"],
}

# Indonesia's official administrative areas with their Kemendagri codes (ODbL: the licence
# file travels with the data), loaded into the places table; not served.
DATA_FILES: dict[str, list[str]] = {
    "idn-area-data": [
        f"data/{name}"
        for name in (
            "provinces.csv",
            "regencies.csv",
            "districts.csv",
            "villages.csv",
            "LICENSE.md",
        )
    ],
}

# The polyfill's default locateFile: `https://<cdn>/npm/zxing-wasm@<v>/dist/${dir}/${file}`.
CDN_DEFAULT = re.compile(r"`https://[^`]*/zxing-wasm@[^`/]+/dist/\$\{[^}]+\}/\$\{(\w+)\}`")


def installed_version(package: str) -> str:
    manifest = NODE_MODULES / package / "package.json"
    if not manifest.exists():
        sys.exit(f"{package} is not in node_modules: run `npm ci` first (make vendor does).")
    return json.loads(manifest.read_text(encoding="utf-8"))["version"]


def check_pins(versions: dict[str, str]) -> None:
    """The installed versions are exactly those package.json pins."""
    pinned = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["dependencies"]
    for package, version in pinned.items():
        if versions.get(package) != version:
            sys.exit(
                f"{package}: package.json pins {version}, node_modules has"
                f" {versions.get(package)}: run `npm ci`."
            )


def localize_wasm_url(source: str) -> str:
    """Rewrite the polyfill's one CDN default for the .wasm to kitlog's own copy."""
    patched, count = CDN_DEFAULT.subn(lambda m: f"`{LOCAL_WASM_DIR}${{{m.group(1)}}}`", source)
    if count != 1:
        sys.exit(
            "barcode-detector: expected exactly one default .wasm CDN URL to rewrite, found"
            f" {count}; check the new version's locateFile and update scripts/vendor_assets.py."
        )
    if "https://" in patched or "http://" in patched:
        sys.exit("barcode-detector: the polyfill still names an outside URL after the rewrite.")
    return patched


def copy_files(destination_root: Path, files: dict[str, list[str]]) -> None:
    for package, names in files.items():
        target = destination_root / package
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        for name in names:
            source = NODE_MODULES / package / name
            destination = target / Path(name).name
            if package == "barcode-detector" and name.endswith(".js"):
                text = localize_wasm_url(source.read_text(encoding="utf-8"))
                destination.write_text(text, encoding="utf-8")
            else:
                shutil.copyfile(source, destination)
            print(f"  {destination.relative_to(ROOT)}")


def write_versions(destination_root: Path, versions: dict[str, str]) -> None:
    lines = [
        "# Vendored by `make vendor` (scripts/vendor_assets.py) from package.json; do not edit.",
        *(f"{package} {version}" for package, version in sorted(versions.items())),
    ]
    (destination_root / "VERSIONS.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"  {(destination_root / 'VERSIONS.txt').relative_to(ROOT)}")


def main() -> None:
    versions = {package: installed_version(package) for package in FILES}
    test_versions = {package: installed_version(package) for package in TEST_FILES}
    data_versions = {package: installed_version(package) for package in DATA_FILES}
    check_pins({**versions, **test_versions, **data_versions})
    copy_files(VENDOR, FILES)
    write_versions(VENDOR, versions)
    copy_files(TEST_VENDOR, TEST_FILES)
    write_versions(TEST_VENDOR, test_versions)
    copy_files(DATA, DATA_FILES)
    write_versions(DATA, data_versions)


if __name__ == "__main__":
    main()
