"""Rule 6 of docs/design.md: a donor user reads their own donor's
aggregated report and nothing else.

The walk below visits EVERY GET route of the app (app.url_map) as a logged-in donor user,
with real ids and codes of objects that exist (a household, a parcel, a manifest, a
round, a batch, another donor), and expects 403. Only the routes in DONOR_MAY_USE answer
otherwise. A new route is refused to donors until someone decides it may be theirs: it
fails here if it answers a donor with anything but 403 (or 404/405 where no such object
exists), and a route with an argument this walk cannot fill fails until a sample is added.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import Household
from tests.access import samples, url_for_rule
from tests.worlds import ReportWorld

# Endpoints a donor user may open, each with why.
DONOR_MAY_USE = {
    "auth.login": "the login form (a logged-in user is sent on)",
    "main.dashboard": "their own batches, in totals",
    "auth.profile": "their own account",
    "scan.offline": "the offline page names no one",
    "scan.service_worker": "/sw.js holds code, no data",
    "static": "stylesheets, scripts, images",
    "api-docs.openapi_json": "the API's description holds no data",
    "reports.index": "sends a donor user to their own report",
    "reports.shared_report": "a share link is public by its token (and shows totals only)",
    "reports.shared_report_csv": "the same, as a file",
    "reports.shared_report_xlsx": "the same, as a file",
    "reports.shared_report_pdf": "the same, as a file",
    "public_feedback.feedback": "a household's feedback page is public (it names no one)",
}
# Routes whose argument names no object in this world: 404 is the honest answer there.
NO_SUCH_OBJECT = {"admin.edit_user", "households.import_job", "printing.edit_printer"}
NO_SUCH_OBJECT |= {"printing.printer_test_sheet"}


@pytest.fixture
def world(make) -> ReportWorld:
    world = ReportWorld(make)
    world.play()
    return world


def get_rules(app):
    return sorted(
        (rule for rule in app.url_map.iter_rules() if "GET" in rule.methods),
        key=lambda rule: rule.rule,
    )


def test_every_route_but_the_donors_own_refuses_a_donor_user(app, client, auth, world):
    s = samples(world)
    auth.login("donor", donor=world.koica, language="en")
    wrong, visited = [], 0
    for rule in get_rules(app):
        if rule.endpoint in DONOR_MAY_USE:
            continue
        path = url_for_rule(rule, s)
        visited += 1
        status = client.get(path).status_code
        allowed = {403, 404, 405} if rule.endpoint in NO_SUCH_OBJECT else {403}
        if status not in allowed:
            wrong.append(f"{path} ({rule.endpoint}) answered {status}")
    assert not wrong, "a donor user reached:\n" + "\n".join(wrong)
    assert visited >= 70  # the walk really went through the app


def test_every_api_route_refuses_a_donors_token_too(app, client, make, world):
    s = samples(world)
    token = make.token(make.user("donor", donor=world.koica))
    headers = {"Authorization": f"Bearer {token}"}
    wrong = []
    for rule in get_rules(app):
        if not rule.rule.startswith("/api/") or rule.endpoint in DONOR_MAY_USE:
            continue
        path = url_for_rule(rule, s)
        status = client.get(path, headers=headers).status_code
        if status != 403:
            wrong.append(f"{path} ({rule.endpoint}) answered {status}")
    assert not wrong, "a donor's token reached:\n" + "\n".join(wrong)


def test_the_allowlist_names_routes_that_exist(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    known_later = {e for e in DONOR_MAY_USE if e.startswith("reports.shared_report_")}
    assert set(DONOR_MAY_USE) - known_later <= endpoints


def test_the_donors_own_report_opens_and_another_donors_does_not(app, client, auth, world):
    auth.login("donor", donor=world.koica, language="en")
    own = ["/reports/donors/KOICA", "/api/v1/reports/donors/KOICA", "/reports/donors/KOICA/share"]
    other = [p.replace("KOICA", "DFAT") for p in own]
    for fmt in ("csv", "xlsx", "pdf"):  # the exports, once they exist
        if f"reports.donor_report_{fmt}" in app.view_functions:
            own.append(f"/reports/donors/KOICA.{fmt}")
            other.append(f"/reports/donors/DFAT.{fmt}")
        if f"api_report_exports.donor_report_{fmt}" in app.view_functions:
            own.append(f"/api/v1/reports/donors/KOICA.{fmt}")
            other.append(f"/api/v1/reports/donors/DFAT.{fmt}")
    assert [client.get(p).status_code for p in own] == [200] * len(own)
    assert [client.get(p).status_code for p in other] == [403] * len(other)
    assert client.get("/reports/").headers["Location"].endswith("/reports/donors/KOICA")


def personal_data() -> list[str]:
    """Every household's head and worker name, NIK and phone (as stored)."""
    values = []
    for h in db.session.scalars(select(Household)):
        values += [h.head_name, h.worker_name, h.nik, h.phone]
        values.append(h.phone.removeprefix("+62"))
    return [v for v in values if v]


def test_no_household_personal_data_in_the_donors_report_page_or_json(app, client, auth, world):
    auth.login("donor", donor=world.koica, language="en")
    answers = {
        "page": client.get("/reports/donors/KOICA").get_data(as_text=True),
        "json": json.dumps(client.get("/api/v1/reports/donors/KOICA").get_json()),
        "share page": client.get(f"/share/{samples(world)['share_token']}").get_data(as_text=True),
    }
    secrets = personal_data()
    assert len(secrets) >= 6 * 4
    for where, body in answers.items():
        for secret in secrets:
            assert secret not in body, f"{secret!r} appears in the {where}"
        assert "HH-" not in body, where  # not even a household's code
