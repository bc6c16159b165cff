"""Hostile values through every HTML form: never a 5xx, a refusal changes nothing.

Every field of every POST form gets the values of tests/hostile.py that fit its kind
(text, number, choice, date, flag), the CSRF token gets forged ones, and each form gets
bodies of invalid UTF-8. A refused submission answers 4xx with a visible error and leaves
every table as it was; an accepted one never puts raw markup on the page it leads to.
The GET filter forms get the same values in their query strings. Then the values that
are accepted are followed: stored verbatim, shown escaped, and neutralised in the CSV and
XLSX exports.
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
import zipfile
from dataclasses import dataclass, field
from itertools import count
from urllib.parse import quote

import pytest
from markupsafe import escape
from sqlalchemy import String, select, text

from kitlog.extensions import db
from kitlog.models import Donor, Household, HouseholdImport
from kitlog.services import audit, imports, manifests, share_links, stock, users
from kitlog.services import distribution as dist
from kitlog.services import feedback as feedback_service
from kitlog.services import labels as label_service
from tests.hostile import (
    ALONE,
    BAD_BYTES,
    CSRF,
    FORMULAS,
    HUGE,
    IMG,
    RAW_MARKUP,
    SCRIPT,
    SWEEP,
    ParsedPage,
    Twice,
    planted,
)
from tests.hostile import short as _short
from tests.web.conftest import field_errors
from tests.worlds import ScanWorld

# Tables a refused form may still write: a failed login is counted for the throttle.
# The official places (91,599 rows, written by no form) are compared by their count.
UNSNAPSHOTTED = {"login_throttles", "places"}
ERROR_MARKERS = ('class="field-error"', "alert-error")


def snapshot() -> dict:
    """Every row of every table (but the login throttle's), to compare before and after."""
    db.session.expire_all()
    tables = [t.name for t in db.metadata.sorted_tables if t.name not in UNSNAPSHOTTED]
    rows = {}
    for name in tables:
        query = text(f"SELECT * FROM {name}")  # noqa: S608 - the names are the metadata's
        rows[name] = sorted(map(repr, db.session.execute(query).all()))
    rows["places"] = [repr(db.session.execute(text("SELECT count(*) FROM places")).scalar())]
    return rows


def changed_tables(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after[name]]


class World:
    """Everything the forms act on: ScanWorld's East Java round (parcels allocated, two
    packed, one of them on an open manifest, another on a dispatched one), JKT-01, a draft
    round, a printer, a share link, another user and an API token of the admin."""

    def __init__(self, make, admin):
        w = ScanWorld(make, households=6)
        self.scan_world = w
        loaded, waiting, away, allocated, self.to_pack, self.to_act = w.parcels
        w.scan(loaded, "pack")
        w.scan(waiting, "pack")
        self.opened = w.manifest([loaded])
        self.away = w.on_the_road([away])
        self.away_parcel = away
        self.allocated = allocated
        self.loaded = loaded
        self.round = w.round
        self.batch = w.batch
        self.sby = w.warehouse
        self.jkt = make.warehouse("JKT-01")
        self.donor = db.session.scalars(select(Donor)).one()
        self.kit = self.batch.kit_type
        self.draft = dist.create_round(
            db.session,
            name="Draft round",
            batches=[self.batch],
            warehouse=self.sby,
            entitlement=1,
            user=None,
        )
        self.printer = label_service.create_printer(db.session, name="Zebra", layout="a4-3x7")
        self.link, _token = share_links.create_share_link(
            db.session, self.donor, label="Board", user=None
        )
        self.other = make.user("warehouse", language="en")
        self.token, _secret = users.create_token(db.session, admin)
        self.household = db.session.scalars(select(Household).order_by(Household.id)).first()
        self.feedback = feedback_service.record_feedback(
            db.session,
            {"category": "question", "channel": "phone", "text": "Kapan paket datang?"},
            user=admin,
        ).feedback
        db.session.commit()
        self.make = make


_n = count(1)


def unique(prefix: str):
    return lambda: f"{prefix}{next(_n)}"


def new_key():
    return uuid.uuid4().hex


@dataclass
class Form:
    page: str  # where the form is shown (its CSRF token comes from there)
    path: str  # where it is posted
    valid: dict  # an accepted submission; a callable value is called for each submission
    kinds: dict  # field -> kind in CORPUS
    ok: set = field(default_factory=lambda: {302})
    csrf: str = "csrf_token"
    anonymous: bool = False


def forms(x: World) -> dict[str, Form]:
    donor_id, kit_id, sby, jkt = x.donor.id, x.kit.id, x.sby.id, x.jkt.id
    text_fields = lambda *names: {n: "text" for n in names}  # noqa: E731
    household = {
        "head_name": unique("Siti Rahayu "),
        "nik": x.make.nik,
        "phone": "0812-3456-7890",
        "worker_name": "Agus Santoso",
        "worker_relation": "spouse",
        "province": "Jawa Timur",
        "regency": "Kabupaten Malang",
        "district": "Turen",
        "village": "Sedayu",
        "members": "5",
        "vulnerabilities": "elderly",
        "consent": "y",
        "consent_date": "2020-12-01",
        "confirm_duplicate": "y",
    }
    household_kinds = {
        **text_fields("head_name", "nik", "phone", "worker_name", "regency", "district"),
        "village": "text",
        "worker_relation": "choice",
        "province": "choice",
        "members": "number",
        "vulnerabilities": "choice",
        "consent": "flag",
        "consent_date": "date",
    }
    kit = {
        "name": "Family hygiene kit",
        "weight_kg": "6,5",
        "volume_m3": "0.045",
        "contents-0-item": "Soap",
        "contents-0-quantity": "4",
        "contents-0-unit": "bars",
    }
    kit_kinds = {
        "name": "text",
        "weight_kg": "number",
        "volume_m3": "number",
        "contents-0-item": "text",
        "contents-0-quantity": "number",
        "contents-0-unit": "text",
    }
    warehouse = {
        "name": "Gudang Medan",
        "province": "Sumatera Utara",
        "regency": "Medan",
        "address": "Jl. Gatot Subroto",
    }
    round_ = {
        "name": "KOICA kits, East Java",
        "batches": str(x.batch.id),
        "warehouse": str(sby),
        "entitlement": "1",
        "members_per_kit": "",
        "province": "Jawa Timur",
        "regency": "Kabupaten Malang",
        "vulnerable_first": "y",
        "start_date": "2026-12-14",
        "end_date": "2027-01-31",
    }
    round_kinds = {
        "name": "text",
        "batches": "choice",
        "warehouse": "choice",
        "entitlement": "number",
        "members_per_kit": "number",
        "province": "choice",
        "regency": "text",
        "vulnerable_first": "flag",
        "start_date": "date",
        "end_date": "date",
    }
    user_fields = {"name": "Kim Ji-woo", "role": "warehouse", "donor": "", "language": "en"}
    user_kinds = {"name": "text", "role": "choice", "donor": "choice", "language": "choice"}
    password = {"password": "a long new password", "password_confirm": "a long new password"}
    printer = {"name": unique("Laser "), "layout": "a4-3x7", "offset_x_mm": "1,5"}
    printer_kinds = {"name": "text", "layout": "choice", "offset_x_mm": "number"}
    printer_kinds["offset_y_mm"] = "number"
    parcel_page = f"/rounds/{x.round.id}/parcels/{x.allocated.id}"
    door = f"/deliver/?code={x.away_parcel.short_code}"
    return {
        "login": Form(
            "/login",
            "/login",
            {"email": x.other.email, "password": "correct horse battery"},
            {"email": "text", "password": "text"},
            anonymous=True,
        ),
        "language": Form(
            "/dashboard",
            "/language",
            {"language": "en", "next": "/stock/batches"},
            {"language": "choice", "next": "text"},
        ),
        "profile-language": Form("/profile", "/profile/language", {"language": "en"}, {}),
        "password-change": Form(
            "/profile",
            "/profile/password",
            {"current_password": "correct horse battery", **password},
            text_fields("current_password", "password", "password_confirm"),
        ),
        "token-create": Form(
            "/profile", "/profile/tokens", {"name": "Spreadsheet"}, {"name": "text"}, ok={201}
        ),
        "token-revoke": Form("/profile", f"/profile/tokens/{x.token.id}/revoke", {}, {}),
        "user-create": Form(
            "/admin/users/new",
            "/admin/users/new",
            {"email": lambda: f"u{next(_n)}@example.org", **user_fields, **password},
            {"email": "text", **user_kinds, **text_fields("password", "password_confirm")},
        ),
        "user-edit": Form(
            f"/admin/users/{x.other.id}",
            f"/admin/users/{x.other.id}",
            {**user_fields, "active": "y"},
            {**user_kinds, "active": "flag"},
        ),
        "user-password": Form(
            f"/admin/users/{x.other.id}",
            f"/admin/users/{x.other.id}/password",
            password,
            text_fields("password", "password_confirm"),
        ),
        "donor-create": Form(
            "/donors/new",
            "/donors/new",
            {"code": unique("D"), "name": "European Civil Protection", "country": "EU"},
            text_fields("code", "name", "country"),
        ),
        "donor-edit": Form(
            f"/donors/{x.donor.code}/edit",
            f"/donors/{x.donor.code}/edit",
            {"name": "KOICA", "country": "Korea"},
            text_fields("name", "country"),
        ),
        "warehouse-create": Form(
            "/warehouses/new",
            "/warehouses/new",
            {"code": unique("W"), **warehouse},
            text_fields("code", "name", "province", "regency", "address"),
        ),
        "warehouse-edit": Form(
            "/warehouses/JKT-01/edit",
            "/warehouses/JKT-01/edit",
            warehouse,
            text_fields("name", "province", "regency", "address"),
        ),
        "kit-type-create": Form(
            "/kit-types/new",
            "/kit-types/new",
            {"code": unique("K"), **kit},
            {"code": "text", **kit_kinds},
        ),
        "kit-type-edit": Form(
            f"/kit-types/{x.kit.code}/edit", f"/kit-types/{x.kit.code}/edit", kit, kit_kinds
        ),
        "household-create": Form("/households/new", "/households/new", household, household_kinds),
        "household-edit": Form(
            f"/households/{x.household.code}/edit",
            f"/households/{x.household.code}/edit",
            {**household, "nik": x.household.nik, "status": "active"},
            {**household_kinds, "status": "choice"},
        ),
        "collector-add": Form(
            f"/households/{x.household.code}",
            f"/households/{x.household.code}/collectors",
            {"collector-name": unique("Sri Wahyuni "), "collector-relation": "tetangga"},
            text_fields("collector-name", "collector-relation", "collector-nik", "collector-phone"),
        ),
        "stock-receive": Form(
            "/stock/receive",
            "/stock/receive",
            {
                "donor": str(donor_id),
                "kit_type": str(kit_id),
                "warehouse": str(jkt),
                "reference": "AGR-9",
                "lot": unique("LOT-"),
                "expiry_date": "2030-11-30",
                "quantity_pledged": "20",
                "quantity_received": "20",
                "quantity_damaged": "1",
                "received_date": "2026-12-07",
            },
            {
                **{f: "choice" for f in ("donor", "kit_type", "warehouse")},
                **text_fields("reference", "lot"),
                "expiry_date": "date",
                "received_date": "date",
                **{f"quantity_{f}": "number" for f in ("pledged", "received", "damaged")},
            },
        ),
        "stock-transfer": Form(
            "/stock/transfer",
            "/stock/transfer",
            {
                "batch": str(x.batch.id),
                "from_warehouse": str(sby),
                "to_warehouse": str(jkt),
                "quantity": "1",
                "note": "Moved",
            },
            {
                **{f: "choice" for f in ("batch", "from_warehouse", "to_warehouse")},
                "quantity": "number",
                "note": "text",
            },
        ),
        "stock-adjust": Form(
            "/stock/adjust",
            "/stock/adjust",
            {
                "batch": str(x.batch.id),
                "warehouse": str(sby),
                "kind": "loss",
                "quantity": "1",
                "reason": "Torn",
            },
            {
                **{f: "choice" for f in ("batch", "warehouse", "kind")},
                "quantity": "number",
                "reason": "text",
            },
        ),
        "round-create": Form("/rounds/new", "/rounds/new", round_, round_kinds),
        "round-edit": Form(
            f"/rounds/{x.draft.id}/edit", f"/rounds/{x.draft.id}/edit", round_, round_kinds
        ),
        "round-open": Form(f"/rounds/{x.draft.id}", f"/rounds/{x.draft.id}/open", {}, {}),
        "round-allocate": Form(f"/rounds/{x.round.id}", f"/rounds/{x.round.id}/allocate", {}, {}),
        "round-close": Form(f"/rounds/{x.round.id}", f"/rounds/{x.round.id}/close", {}, {}),
        "parcel-cancel": Form(
            parcel_page, f"{parcel_page}/cancel", {"reason": "Moved away"}, {"reason": "text"}
        ),
        "manifest-create": Form(
            "/manifests/new",
            "/manifests/new",
            {
                "warehouse": str(sby),
                "destination": "Desa Sedayu, Kec. Turen",
                "vehicle": "L 1234 AB",
                "driver_name": "Joko Susilo",
                "driver_phone": "0812 3456 7890",
                "planned_date": "2026-12-04",
                "parcels": "",
                "note": "",
            },
            {
                "warehouse": "choice",
                **text_fields("destination", "vehicle", "driver_name", "driver_phone"),
                "planned_date": "date",
                **text_fields("parcels", "note"),
            },
        ),
        "manifest-area": Form(
            f"/manifests/{x.opened.id}",
            f"/manifests/{x.opened.id}/parcels",
            {"round": str(x.round.id), "district": "Turen", "village": ""},
            {"round": "choice", "district": "text", "village": "text"},
        ),
        "manifest-dispatch": Form(
            f"/manifests/{x.opened.id}", f"/manifests/{x.opened.id}/dispatch", {}, {}
        ),
        "manifest-close": Form(
            f"/manifests/{x.away.id}/close",
            f"/manifests/{x.away.id}/close",
            {"reason": "The list stayed behind"},
            {"reason": "text"},
        ),
        "manifest-cancel": Form(
            f"/manifests/{x.opened.id}",
            f"/manifests/{x.opened.id}/cancel",
            {"reason": "Truck broke down"},
            {"reason": "text"},
        ),
        "printer-create": Form(
            "/printers/new",
            "/printers/new",
            {**printer, "offset_y_mm": "-2"},
            printer_kinds,
        ),
        "printer-edit": Form(
            f"/printers/{x.printer.id}/edit",
            f"/printers/{x.printer.id}/edit",
            {**printer, "offset_y_mm": "0"},
            printer_kinds,
        ),
        "share-link-create": Form(
            f"/reports/donors/{x.donor.code}/share",
            f"/reports/donors/{x.donor.code}/share",
            {"label": "Board meeting", "days": "5"},
            {"label": "text", "days": "number"},
            ok={201},
        ),
        "share-link-revoke": Form(
            f"/reports/donors/{x.donor.code}/share",
            f"/reports/donors/{x.donor.code}/share/{x.link.id}/revoke",
            {},
            {},
        ),
        "scan-station": Form(
            "/scan/",
            "/scan/",
            {"mode": "pack", "manifest": "", "code": x.to_pack.short_code, "key": new_key},
            {"mode": "choice", "manifest": "choice", "code": "text", "key": "text"},
            ok={200},
        ),
        "parcel-action": Form(
            f"/p/{x.to_act.token}",
            f"/p/{x.to_act.token}/scan",
            {"code": x.to_act.token, "idempotency_key": new_key, "action": "pack"},
            {"code": "text", "idempotency_key": "text", "action": "choice"},
        ),
        "door-deliver": Form(
            door,
            "/deliver/",
            {
                "action": "deliver",
                "deliver-code": x.away_parcel.token,
                "deliver-idempotency_key": new_key,
                "deliver-recipient_name": "Siti Rahayu",
                "deliver-recipient_relation": "head",
                "deliver-lat": "-8.16",
                "deliver-lon": "112.7",
            },
            {
                "action": "choice",
                **text_fields("deliver-code", "deliver-idempotency_key"),
                "deliver-recipient_name": "text",
                "deliver-recipient_relation": "choice",
                "deliver-lat": "number",
                "deliver-lon": "number",
            },
            csrf="deliver-csrf_token",
        ),
        "door-fail": Form(
            door,
            "/deliver/",
            {
                "action": "fail",
                "fail-code": x.away_parcel.token,
                "fail-idempotency_key": new_key,
                "fail-reason": "nobody_home",
                "fail-note": "Nobody home",
                "fail-lat": "",
                "fail-lon": "",
            },
            {
                "fail-reason": "choice",
                "fail-note": "text",
                "fail-lat": "number",
                "fail-lon": "number",
            },
            csrf="fail-csrf_token",
        ),
        "feedback-new": Form(
            "/feedback/new",
            "/feedback/new",
            {
                "channel": "phone",
                "category": "damaged",
                "household": x.household.code,
                "parcel": "",
                "text": "Sabun pecah",
                "sensitive": "y",
            },
            {
                "channel": "choice",
                "category": "choice",
                **text_fields("household", "parcel", "text"),
                "sensitive": "flag",
            },
        ),
        "feedback-status": Form(
            f"/feedback/{x.feedback.number}",
            f"/feedback/{x.feedback.number}/status",
            {"status": "referred", "response": "Diteruskan ke gudang"},
            {"status": "choice", "response": "text"},
        ),
    }


# Forms that share a world, in an order where none undoes what a later one needs
# (the one-shot actions, and the password change that ends the session, come last).
GROUPS = {
    "people": [
        "login",
        "language",
        "profile-language",
        "token-create",
        "token-revoke",
        "user-create",
        "user-edit",
        "user-password",
        "password-change",
    ],
    "reference": [
        "donor-create",
        "donor-edit",
        "warehouse-create",
        "warehouse-edit",
        "kit-type-create",
        "kit-type-edit",
        "printer-create",
        "printer-edit",
        "share-link-create",
        "share-link-revoke",
    ],
    "households-and-stock": [
        "household-create",
        "household-edit",
        "collector-add",
        "stock-receive",
        "stock-transfer",
        "stock-adjust",
        "manifest-dispatch",
    ],
    "rounds-and-trips": [
        "round-create",
        "round-edit",
        "round-open",
        "round-allocate",
        "parcel-cancel",
        "scan-station",
        "parcel-action",
        "door-fail",
        "door-deliver",
        "manifest-create",
        "manifest-area",
        "manifest-close",
        "manifest-cancel",
        "round-close",
    ],
    "feedback": ["feedback-new", "feedback-status"],
}


def token_of(html: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]+)"', html) or re.search(
        rf'value="([^"]+)"[^>]*name="{re.escape(name)}"', html
    )
    assert match, f"no {name} on the page"
    return match.group(1)


def _resolve(valid: dict) -> dict:
    return {k: (v() if callable(v) else v) for k, v in valid.items()}


def _with(data: dict, name: str, value) -> dict:
    data = dict(data)
    if isinstance(value, Twice):
        data[name] = [value.value, data.get(name, "")]
    else:
        data[name] = value
    return data


@pytest.fixture
def world(make, login):
    admin = login("admin")
    return World(make, admin)


class Snapshots:
    """The tables as the last answer left them: one snapshot per submission."""

    def __init__(self):
        self.last = snapshot()
        self.accepted: list[int] = []

    def changed(self) -> list[str]:
        now = snapshot()
        changed, self.last = changed_tables(self.last, now), now
        return changed


def _fault(client, form: Form, data, tables: Snapshots, *, raw: bytes | None = None):
    """What is wrong with the answer to one submission, or None when it is right."""
    if raw is not None:
        response = client.post(
            form.path, data=raw, content_type="application/x-www-form-urlencoded"
        )
    else:
        response = client.post(form.path, data=data)
    status = response.status_code
    html = response.get_data(as_text=True)
    changed = tables.changed()
    if status >= 500:
        return f"status {status}"
    if RAW_MARKUP.search(html):
        return f"raw markup in the {status} answer"
    if status >= 400:
        if changed:
            return f"refused with {status} but changed {changed}"
        if status == 422 and not any(marker in html for marker in ERROR_MARKERS):
            return "422 without a visible error"
        return None
    tables.accepted.append(status)
    if status in (301, 302, 303) and "<" in repr(data):  # markup was taken: where is it shown?
        shown = client.get(response.headers["Location"])
        tables.changed()
        if shown.status_code >= 500:
            return f"the page it leads to answers {shown.status_code}"
        if RAW_MARKUP.search(shown.get_data(as_text=True)):
            return "raw markup on the page it leads to"
    return None


def _submissions(form: Form):
    """(label, data) of each hostile submission: row r puts the r-th value of each kind
    into every field of that kind at once (so each field meets each value of its kind),
    then the sharpest values go into each field alone, the others valid, so that they
    reach the service behind the form."""
    rows = max((len(SWEEP[kind]) for kind in form.kinds.values()), default=0)
    for r in range(rows):
        data = _resolve(form.valid)
        for name, kind in form.kinds.items():
            values = SWEEP[kind]
            data = _with(data, name, values[r % len(values)])
        yield f"row {r} ({_short(SWEEP['text'][r % len(SWEEP['text'])])}...)", data
    for name, kind in form.kinds.items():
        for value in ALONE[kind]:
            yield f"{name}={_short(value)}", _with(_resolve(form.valid), name, value)


def _sweep(app, client, form: Form) -> dict:
    """The faults of one form under the whole sweep (empty when it holds)."""
    poster = app.test_client() if form.anonymous else client
    token = token_of(poster.get(form.page).get_data(as_text=True), form.csrf)
    faults, tables = {}, Snapshots()
    for label, data in _submissions(form):
        fault = _fault(poster, form, {**data, form.csrf: token}, tables)
        if fault:
            faults[label] = fault
    for value in CSRF:  # a forged token: refused, nothing done
        response = poster.post(form.path, data={**_resolve(form.valid), form.csrf: value})
        if response.status_code not in (400, 422) or tables.changed():
            faults[f"csrf={_short(value)}"] = f"status {response.status_code}"
    for bad in BAD_BYTES:
        fields = list(form.kinds) or ["x"]
        body = "&".join(
            f"{quote(k)}={quote(str(v))}"
            for k, v in {**_resolve(form.valid), form.csrf: token}.items()
            if k not in fields
        ).encode()
        raw = body + b"".join(b"&" + quote(f).encode() + b"=" + bad for f in fields)
        fault = _fault(poster, form, None, tables, raw=raw)
        if fault:
            faults[f"bytes {bad!r}"] = fault
    if faults or tables.accepted:
        return faults  # a form that took a hostile value (checked above) works, may be done
    # the control: the valid submission, with a fresh token, is accepted (the failed
    # logins above are forgotten first, or the throttle would refuse it)
    db.session.execute(text("DELETE FROM login_throttles"))
    token = token_of(poster.get(form.page).get_data(as_text=True), form.csrf)
    response = poster.post(form.path, data={**_resolve(form.valid), form.csrf: token})
    if response.status_code not in form.ok:
        return {"the valid submission": f"status {response.status_code}"}
    return {}


@pytest.mark.parametrize("group", list(GROUPS))
def test_hostile_values_in_the_forms_never_break_them_and_a_refusal_changes_nothing(
    app, client, world, group
):
    every = forms(world)
    assert sorted(every) == sorted(n for names in GROUPS.values() for n in names)
    faults = {}
    for name in GROUPS[group]:
        for label, fault in _sweep(app, client, every[name]).items():
            faults[f"{name}: {label}"] = fault
    assert faults == {}


# -- GET filter forms and lists ---------------------------------------------------------------


def _filters(x: World) -> dict[str, list[str]]:
    return {
        "/households/": ["q", "province", "page"],
        "/manifests/": ["status", "warehouse", "page"],
        "/rounds/": ["page"],
        f"/rounds/{x.round.id}": ["status", "village", "page"],
        f"/rounds/{x.round.id}/labels": ["output", "parcels", "village", "printer"],
        "/stock/batches": ["page"],
        "/stock/movements": ["batch", "warehouse", "kind", "date_from", "date_to", "page"],
        "/stock/report": ["warehouse", "date_from", "date_to"],
        "/stock/report.xlsx": ["warehouse", "date_from", "date_to"],
        "/admin/audit": ["action", "user", "page"],
        "/admin/users": ["page"],
        "/deliver/": ["code"],
        "/feedback/": ["status", "category"],
        "/donors": ["page"],
        f"/reports/donors/{x.donor.code}": ["date_from", "date_to"],
    }


GET_VALUES = ["' OR 1=1 --", SCRIPT, IMG, "١٢٣", "99999999999999999999", HUGE, "\x00"]


def test_hostile_query_strings_on_the_filter_forms_never_break_a_page(client, world):
    """Each value in every filter of a page at once, a filter sent twice, and bad bytes."""
    faults = {}
    for path, params in _filters(world).items():
        queries = ["&".join(f"{p}={quote(v)}" for p in params) for v in GET_VALUES]
        queries += [
            "&".join(f"{p}=1&{p}={quote(SCRIPT)}" for p in params),
            "&".join(f"{p}=%FF%FE%ED%A0%80" for p in params),
        ]
        for query in queries:
            response = client.get(f"{path}?{query}")
            if response.status_code >= 500:
                faults[f"{path}?{query[:40]}"] = response.status_code
            elif response.mimetype == "text/html" and RAW_MARKUP.search(
                response.get_data(as_text=True)
            ):
                faults[f"{path}?{query[:40]}"] = "raw markup"
    assert faults == {}


def test_a_search_longer_than_any_name_is_refused_on_its_field(client, login, make):
    """SQLite refused the LIKE pattern of a 100,000-character search: a 500."""
    make.household()
    login("admin")
    response = client.get("/households/?q=" + "x" * 100_000)
    assert response.status_code == 422
    assert "Field cannot be longer than 200 characters." in field_errors(response, "q")
    assert client.get("/households/?q=" + "x" * 200).status_code == 200


# -- what is accepted is stored as typed and shown escaped ---------------------------------------


STORED = [SCRIPT, IMG, "{{7*7}}", "%s%n", "'; DROP TABLE households; --", *FORMULAS[:4]]


@pytest.mark.parametrize("value", STORED, ids=_short)
def test_a_hostile_donor_name_is_stored_verbatim_and_shown_escaped(browser, login, value):
    login("admin")
    response = browser.submit("/donors/new", {"code": "ECHO", "name": value, "country": value})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    donor = db.session.scalars(select(Donor).where(Donor.code == "ECHO")).one()
    assert (donor.name, donor.country) == (value, value)
    for page in ("/donors", "/donors/ECHO/edit", "/reports/donors/ECHO"):
        html = browser.get(page).get_data(as_text=True)
        assert str(escape(value)) in html, page
        assert not RAW_MARKUP.search(html)


def _household_form(make, **values) -> dict:
    data = {
        "head_name": "Siti Rahayu",
        "nik": make.nik(),
        "phone": "0812-3456-7890",
        "worker_name": "Agus Santoso",
        "worker_relation": "spouse",
        "province": "Jawa Timur",
        "regency": "Kabupaten Malang",
        "district": "Turen",
        "village": "Sedayu",
        "members": "5",
        "consent": "y",
        "consent_date": "2020-12-01",
        "confirm_duplicate": "y",
    }
    data.update(values)
    return data


@pytest.mark.parametrize("value", [SCRIPT, IMG, "Siti {{7*7}}", "'; DROP TABLE households; --"])
def test_a_hostile_household_name_is_stored_as_typed_and_shown_escaped(browser, login, make, value):
    login("admin")
    response = browser.submit("/households/new", _household_form(make, head_name=value))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    household = db.session.scalars(select(Household)).one()
    assert household.head_name == " ".join(value.split())  # spaces folded, as documented
    for page in (response.headers["Location"], "/households/?q=" + quote(value)):
        html = browser.get(page).get_data(as_text=True)
        assert str(escape(household.head_name)) in html
        assert not RAW_MARKUP.search(html)
        if "{{7*7}}" in value:  # never run as a template
            assert "{{7*7}}" in html


# -- formula text comes out of the exports neutralised ---------------------------------------


def _xlsx_cells(data: bytes) -> tuple[list[str], bool]:
    """The shared and inline strings of a workbook, and whether any cell holds a formula."""
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        xml = "".join(
            book.read(name).decode()
            for name in book.namelist()
            if name.startswith("xl/worksheets/") or name == "xl/sharedStrings.xml"
        )
    strings = re.findall(r"<t[^>]*>([^<]*)</t>", xml)
    return strings, bool(re.search(r"<f[ >]", xml))


@pytest.mark.parametrize("formula", FORMULAS, ids=_short)
def test_formula_text_in_a_household_and_a_donor_is_neutralised_in_the_exports(
    browser, login, make, formula
):
    """A household name needs letters, so the formula leads a name; the donor's name is
    the formula alone, and a delivered parcel puts it in the report."""
    w = ScanWorld(make, households=1)
    [parcel] = w.parcels
    w.on_the_road([parcel])
    w.scan(parcel, "deliver", recipient_name="Siti Rahayu", recipient_relation="head")
    login("admin")
    name = f"{formula} Siti"
    household = browser.submit("/households/new", _household_form(make, head_name=name))
    assert household.status_code == 302, household.get_data(as_text=True)[:3000]
    donor = browser.submit("/donors/KOICA/edit", {"name": formula, "country": "Korea"})
    assert donor.status_code == 302
    stored = db.session.scalars(select(Household.head_name).order_by(Household.id.desc())).first()
    assert stored == " ".join(name.split())

    export = browser.get("/households/export.csv").get_data(as_text=True)
    cells = [cell for row in csv.reader(io.StringIO(export)) for cell in row]
    assert "'" + stored in cells and stored not in cells

    report = browser.get("/reports/donors/KOICA.csv")
    assert report.status_code == 200
    cells = [c for row in csv.reader(io.StringIO(report.get_data(as_text=True))) for c in row]
    formula = db.session.scalars(select(Donor.name).where(Donor.code == "KOICA")).one()  # trimmed
    assert "'" + formula in cells and formula not in cells

    book = browser.get("/reports/donors/KOICA.xlsx")
    assert book.status_code == 200
    strings, has_formula = _xlsx_cells(book.get_data())
    assert not has_formula
    assert formula in strings or "'" + formula in strings


@pytest.mark.parametrize("value", ["\x00", "a\x00b"])
def test_nul_in_a_text_field_is_refused_or_dropped_never_stored(browser, login, value):
    """PostgreSQL cannot store NUL in text: the form must not try."""
    login("admin")
    response = browser.submit("/donors/new", {"code": "ECHO", "name": value, "country": "EU"})
    assert response.status_code == 422
    assert "Contains characters that are not allowed." in field_errors(response, "name")
    assert db.session.scalars(select(Donor)).all() == []


# -- markup stored in the database comes back as text on every page ----------------------------

# Every text column of the schema is either planted with markup below (free text some page
# shows) or listed here with why it cannot carry markup: a new column must be classified.
NOT_FREE_TEXT = {
    "counters.name": "an internal sequence name",
    "places.code": "the official list kitlog ships, never typed",
    "places.level": "the official list kitlog ships, never typed",
    "places.parent_code": "the official list kitlog ships, never typed",
    "places.name": "the official list kitlog ships, never typed",
    "households.province_code": "an official place's code (a foreign key into places)",
    "households.regency_code": "an official place's code (a foreign key into places)",
    "households.district_code": "an official place's code (a foreign key into places)",
    "households.village_code": "an official place's code (a foreign key into places)",
    "warehouses.province_code": "an official place's code (a foreign key into places)",
    "warehouses.regency_code": "an official place's code (a foreign key into places)",
    "warehouses.district_code": "an official place's code (a foreign key into places)",
    "warehouses.village_code": "an official place's code (a foreign key into places)",
    "rounds.province_code": "an official place's code (a foreign key into places)",
    "rounds.regency_code": "an official place's code (a foreign key into places)",
    "donors.code": "codes are letters, digits, - and _",
    "kit_types.code": "codes are letters, digits, - and _",
    "warehouses.code": "codes are letters, digits, - and _",
    "households.code": "generated",
    "manifests.number": "generated",
    "parcels.token": "generated",
    "parcels.short_code": "generated",
    "label_printers.layout": "one of the layouts",
    "login_throttles.scope": "one of the scopes",
    "login_throttles.key": "never shown",
    "user_sessions.key_hash": "never shown",
    "users.role": "one of the roles",
    "rounds.proof": "one of the proofs a round asks for",
    "users.language": "id or en",
    "users.password_hash": "never shown",
    "api_tokens.token_hash": "never shown",
    "api_tokens.prefix": "generated",
    "share_links.token_hash": "never shown",
    "share_links.language": "id or en",
    "audit_events.action": "the audit log is append-only: planted through audit.record",
    "audit_events.object_type": "planted through audit.record",
    "audit_events.object_ref": "planted through audit.record",
    "audit_events.detail": "planted through audit.record",
    "audit_events.role": "planted through audit.record",
    "audit_events.address": "planted through audit.record",
    "household_imports.status": "one of the statuses",
    "household_imports.language": "id or en",
    "household_imports.errors": "JSON: planted as JSON below",
    "households.name_key": "never shown (the duplicate check's key)",
    "households.nik": "16 digits",
    "households.worker_relation": "one of the relations",
    "households.status": "one of the statuses",
    "manifests.status": "one of the statuses",
    "rounds.status": "one of the statuses",
    "parcels.status": "one of the statuses",
    "stock_movements.kind": "one of the kinds",
    "ledger_totals.kind": "one of the kinds",
    "ledger_totals.reason": "kept by a trigger from stock_movements.reason, planted there",
    "parcel_kit_totals.status": "one of the statuses",
    "manifest_parcels.outcome": "one of the outcomes",
    "scans.idempotency_key": "never shown",
    "scans.detail": "written by kitlog (it may quote the code, planted)",
    "scans.action": "one of the actions",
    "scans.outcome": "one of the outcomes",
    "scans.from_status": "one of the statuses",
    "scans.to_status": "one of the statuses",
    "scans.reason": "one of the reasons",
    "parcel_events.from_status": "one of the statuses",
    "parcel_events.status": "one of the statuses",
    "rounds.verification": "none or card",
    "rounds.mode": "door or site",
    "parcels.flag": "one of the flags",
    "parcels.recipient_kind": "head, collector or other",
    "scans.recipient_kind": "head, collector or other",
    "household_cards.token": "generated",
    "household_cards.short_code": "generated",
    "collectors.nik": "16 digits",
    "distribution_sites.place_code": "an official place's code (a foreign key into places)",
    "feedback.number": "generated",
    "feedback.idempotency_key": "never shown",
    "feedback.category": "one of the categories",
    "feedback.channel": "one of the channels",
    "feedback.status": "one of the statuses",
    "feedback.source_key": "never shown (a keyed hash of an address)",
    "feedback_events.from_status": "one of the statuses",
    "feedback_events.status": "one of the statuses",
    "pdm_responses.idempotency_key": "never shown",
    "pdm_responses.items_missing": "JSON: a list of item positions",
}
APPEND_ONLY = {"stock_movements", "scans"}
# Unique columns get their markup on one row only.
ONE_ROW = {"users.email": "budi", "label_printers.name": None}


def _text_columns() -> list:
    return [
        column
        for table in db.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, String)
    ]


def test_every_text_column_is_planted_with_markup_or_says_why_not():
    """A new text column is planted by the page walk below, or explained here."""
    assert {f"{c.table.name}.{c.name}" for c in _text_columns()} >= set(NOT_FREE_TEXT)


def _planted_values() -> dict[str, str]:
    """The markup each free-text column gets, named by its column."""
    columns = [c for c in _text_columns() if f"{c.table.name}.{c.name}" not in NOT_FREE_TEXT]
    return {
        f"{c.table.name}.{c.name}": planted(f"[{n}]", c.type.length) for n, c in enumerate(columns)
    }


class MarkedWorld(World):
    """The forms' world with a delivery, a failed one, a closed and a cancelled manifest,
    an import, a transfer and an adjustment, then markup in every free-text column (the
    ledger and the scans are append-only: they are written with the markup)."""

    def __init__(self, make, admin):
        super().__init__(make, admin)
        self.values = values = _planted_values()
        w = self.scan_world
        w.scan(
            self.away_parcel,
            "deliver",
            recipient_name=values["scans.recipient_name"],
            recipient_relation=values["scans.recipient_relation"],
        )
        self.closed = failed_trip = w.on_the_road([self.to_act])
        w.scan(self.to_act, "fail", reason="other", note=values["scans.note"])
        w.scan(None, "pack", code=values["scans.code"])
        manifests.close_manifest(db.session, failed_trip, reason="Back", user=w.budi)
        self.cancelled = w.manifest([])
        manifests.cancel_manifest(db.session, self.cancelled, reason="No truck", user=w.budi)
        stock.transfer_stock(
            db.session,
            batch=self.batch,
            from_warehouse=self.sby,
            to_warehouse=self.jkt,
            quantity=1,
            note="Moved",
            user=admin,
        )
        stock.adjust_stock(
            db.session,
            batch=self.batch,
            warehouse=self.sby,
            quantity=-1,
            kind="loss",
            reason=values["stock_movements.reason"],
            user=admin,
        )
        self.job = imports.create_import(
            db.session,
            filename="households.csv",
            content=imports.template_csv(),
            user=admin,
            language="en",
        )
        self.link, self.share_token = share_links.create_share_link(
            db.session, self.donor, label="Board", user=None
        )
        db.session.commit()
        self._plant(admin)

    def _plant(self, admin) -> None:
        """Markup into every free-text column of every row."""
        for column in _text_columns():
            name = f"{column.table.name}.{column.name}"
            if name in NOT_FREE_TEXT or column.table.name in APPEND_ONLY:
                continue
            update = column.table.update().values({column.name: self.values[name]})
            if name == "users.email":
                update = update.where(column.table.c.id == self.scan_world.budi.id)
            db.session.execute(update)
        errors = [{"row": 2, "field": "head_name", "message": self.values["households.head_name"]}]
        db.session.execute(HouseholdImport.__table__.update().values(errors=json.dumps(errors)))
        event = planted("[audit]", 64)
        audit.record(
            db.session,
            "household.view",
            user=admin,
            object_type="household",
            object_ref=event,
            detail={"reason": event},
        )
        self.values["audit_events.object_ref"] = event
        db.session.commit()


def _marked_pages(x: MarkedWorld) -> dict[str, set[str]]:
    """Every page that shows stored text, for an administrator: the columns it shows
    (every page but the shared report also shows the user's name in its menu)."""
    r, m, hh, donor = x.round.id, x.opened.id, x.household.code, x.donor.code
    household = {"households.head_name", "households.district", "households.village"}
    place = {"households.province", "households.regency"}
    trip = {"manifests.destination", "manifests.vehicle", "manifests.driver_name"}
    trip |= {"manifests.driver_phone", "manifests.note", "warehouses.name"}
    parcel = household | {"donor_batches.lot", "households.regency", "parcel_events.note"}
    parcel |= {"rounds.name"}
    stock = {"donor_batches.lot", "warehouses.name"}
    warehouse = {"warehouses.name", "warehouses.province", "warehouses.regency"}
    kit = {"kit_items.item", "kit_items.unit", "kit_types.name"}
    report = {"donor_batches.lot", "donor_batches.reference", "donors.name"}
    # the report names a region by its code's official name (the places table, never
    # typed), not by what a household's row says
    report |= {"stock_movements.reason"}
    pages = {
        "/dashboard": stock | warehouse,
        "/profile": {"api_tokens.name"},
        "/donors": {"donors.name", "donors.country"},
        f"/donors/{donor}/edit": {"donors.name", "donors.country"},
        "/kit-types": kit,
        f"/kit-types/{x.kit.code}/edit": kit,
        "/warehouses": warehouse | {"warehouses.address"},
        "/warehouses/JKT-01/edit": warehouse | {"warehouses.address"},
        "/printers/": {"label_printers.name"},
        f"/printers/{x.printer.id}/edit": {"label_printers.name"},
        "/stock/batches": {"donor_batches.lot"},
        f"/stock/batches/{x.batch.id}": report - place | {"kit_types.name", "warehouses.name"},
        "/stock/receive": {"donors.name", "kit_types.name", "warehouses.name"},
        "/stock/transfer": stock,
        "/stock/adjust": stock,
        "/stock/movements": stock | {"stock_movements.reason"},
        "/stock/report": stock | {"donors.name"},
        "/households/": household | place | {"households.worker_name"},
        f"/households/{hh}": household
        | place
        | {"households.worker_name", "households.phone"}
        | {"rounds.name"},
        f"/households/{hh}/edit": household
        | {"households.regency", "households.worker_name", "households.phone"},
        "/households/imports/new": {"household_imports.filename"},
        f"/households/imports/{x.job.id}": {"household_imports.filename", "households.head_name"},
        "/rounds/": {"rounds.name", "rounds.province", "rounds.regency"},
        "/rounds/new": stock,
        f"/rounds/{r}": stock
        | {"households.village", "rounds.name"}
        | {"rounds.province", "rounds.regency"},
        f"/rounds/{r}/edit": stock | {"rounds.name", "rounds.regency"},
        f"/rounds/{r}/labels": {"households.village", "label_printers.name", "rounds.name"},
        f"/rounds/{r}/parcels/{x.away_parcel.id}": parcel,
        f"/rounds/{r}/parcels/{x.to_act.id}": parcel,
        "/manifests/": {"manifests.destination", "manifests.vehicle"},
        "/manifests/new": {"warehouses.name"},
        f"/manifests/{m}": trip | household | {"rounds.name"},
        f"/manifests/{x.away.id}": trip | household,
        f"/manifests/{x.cancelled.id}": trip | {"manifests.cancel_reason"},
        f"/manifests/{x.closed.id}": trip | household | {"manifests.close_reason"},
        "/scan/": {"manifests.destination", "manifests.vehicle"},
        f"/deliver/?code={x.away_parcel.short_code}": household | {"rounds.name"},
        f"/p/{x.to_act.token}": household | {"rounds.name", "scans.note", "parcel_events.note"},
        "/reports/": {"donors.name"},
        f"/reports/donors/{donor}": report,
        f"/reports/donors/{donor}/share": {"donors.name", "share_links.label"},
        "/admin/users": {"users.email"},
        "/admin/users/new": {"donors.name"},
        f"/admin/users/{x.scan_world.budi.id}": {"donors.name", "users.email"},
        "/admin/audit": {"audit_events.object_ref"},
    }
    pages = {path: shown | {"users.name"} for path, shown in pages.items()}
    pages[f"/share/{x.share_token}"] = report
    return pages


def test_markup_stored_in_any_text_column_comes_back_as_text_on_every_page(
    app, client, make, login
):
    """A warehouse user's printer called <meta http-equiv=refresh ...> redirected the
    administrator's browser from the labels page: a lazy string was taken as markup.
    Every page parses with no planted element, and shows each planted value as text."""
    admin = login("admin")
    x = MarkedWorld(make, admin)
    faults = {}
    for path, shown in _marked_pages(x).items():
        response = client.get(path)
        if response.status_code != 200:
            faults[path] = f"status {response.status_code}"
            continue
        page = ParsedPage(response.get_data(as_text=True))
        missing = sorted(name for name in shown if not page.shows(x.values[name]))
        if page.planted_elements or missing:
            faults[path] = {"parsed as markup": page.planted_elements, "not shown": missing}
    assert faults == {}
