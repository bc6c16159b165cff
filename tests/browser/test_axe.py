"""axe-core on every page each role can reach, at phone and at desk size.

Each role (and a visitor who is not logged in) walks every HTML page the access matrix
(tests/access.py) lets it open, in a report world where every page has something to
show: the lists, the forms, and the detail pages of a household, a round, a parcel, a
lot, a manifest and a donor report. axe-core (vendored from npm under
tests/browser/vendor, never served by kitlog) runs on each page and the test fails on
any violation whose impact is critical, serious or moderate, naming the page, the rule,
its impact and the first elements it found.

axe is injected as a context init script, which the page's Content-Security-Policy does
not apply to: the pages keep the policy they have in production.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import Manifest
from tests.access import GET_ANSWERS, MATRIX, PUBLIC, samples, url_for_rule
from tests.browser.helpers import AXE, log_in, violations
from tests.worlds import ReportWorld

pytestmark = pytest.mark.browser

# Endpoints that answer a GET with something other than an HTML page, or change state.
NOT_PAGES = {"auth.logout", "auth.set_language", "scan.service_worker", "static"}
FILE_SUFFIXES = (".pdf", ".csv", ".xlsx", ".json", ".js")


def pages_for(app, role: str | None, values: dict) -> list[str]:
    """Every HTML page `role` may GET (None: a visitor), its URL filled from `values`."""
    urls = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        allowed = MATRIX[rule.endpoint]
        if (
            "GET" not in rule.methods
            or rule.rule.startswith("/api")
            or rule.endpoint.startswith("api")
            or rule.endpoint in NOT_PAGES
            or rule.rule.endswith(FILE_SUFFIXES)
        ):
            continue
        if role is None:
            if allowed != PUBLIC:
                continue
        elif allowed == PUBLIC or role not in allowed:
            continue
        if GET_ANSWERS.get(rule.endpoint, {}).get(role or "", 200) != 200:
            continue  # sent elsewhere, or nothing of the kind in this world
        urls.append(url_for_rule(rule, values))
    return urls


@pytest.fixture
def world(make):
    world = ReportWorld(make)
    world.play()
    return world


@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("role", [None, "admin", "warehouse", "field", "donor"])
def test_no_page_has_an_accessibility_violation(app, make, new_page, world, role, size):
    values = samples(world)
    values["user_id"] = world.w.admin.id
    manifest = db.session.scalars(select(Manifest)).first()
    values["manifest_id"] = manifest.id
    if role == "donor":  # their own donor's report: another donor's answers 403
        values["other_donor"] = world.koica.code
    page = new_page(size)
    page.context.add_init_script(path=str(AXE))
    if role is not None:
        user = make.user(role, donor=world.koica if role == "donor" else None)
        log_in(page, user.email)
    paths = pages_for(app, role, values)
    assert paths
    found = [line for path in paths for line in violations(page, path)]
    assert not found, f"{len(found)} violations:\n" + "\n".join(found)
