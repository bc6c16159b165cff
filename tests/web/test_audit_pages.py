"""The audit log page (admins only, read-only), the one bulk
export of personal data (admins only, logged), and the acts that leave an event."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import AuditEvent, Parcel
from tests.web.conftest import text_of


def _events(action: str | None = None) -> list[AuditEvent]:
    db.session.expire_all()
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


# -- the log page --------------------------------------------------------------------------


def test_reading_a_household_is_logged_and_the_admin_reads_it_in_the_log(browser, login, make):
    household = make.household()
    officer = login("field")
    assert browser.get(f"/households/{household.code}").status_code == 200
    [event] = _events("household.view")
    assert (event.user_id, event.role, event.object_ref) == (officer.id, "field", household.code)
    assert event.address == "127.0.0.1"

    browser.client.post("/logout", data={"csrf_token": _token(browser)})
    admin = login("admin")
    browser.get(f"/households/{household.code}")
    page = text_of(browser.get("/admin/audit"))
    assert "Audit log" in page and "2 events" in page
    assert page.count("Household record read") >= 2
    assert f"household {household.code}" in page
    assert officer.email in page and admin.email in page
    assert page.index(admin.email) < page.index(officer.email)  # newest first

    mine = text_of(browser.get(f"/admin/audit?user={officer.id}"))
    assert "1 event" in mine and officer.email in mine
    assert admin.email not in mine.split("1 event", 1)[1]
    nothing = text_of(browser.get("/admin/audit?action=parcel.cancel"))
    assert "No event matches these filters." in nothing


def _token(browser) -> str:
    from tests.web.conftest import csrf_token

    return csrf_token(browser.get("/dashboard").get_data(as_text=True))


@pytest.mark.parametrize("role", ["field", "warehouse", "donor"])
def test_only_admins_read_the_log_or_export_personal_data(browser, login, make, role):
    make.household()
    login(role)
    assert browser.get("/admin/audit").status_code == 403
    assert browser.get("/households/export.csv").status_code == 403
    if role == "field":
        assert "Export personal data" not in text_of(browser.get("/households/"))
    assert _events("export.personal_data") == []


def test_a_bad_filter_is_refused_and_shows_no_events(browser, login):
    login("admin")
    assert browser.get("/admin/audit?user=banana").status_code == 422


# -- the export ----------------------------------------------------------------------------


def test_the_admin_exports_every_household_neutralised_and_the_export_is_logged(
    browser, login, make
):
    make.household(head_name="=1+Siti Rahayu", nik="3507124506850001", phone="0812 3456 7890")
    make.household()
    admin = login("admin")
    assert "Export personal data (CSV, logged)" in text_of(browser.get("/households/"))
    response = browser.get("/households/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    header, hashtags, data = rows[0], rows[1], rows[2:]
    assert "NIK" in header and "Phone" in header and "Head of household" in header
    assert hashtags[0].startswith("#")
    assert len(data) == 2
    first = dict(zip(header, data[0], strict=True))
    assert first["NIK"] == "3507124506850001"
    assert first["Head of household"] == "'=1+Siti Rahayu"  # never a formula
    assert first["Phone"] == "'+6281234567890"
    [event] = _events("export.personal_data")
    assert event.user_id == admin.id and event.role == "admin"
    assert json.loads(event.detail)["rows"] == 2


# -- the acts that leave an event ------------------------------------------------------------


def test_correcting_a_household_by_page_and_by_api_is_logged(browser, login, make, api):
    household = make.household()
    client = api("admin")
    assert client.get(f"/api/v1/households/{household.code}").status_code == 200
    put = client.client.put(
        f"/api/v1/households/{household.code}", json={"members": 7}, headers=client.headers
    )
    assert put.status_code == 200
    assert [e.action for e in _events()] == ["household.view", "household.edit"]

    login("field")
    edit = f"/households/{household.code}/edit"
    values = {
        "head_name": household.head_name,
        "worker_name": household.worker_name,
        "worker_relation": "spouse",
        "nik": household.nik,
        "phone": household.phone,
        "province": household.province,
        "regency": household.regency,
        "district": household.district,
        "village": household.village,
        "consent": "y",
        "consent_date": "2020-12-01",
        "status": "active",
    }
    assert browser.submit(edit, {**values, "members": "0"}).status_code == 422
    assert len(_events()) == 2  # a refused correction leaves no event
    assert browser.submit(edit, {**values, "members": "5"}).status_code == 302
    assert [e.action for e in _events()][2:] == ["household.edit"]


def test_a_role_change_and_a_deactivation_are_logged(browser, login, make):
    user = make.user("field")
    admin = login("admin")
    browser.submit(
        f"/admin/users/{user.id}",
        {"name": "Siti R.", "role": "warehouse", "donor": "", "language": "en", "active": "y"},
    )
    browser.submit(
        f"/admin/users/{user.id}",
        {"name": "Siti R.", "role": "warehouse", "donor": "", "language": "en"},
    )
    browser.submit(  # a name alone is no audited change
        f"/admin/users/{user.id}",
        {"name": "Siti", "role": "warehouse", "donor": "", "language": "en"},
    )
    events = _events()
    assert [(e.action, json.loads(e.detail)) for e in events] == [
        ("user.role_change", {"role": ["field", "warehouse"]}),
        ("user.deactivate", {"active": [True, False]}),
    ]
    assert {(e.user_id, e.object_ref) for e in events} == {(admin.id, str(user.id))}


def test_stock_corrections_by_page_and_by_api_are_logged(browser, login, make, api):
    jakarta = make.warehouse("JKT-01")
    batch = make.batch(received=50, warehouse=jakarta)
    login("warehouse")
    response = browser.submit(
        "/stock/adjust",
        {
            "batch": batch.id,
            "warehouse": jakarta.id,
            "kind": "loss",
            "quantity": "2",
            "reason": "Flooded",
        },
    )
    assert response.status_code == 302
    body = {"batch": batch.id, "warehouse": "JKT-01", "quantity": 3}
    body |= {"kind": "adjustment", "reason": "Recount"}
    assert api("admin").post("/api/v1/adjustments", json=body).status_code == 201
    events = _events()
    assert [(e.action, e.role, e.object_ref) for e in events] == [
        ("stock.loss", "warehouse", str(batch.id)),
        ("stock.adjustment", "admin", str(batch.id)),
    ]
    assert json.loads(events[0].detail)["quantity"] == -2
    assert json.loads(events[1].detail)["quantity"] == 3


def test_cancelling_a_parcel_by_page_and_by_api_is_logged(browser, login, make, api):
    first, second = make.allocated_parcels(2)
    path = f"/rounds/{first.round_id}/parcels/{first.id}"
    login("admin")
    assert browser.submit(f"{path}/cancel", {"reason": "Moved"}, page=path).status_code == 302
    cancel = api("admin").post(
        f"/api/v1/parcels/{second.short_code}/cancel", json={"reason": "Moved"}
    )
    assert cancel.status_code == 200
    assert [(e.action, e.object_ref) for e in _events()] == [
        ("parcel.cancel", first.short_code),
        ("parcel.cancel", second.short_code),
    ]
    page = text_of(browser.get("/admin/audit?action=parcel.cancel"))
    assert "Parcel cancelled" in page and "2 events" in page
    assert f"parcel {first.short_code}" in page
    assert db.session.scalars(select(Parcel.status)).all() == ["cancelled", "cancelled"]


# -- printed documents that name heads of households ---------------------------------------


def _trip(make):
    from tests.worlds import ScanWorld

    world = ScanWorld(make, households=3)
    return world, world.on_the_road(world.parcels)


def test_a_waybill_naming_households_is_logged_and_one_without_names_is_not(browser, login, make):
    world, manifest = _trip(make)
    login("warehouse")  # warehouse staff get the waybill without names
    assert browser.get(f"/manifests/{manifest.id}.pdf").status_code == 200
    assert _events("print.names") == []

    browser.client.post("/logout", data={"csrf_token": _token(browser)})
    officer = login("field")
    answer = browser.get(f"/manifests/{manifest.id}.pdf")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    [event] = _events("print.names")
    assert (event.user_id, event.object_type, event.object_ref) == (
        officer.id,
        "manifest",
        manifest.number,
    )
    assert json.loads(event.detail) == {"document": "waybill", "names": 3}

    browser.client.post("/logout", data={"csrf_token": _token(browser)})
    login("admin")
    page = text_of(browser.get("/admin/audit?action=print.names"))
    assert "Document printed with names" in page and officer.email in page


def test_labels_are_logged_only_when_the_round_prints_names(browser, login, make, api):
    world, _manifest = _trip(make)
    admin = login("admin")
    assert browser.get(f"/rounds/{world.round.id}/labels.pdf").status_code == 200
    assert _events("print.names") == []

    world.round.show_head_name = True
    db.session.commit()
    assert browser.get(f"/rounds/{world.round.id}/labels.pdf").status_code == 200
    [event] = _events("print.names")
    assert (event.user_id, event.object_type, event.object_ref) == (
        admin.id,
        "round",
        str(world.round.id),
    )
    assert json.loads(event.detail) == {"document": "labels", "names": 3}

    storekeeper = api("warehouse")
    answer = storekeeper.get(f"/api/v1/rounds/{world.round.id}/labels.pdf")
    assert answer.status_code == 200
    assert [e.role for e in _events("print.names")] == ["admin", "warehouse"]


def test_a_phone_saving_a_trip_with_names_is_logged(client, make):
    from tests.conftest import ApiClient

    world, manifest = _trip(make)
    budi = ApiClient(client, make.token(world.budi), "en")
    assert budi.get(f"/api/v1/manifests/{manifest.id}").status_code == 200
    assert _events("manifest.households") == []  # no names for warehouse staff

    siti = ApiClient(client, make.token(world.siti), "en")
    answer = siti.get(f"/api/v1/manifests/{manifest.id}")
    assert answer.status_code == 200
    assert all("head_name" in p["household"] for p in answer.get_json()["parcels"])
    [event] = _events("manifest.households")
    assert (event.user_id, event.object_ref) == (world.siti.id, manifest.number)
    assert json.loads(event.detail) == {"households": 3}
