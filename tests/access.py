"""Who may open what: the access matrix of every endpoint, one browser per role, and a real
value for every URL argument (shared by the access walks and the web security tests)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import Manifest
from kitlog.services import share_links
from tests.conftest import AuthActions
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
    "main.day_json": ADMIN,  # the day of every round: the programme manager's
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
    # the official places' pick-lists: the staff who fill in addresses (a donor: none)
    "api_places.list_places": STAFF,
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
    "households.add_collector": HOUSEHOLDS,
    "households.remove_collector": HOUSEHOLDS,
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
    "api_collectors.list_collectors": HOUSEHOLDS,
    "api_collectors.create_collector": HOUSEHOLDS,
    "api_collectors.delete_collector": HOUSEHOLDS,
    "api_feedback.create_feedback": HOUSEHOLDS,
    # feedback: a field officer reads only the non-sensitive entries they recorded (the
    # service filters: 404 otherwise); answering it is the administrator's
    "api_feedback.list_feedback": HOUSEHOLDS,
    "api_feedback.get_feedback": HOUSEHOLDS,
    "api_feedback.change_feedback_status": ADMIN,
    "feedback.index": HOUSEHOLDS,
    "feedback.new": HOUSEHOLDS,
    "feedback.show": HOUSEHOLDS,
    "feedback.change_status": ADMIN,
    "api_imports.import_households": HOUSEHOLDS,
    # household cards: printed with the head's name by those who read households; the
    # page a card's QR code opens tells a visitor nothing (tests/web/test_card_pages.py)
    "cards.card": PUBLIC,
    # the household's feedback page, reached from the card: no login, nothing about the
    # household (tests/web/test_public_feedback.py)
    "public_feedback.feedback": PUBLIC,
    "cards.household_card_pdf": HOUSEHOLDS,
    "cards.reissue": HOUSEHOLDS,
    "api_cards.household_card": HOUSEHOLDS,
    "api_cards.card_sheets": HOUSEHOLDS,
    "api_cards.reissue_card": HOUSEHOLDS,
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
    "api_distribution.get_parcel_proof": HOUSEHOLDS,  # who took it: never donor, warehouse
    # scans: the station is the warehouse's, the door page the field officer's; the
    # parcel page and the scan API take both (each action checks its own permission)
    "scan.station": STOCK,
    "door.deliver": HOUSEHOLDS,
    "door.parcel": STAFF,
    "door.parcel_action": STAFF,
    "door.parcel_proof": HOUSEHOLDS,  # the signature or photo: who took the parcel
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
    "api_manifests.manifest_worklist": STAFF,
    "api_manifests.manifest_pdf": STAFF,
    "api_manifests.create_manifest": STOCK,
    "api_manifests.add_parcels": STOCK,
    "api_manifests.remove_parcel": STOCK,
    "api_manifests.dispatch_manifest": STOCK,
    "api_manifests.close_manifest": STOCK,
    "api_manifests.cancel_manifest": STOCK,
    # follow-ups: staff read (the warehouse without personal data), the warehouse loads
    "follow_ups.index": STAFF,
    "follow_ups.load": STOCK,
    "api_follow_ups.list_follow_ups": STAFF,
    "api_follow_ups.put_on_manifest": STOCK,
    # card mismatches: staff read; those who find out who took the parcel resolve them
    "follow_ups.resolve": HOUSEHOLDS,
    "api_follow_ups.list_card_mismatches": STAFF,
    "api_follow_ups.resolve_card_mismatch": HOUSEHOLDS,
    # distribution sites: the staff read them, the administrator plans them; a card's
    # lookup (the warehouse without names); the site's day on a phone, for who hands over
    "api_cards_lookup.lookup_card": STAFF,
    "site.station": HOUSEHOLDS,
    "api_sites.list_sites": STAFF,
    "api_sites.create_site": ADMIN,
    "api_sites.get_site": STAFF,
    "api_sites.site_day": HOUSEHOLDS,
    "api_sites.create_site_manifest": ADMIN,
    "api_sites.end_site_day": ADMIN,
    "distribution.new_site": ADMIN,
    "distribution.edit_site": ADMIN,
    "distribution.site_manifest": ADMIN,
    "distribution.end_site_day": ADMIN,
    # post-distribution monitoring: the administrator samples and reads the results; the
    # field officer surveys the sampled households (their names: never the warehouse's)
    "pdm.round_page": ADMIN,
    "pdm.draw": ADMIN,
    "pdm.index": HOUSEHOLDS,
    "pdm.survey": HOUSEHOLDS,
    "api_pdm.draw_sample": ADMIN,
    "api_pdm.round_results": ADMIN,
    "api_pdm.record_response": HOUSEHOLDS,
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
    # no parcel of this world was delivered with a proof
    "api_distribution.get_parcel_proof": {"admin": 404, "field": 404},
    "door.parcel_proof": {"admin": 404, "field": 404},
    # no household card nor distribution site exists in this world
    "api_cards_lookup.lookup_card": {"admin": 404, "warehouse": 404, "field": 404},
    "api_sites.get_site": {"admin": 404, "warehouse": 404, "field": 404},
    "api_sites.site_day": {"admin": 404, "field": 404},
    "distribution.edit_site": {"admin": 404},
    "distribution.site_manifest": {"admin": 404},
    "distribution.end_site_day": {"admin": 404},
    # no feedback exists in this world
    "feedback.show": {"admin": 404, "field": 404},
    "api_feedback.get_feedback": {"admin": 404, "field": 404},
    # the sample parcel is in no monitoring sample: its survey is refused, saying why
    "pdm.survey": {"admin": 409, "field": 409},
}

# Query arguments a GET needs to mean anything (filled from the samples).
QUERIES = {
    "api_distribution.find_parcel_by_query": "?code={parcel_code}",
    "api_places.list_places": "?level=province",
    "api_cards.card_sheets": "?round={round_id}",
}


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


def samples(world: ReportWorld) -> dict:
    """A real value for each URL argument: objects that exist, of the OTHER donor where a
    donor is named (the logged-in donor user is KOICA's)."""
    parcel = world.p[0]
    manifest = db.session.scalars(select(Manifest)).first()
    _link, share_token = share_links.create_share_link(
        db.session, world.dfat, label="DFAT's own", user=None
    )
    db.session.commit()
    return {
        "household": world.households[0].code,
        "other_donor": world.dfat.code,
        "kit_type": "HK-FAM",
        "warehouse": world.w.warehouse.code,
        "parcel_code": parcel.short_code,
        "token": parcel.token,
        "share_token": share_token,
        "batch_id": world.c.id,  # DFAT's lot
        "manifest_id": manifest.id,
        "round_id": world.round2.id,
        "parcel_id": world.q[0].id,
        "user_id": 999,
        "site_id": 999,
        "card": "ABC-DEF-GHJ",
        "job_id": 999,
        "printer_id": 999,
        "collector_id": 999,
        "feedback_id": 999,
        "number": "FB-2026-9999",
        "layout": "a4-3x8",
        "filename": "css/kitlog.css",
    }


def url_for_rule(rule, s: dict) -> str:
    """The rule's path with each argument filled from the samples."""
    values = {}
    for name in rule.arguments:
        if name == "code":
            path = rule.rule
            if "/households" in path:
                values[name] = s["household"]
            elif "/parcels" in path:
                values[name] = s["parcel_code"]
            elif "/kit-types" in path:
                values[name] = s["kit_type"]
            elif "/warehouses" in path:
                values[name] = s["warehouse"]
            elif "/donors" in path:  # reference donors and donor reports alike
                values[name] = s["other_donor"]
            else:
                pytest.fail(f"{rule.rule}: add a sample for its <code> to {__name__}")
        elif name == "token":
            values[name] = s["share_token"] if rule.rule.startswith("/share/") else s["token"]
        elif name in s:
            values[name] = s[name]
        else:
            pytest.fail(f"{rule.rule}: add a sample for <{name}> to {__name__}")
    path = rule.rule
    for name, value in values.items():
        path = re.sub(rf"<(?:[^:>]+:)?{name}(?:\([^)]*\))?>", str(value), path)
        path = re.sub(rf"<[^:>]+\([^)]*\):{name}>", str(value), path)
    assert "<" not in path, path
    return path
