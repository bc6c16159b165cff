"""The access matrix: every route of app.url_map × every role.

MATRIX below says, for EVERY endpoint, which roles may use it (or that it is PUBLIC). It is
written out by hand on purpose, apart from kitlog.security.PERMISSIONS: a permission that
is widened, or a view that declares the wrong one, makes the walk fail here.

The walk logs in one browser per role (and keeps one logged out), fills every URL with the
real id or code of an object that exists (tests/test_donor_scoping.py's world and samples),
and asks:
- GET: an allowed role gets the page (200, or the redirect or 404 listed in GET_ANSWERS);
  a logged-in role that is not allowed gets 403; a visitor who is not logged in is sent
  to the login form (pages) or gets 401 (API).
- POST, PUT, DELETE: only the refusal side, so nothing is written: a role not allowed gets
  403 (with a valid CSRF token, or as same-origin JSON, so it is the role that is refused),
  a visitor 401 (API) or the login form (pages).
A route missing from MATRIX fails test_every_route_is_in_the_access_matrix, so nothing new
is open by accident. The donor column holds only their dashboard, profile, their own
donor's report (another donor's answers 403) and the public pages: no household data.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import ShareLink, User
from tests.conftest import AuthActions
from tests.test_donor_scoping import samples, url_for_rule
from tests.worlds import ReportWorld

PUBLIC = "public"
ROLES = ("admin", "warehouse", "field", "donor")
ALL = frozenset(ROLES)
STAFF = frozenset({"admin", "warehouse", "field"})
STOCK = frozenset({"admin", "warehouse"})  # the warehouse's work
HOUSEHOLDS = frozenset({"admin", "field"})  # personal data: never a donor's or the warehouse's
ADMIN = frozenset({"admin"})
REPORTS = frozenset({"admin", "donor"})  # a donor: their own donor's only (OWN_DONOR)

MATRIX: dict[str, frozenset[str] | str] = {
    # public: login, language, offline shell, API description, share links, static files
    "auth.login": PUBLIC,
    "auth.logout": PUBLIC,
    "auth.set_language": PUBLIC,
    "scan.offline": PUBLIC,
    "scan.service_worker": PUBLIC,
    "static": PUBLIC,
    "api-docs.openapi_json": PUBLIC,
    "reports.shared_report": PUBLIC,
    "reports.shared_report_csv": PUBLIC,
    "reports.shared_report_xlsx": PUBLIC,
    "reports.shared_report_pdf": PUBLIC,
    # every logged-in user: their dashboard and their own account
    "main.dashboard": ALL,
    "auth.profile": ALL,
    "auth.profile_language": ALL,
    "auth.profile_password": ALL,
    "auth.create_token": ALL,
    "auth.revoke_token": ALL,
    # users
    "admin.users": ADMIN,
    "admin.new_user": ADMIN,
    "admin.edit_user": ADMIN,
    "admin.reset_password": ADMIN,
    "admin.audit_log": ADMIN,  # who did what: the admin's only
    # reference data: staff read, the admin writes
    "reference.donors": STAFF,
    "reference.kit_types": STAFF,
    "reference.warehouses": STAFF,
    "reference.new_donor": ADMIN,
    "reference.new_kit_type": ADMIN,
    "reference.new_warehouse": ADMIN,
    "reference.edit_donor": ADMIN,
    "reference.edit_kit_type": ADMIN,
    "reference.edit_warehouse": ADMIN,
    "api_reference.list_donors": STAFF,
    "api_reference.list_kit_types": STAFF,
    "api_reference.list_warehouses": STAFF,
    "api_reference.get_donor": STAFF,
    "api_reference.get_kit_type": STAFF,
    "api_reference.get_warehouse": STAFF,
    "api_reference.create_donor": ADMIN,
    "api_reference.create_kit_type": ADMIN,
    "api_reference.create_warehouse": ADMIN,
    # stock
    "stock.batches": STOCK,
    "stock.batch": STOCK,
    "stock.movements": STOCK,
    "stock.report": STOCK,
    "stock.report_xlsx": STOCK,
    "stock.receive": STOCK,
    "stock.transfer": STOCK,
    "stock.adjust": STOCK,
    "api_stock.list_batches": STOCK,
    "api_stock.get_batch": STOCK,
    "api_stock.list_movements": STOCK,
    "api_stock.list_stock": STOCK,
    "api_stock.create_batch": STOCK,
    "api_stock.create_transfer": STOCK,
    "api_stock.create_adjustment": STOCK,
    # households: personal data
    "households.index": HOUSEHOLDS,
    "households.show": HOUSEHOLDS,
    "households.new": HOUSEHOLDS,
    "households.edit": HOUSEHOLDS,
    "households.import_upload": HOUSEHOLDS,
    "households.import_job": HOUSEHOLDS,
    "households.import_confirm": HOUSEHOLDS,
    "households.import_cancel": HOUSEHOLDS,
    "households.import_template_csv": HOUSEHOLDS,
    "households.import_template_xlsx": HOUSEHOLDS,
    "households.export_csv": ADMIN,  # personal data leaves kitlog: the admin's, logged
    "api_households.list_households": HOUSEHOLDS,
    "api_households.get_household": HOUSEHOLDS,
    "api_households.create_household": HOUSEHOLDS,
    "api_households.update_household": HOUSEHOLDS,
    "api_imports.import_households": HOUSEHOLDS,
    # rounds and parcels: staff read, the admin plans, allocates and cancels
    "distribution.rounds": STAFF,
    "distribution.round": STAFF,
    "distribution.parcel": STAFF,
    "distribution.new_round": ADMIN,
    "distribution.edit_round": ADMIN,
    "distribution.open_round": ADMIN,
    "distribution.allocate": ADMIN,
    "distribution.close_round": ADMIN,
    "distribution.cancel_parcel": ADMIN,
    "api_distribution.list_rounds": STAFF,
    "api_distribution.get_round": STAFF,
    "api_distribution.plan": STAFF,
    "api_distribution.list_parcels": STAFF,
    "api_distribution.find_parcel_by_query": STAFF,
    "api_distribution.get_parcel": STAFF,
    "api_distribution.create_round": ADMIN,
    "api_distribution.open_round": ADMIN,
    "api_distribution.allocate": ADMIN,
    "api_distribution.close_round": ADMIN,
    "api_distribution.cancel_parcel": ADMIN,
    # scans: the station is the warehouse's, the door page the field officer's; the
    # parcel page and the scan API take both (each action checks its own permission)
    "scan.station": STOCK,
    "door.deliver": HOUSEHOLDS,
    "door.parcel": STAFF,
    "door.parcel_action": STAFF,
    "api_scans.create_scan": STAFF,
    "api_scans.create_scans": STAFF,
    "api_scans.list_scans": STAFF,
    # labels and printers: the warehouse's
    "printing.round_labels": STOCK,
    "printing.round_labels_pdf": STOCK,
    "printing.printers": STOCK,
    "printing.new_printer": STOCK,
    "printing.edit_printer": STOCK,
    "printing.printer_test_sheet": STOCK,
    "printing.layout_test_sheet": STOCK,
    "api_labels.round_labels": STOCK,
    # manifests: staff read (the field officer rides the truck), the warehouse writes
    "manifests.index": STAFF,
    "manifests.show": STAFF,
    "manifests.pdf": STAFF,
    "manifests.new_manifest": STOCK,
    "manifests.add_by_area": STOCK,
    "manifests.remove": STOCK,
    "manifests.dispatch": STOCK,
    "manifests.close": STOCK,
    "manifests.cancel": STOCK,
    "api_manifests.list_manifests": STAFF,
    "api_manifests.get_manifest": STAFF,
    "api_manifests.manifest_pdf": STAFF,
    "api_manifests.create_manifest": STOCK,
    "api_manifests.add_parcels": STOCK,
    "api_manifests.remove_parcel": STOCK,
    "api_manifests.dispatch_manifest": STOCK,
    "api_manifests.close_manifest": STOCK,
    "api_manifests.cancel_manifest": STOCK,
    # donor reports: aggregates; a donor user sees their own donor's only
    "reports.index": REPORTS,
    "reports.donor_report": REPORTS,
    "reports.donor_report_csv": REPORTS,
    "reports.donor_report_xlsx": REPORTS,
    "reports.donor_report_pdf": REPORTS,
    "reports.share_links_page": REPORTS,
    "reports.create_share_link": REPORTS,
    "reports.revoke_share_link": REPORTS,
    "api_reports.donor_report": REPORTS,
    "api_report_exports.donor_report_csv": REPORTS,
    "api_report_exports.donor_report_xlsx": REPORTS,
    "api_report_exports.donor_report_pdf": REPORTS,
}

# Routes that name a donor: a donor user is allowed only with their own donor's code.
OWN_DONOR = {e for e in MATRIX if e.startswith(("reports.donor_report", "api_report"))}
OWN_DONOR |= {"reports.share_links_page", "reports.create_share_link", "reports.revoke_share_link"}

# What an allowed GET answers when it is not 200, with why; anything else must be 200.
GET_ANSWERS: dict[str, dict[str, int]] = {
    # a logged-in user asking for the login form is sent on to the dashboard
    "auth.login": {"admin": 302, "warehouse": 302, "field": 302, "donor": 302},
    # the reports index sends a donor user to their own donor's report
    "reports.index": {"donor": 302},
    # no import job nor printer exists in this world: 404 for those allowed to look
    "households.import_job": {"admin": 404, "field": 404},
    "printing.edit_printer": {"admin": 404, "warehouse": 404},
    "printing.printer_test_sheet": {"admin": 404, "warehouse": 404},
}

# Query arguments a GET needs to mean anything (filled from the samples).
QUERIES = {"api_distribution.find_parcel_by_query": "?code={parcel_code}"}


def test_every_route_is_in_the_access_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - set(MATRIX))
    assert not missing, (
        "add it to the access matrix (tests/test_access_matrix.py MATRIX): " + ", ".join(missing)
    )
    stale = sorted(set(MATRIX) - endpoints)
    assert stale == [], "the matrix names routes that do not exist"
    for endpoint, allowed in MATRIX.items():
        assert allowed == PUBLIC or allowed <= ALL, endpoint


def test_a_donor_is_allowed_no_household_data():
    """The donor column: dashboard, profile, their own reports and share links, public."""
    donor_may = {e for e, allowed in MATRIX.items() if allowed != PUBLIC and "donor" in allowed}
    assert donor_may == {
        "main.dashboard",
        "auth.profile",
        "auth.profile_language",
        "auth.profile_password",
        "auth.create_token",
        "auth.revoke_token",
    } | {e for e, allowed in MATRIX.items() if allowed == REPORTS}
    assert all(
        not e.startswith(("households.", "api_households", "api_imports")) for e in donor_may
    )


class Browsers:
    """One logged-out browser and one logged-in browser per role, each with its CSRF token."""

    def __init__(self, app, make, donor):
        self.clients, self.tokens = {}, {}
        for role in (None, *ROLES):
            client = app.test_client()
            actions = AuthActions(client, make)
            if role is not None:
                extra = {"donor": donor} if role == "donor" else {}
                actions.login(role, language="en", **extra)
            self.clients[role] = client
            self.tokens[role] = actions.csrf_token("/profile" if role else "/login")


def _sent_to_login(response) -> bool:
    return response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"


def _write(client, method: str, path: str, csrf: str):
    """A write as a browser sends it: a form with its CSRF token, or same-origin JSON."""
    if path.startswith("/api/"):
        return client.open(path, method=method, json={}, headers={"Origin": "http://localhost"})
    return client.open(path, method=method, data={"csrf_token": csrf})


def test_every_route_answers_each_role_as_the_matrix_says(app, make):
    world = ReportWorld(make)
    world.play()
    s = samples(world)  # objects of DFAT, the OTHER donor, where a donor is named
    s["user_id"] = db.session.scalar(select(User.id).where(User.role == "field"))
    s["link_id"] = db.session.scalar(select(ShareLink.id))
    s["token_id"] = 1  # only a visitor is refused there (each user revokes their own)
    own = {**s, "other_donor": world.koica.code}
    browsers = Browsers(app, make, world.koica)
    wrong, asked = [], 0

    def check(role, method, path, endpoint, expected):
        nonlocal asked
        client = browsers.clients[role]
        if method == "GET":
            response = client.get(path)
        else:
            response = _write(client, method, path, browsers.tokens[role])
        asked += 1
        if expected == "login":
            ok = (
                response.status_code == 401
                if path.startswith("/api/")
                else _sent_to_login(response)
            )
        else:
            ok = response.status_code == expected
        if not ok:
            who = role or "anonymous"
            wrong.append(
                f"{who} {method} {path} ({endpoint}): {response.status_code}, expected {expected}"
            )

    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        allowed, endpoint = MATRIX[rule.endpoint], rule.endpoint
        query = QUERIES.get(endpoint, "").format(**s)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            path = url_for_rule(rule, s) + (query if method == "GET" else "")
            if allowed == PUBLIC:
                if method == "GET":  # open to anyone: no redirect to the login form
                    check(None, method, path, endpoint, 200)
                continue
            for role in (None, *ROLES):
                if role is None:
                    check(role, method, path, endpoint, "login")
                elif role not in allowed:
                    check(role, method, path, endpoint, 403)
                elif role == "donor" and endpoint in OWN_DONOR:
                    check(role, method, path, endpoint, 403)  # another donor's: never
                    if method == "GET":
                        check(role, method, url_for_rule(rule, own), endpoint, 200)
                elif method == "GET":
                    check(
                        role, method, path, endpoint, GET_ANSWERS.get(endpoint, {}).get(role, 200)
                    )
                # an allowed write is not performed: each feature's own tests do that
    assert not wrong, "the access matrix is not what the app answers:\n" + "\n".join(wrong)
    assert asked >= 600  # the walk really went through the app
