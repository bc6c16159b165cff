"""Copy the TrueType fonts kitlog's PDFs embed from Debian's packages into kitlog/fonts.

Run by `make vendor-fonts` (as a user that may run `apt-get download`; no root needed when
the package lists are current). The copies are committed: `make run` and `pip install`
need no font installed on the machine, and the PDFs look the same wherever they are made.

reportlab embeds TrueType outlines (glyf) only, so the files are Debian's .ttf builds:

- Liberation Sans 2 (fonts-liberation2), regular and bold, SIL Open Font License 1.1:
  Latin with Polish and Vietnamese letters, Greek, Cyrillic; the metrics of Helvetica and
  Arial, so every layout measured in Helvetica keeps its line breaks.
- Droid Sans Fallback (fonts-droid-fallback), Apache License 2.0: Hangul (all 11,172
  syllables), the CJK ideographs and kana, in one weight; the documents use it only for
  the characters Liberation Sans lacks.

For each package it writes kitlog/fonts/<package>.LICENSE (Debian's copyright file, which
holds the OFL in full; for Apache-2.0 the licence text follows it), and it writes
kitlog/fonts/VERSIONS.txt: every file with its package, the package's version and its
SHA-256, which tests/documents/test_fonts.py checks against the files.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FONTS = ROOT / "kitlog" / "fonts"
APACHE_2 = Path("/usr/share/common-licenses/Apache-2.0")

# package -> (files inside the package, copied flat into kitlog/fonts/; its licence)
PACKAGES: dict[str, tuple[list[str], str]] = {
    "fonts-liberation2": (
        [
            "usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
            "usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf",
        ],
        "OFL-1.1",
    ),
    "fonts-droid-fallback": (
        ["usr/share/fonts-droid-fallback/truetype/DroidSansFallback.ttf"],
        "Apache-2.0",
    ),
}


def run(*command: str, cwd: Path | None = None) -> str:
    return subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True).stdout


def download(package: str, into: Path) -> tuple[str, Path]:
    """The package's candidate version, unpacked into `into`/<package>."""
    try:
        run("apt-get", "download", package, cwd=into)
    except subprocess.CalledProcessError as error:
        sys.exit(f"apt-get download {package} failed ({error.stderr.strip()}): run apt-get update")
    deb = next(into.glob(f"{package}_*.deb"))
    version = run("dpkg-deb", "--field", str(deb), "Version").strip()
    unpacked = into / package
    run("dpkg-deb", "-x", str(deb), str(unpacked))
    return version, unpacked


def licence_text(package: str, unpacked: Path, licence: str) -> str:
    text = (unpacked / "usr/share/doc" / package / "copyright").read_text(encoding="utf-8")
    if licence == "Apache-2.0":  # Debian's copyright file points at the text; ship it
        if not APACHE_2.exists():
            sys.exit(f"{APACHE_2} is missing (Debian's base-files ships it)")
        text += "\n\n" + APACHE_2.read_text(encoding="utf-8")
    elif "SIL OPEN FONT LICENSE Version 1.1" not in text:
        sys.exit(f"{package}: its copyright file no longer holds the OFL 1.1 text; check it")
    return text


def main() -> None:
    if not shutil.which("apt-get") or not shutil.which("dpkg-deb"):
        sys.exit("Vendoring the fonts takes Debian's apt-get and dpkg-deb.")
    lines = [
        "# Vendored by `make vendor-fonts` (scripts/vendor_fonts.py) from Debian; do not edit.",
        "# file package version licence sha256",
    ]
    FONTS.mkdir(parents=True, exist_ok=True)
    for old in FONTS.glob("*.ttf"):
        old.unlink()
    with tempfile.TemporaryDirectory() as temporary:
        for package, (files, licence) in PACKAGES.items():
            version, unpacked = download(package, Path(temporary))
            (FONTS / f"{package}.LICENSE").write_text(
                licence_text(package, unpacked, licence), encoding="utf-8"
            )
            for name in files:
                destination = FONTS / Path(name).name
                shutil.copyfile(unpacked / name, destination)
                digest = hashlib.sha256(destination.read_bytes()).hexdigest()
                lines.append(f"{destination.name} {package} {version} {licence} {digest}")
                print(f"  {destination.relative_to(ROOT)} ({package} {version})")
    (FONTS / "VERSIONS.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"  {(FONTS / 'VERSIONS.txt').relative_to(ROOT)}")


if __name__ == "__main__":
    main()
