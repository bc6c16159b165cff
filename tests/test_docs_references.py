"""Code, tests and docs cite only documents in the repository: every `*.md` named exists,
nothing points at `../shared`, and no issue number stands in for saying what a thing is."""

from __future__ import annotations

import posixpath
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
THIS_FILE = "tests/test_docs_references.py"  # it spells out the citations it refuses

TEXT_SUFFIXES = (".py", ".md", ".html", ".js", ".toml", ".cfg", ".sh")
TEXT_NAMES = ("Makefile", ".ci/run")
SKIPPED = ("kitlog/static/vendor/", "package-lock.json")

MD_NAME = re.compile(r"(?<![\w./-])((?:\.{1,2}/)?[\w.-]+(?:/[\w.-]+)*\.md)\b")
ISSUE = re.compile(r"\bissues?\s+#?\d+", re.IGNORECASE)
SHARED = re.compile(r"\.\./shared\b")
OUTSIDE_SECTION = re.compile(r"\b(?:DESIGN|API)\s*§")


def tracked_files() -> list[str]:
    """Every file git tracks, as paths relative to the repository's root."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [name for name in out.decode().split("\0") if name]


def is_checked(path: str) -> bool:
    """Tracked text files of kitlog's own, not vendored ones."""
    if path == THIS_FILE or path.startswith(SKIPPED) or path.endswith(SKIPPED):
        return False
    return path.endswith(TEXT_SUFFIXES) or path in TEXT_NAMES or path.endswith("/Makefile")


def md_exists(name: str, citing: str, existing: set[str]) -> bool:
    """A bare name may be any tracked file's; a path is read from the root or the citer's folder."""
    if "/" not in name:
        return any(path.rsplit("/", 1)[-1] == name for path in existing)
    here = posixpath.dirname(citing)
    candidates = {posixpath.normpath(name), posixpath.normpath(posixpath.join(here, name))}
    return bool(candidates & existing)


def reference_problems(text: str, *, path: str, existing: set[str]) -> list[str]:
    """What in `text` (the content of `path`) cites something outside the repository."""
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        where = f"{path}:{number}"
        for match in SHARED.finditer(line):
            problems.append(f"{where}: cites {match.group(0)!r}, outside the repository")
        for match in ISSUE.finditer(line):
            problems.append(f"{where}: cites {match.group(0)!r}; say what the thing is")
        for match in OUTSIDE_SECTION.finditer(line):
            problems.append(f"{where}: cites {match.group(0)!r}; use docs/design.md's rules")
        for match in MD_NAME.finditer(line):
            if not md_exists(match.group(1), path, existing):
                problems.append(f"{where}: names {match.group(1)!r}, not in the repository")
    return problems


EXISTING = {
    "README.md",
    "bench/README.md",
    "docs/design.md",
    "docs/api.md",
    "docs/architecture.md",
}


@pytest.mark.parametrize(
    "text",
    [
        "A correction is a new movement (DESIGN.md §3 rule 5).",
        '"""API.md, Scans: POST /api/v1/scans."""',
        "show the parcel as stored (issue 7: fewer queries per scan).",
        '"""Issue 6, point 8: at the end of a programme."""',
        "## Targets (issue #7) and the latest recorded figures",
        "Code style: ../shared/STYLE.md (thin views).",
        "cannot name a household (DESIGN §3 rule 6).",
        "See [the guide](docs/missing.md).",
    ],
)
def test_a_citation_outside_the_repository_is_refused(text):
    assert reference_problems(text, path="kitlog/x.py", existing=EXISTING)


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("A correction is a new movement (rule 5 of docs/design.md).", "kitlog/x.py"),
        ('"""docs/api.md, Scans: POST /api/v1/scans."""', "tests/api/test_x.py"),
        ("See bench/README.md and [README.md](../README.md).", "docs/x.md"),
        ("The API's conventions: [api.md](api.md).", "docs/design.md"),
        ("An issue with the printer is fixed by a test page.", "docs/x.md"),
    ],
)
def test_a_citation_inside_the_repository_is_accepted(text, path):
    assert reference_problems(text, path=path, existing=EXISTING) == []


def test_every_tracked_file_cites_only_the_repository():
    files = tracked_files()
    existing = set(files)
    problems = []
    for path in filter(is_checked, files):
        try:
            text = (ROOT / path).read_text(encoding="utf-8")
        except (FileNotFoundError, UnicodeDecodeError):
            continue  # deleted in the working tree, or not text
        problems += reference_problems(text, path=path, existing=existing)
    assert problems == [], "\n".join(problems)
