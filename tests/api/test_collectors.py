"""The collectors API (docs/api.md, Households): a household's collectors are listed,
named and removed by field officers and admin; a fourth is refused with 409, another
household's collector is 404, and the warehouse and donors are refused."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kitlog.extensions import db
from kitlog.models import AuditEvent, Collector
from tests.api.helpers import assert_problem


def _path(household, suffix: str = "") -> str:
    return f"/api/v1/households/{household.code}/collectors{suffix}"


def _delete(client, path):
    return client.client.delete(path, headers=client.headers)


def _fields(body) -> dict[str, str]:
    return {e["field"]: e["message"] for e in body.get("errors", [])}


def _active() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Collector).where(Collector.active))


def test_a_field_officer_names_a_collector_and_reads_it_back(api, make):
    household = make.household()
    officer = api("field")
    nik = make.nik()
    response = officer.post(
        _path(household),
        json={
            "name": " Sri  Wahyuni ",
            "relation": "tetangga",
            "nik": nik,
            "phone": "0812 1111 2222",
        },
    )
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["name"] == "Sri Wahyuni" and created["relation"] == "tetangga"
    assert created["nik"] == nik and created["phone"] == "+6281211112222"
    response = officer.get(_path(household))
    assert response.status_code == 200
    assert response.get_json() == [created]
    # a collector with only a name and a relation
    response = officer.post(_path(household), json={"name": "Budi", "relation": "anak"})
    assert response.status_code == 201
    body = response.get_json()
    assert body["nik"] is None and body["phone"] == ""
    names = [c["name"] for c in officer.get(_path(household)).get_json()]
    assert names == ["Sri Wahyuni", "Budi"]


def test_a_fourth_collector_is_refused_with_409_naming_the_limit(api, make):
    household = make.household()
    officer = api("field")
    for n in range(3):
        response = officer.post(_path(household), json={"name": f"Wakil {n}", "relation": "anak"})
        assert response.status_code == 201
    response = officer.post(_path(household), json={"name": "Wakil 4", "relation": "anak"})
    body = assert_problem(response, 409)
    assert body["detail"] == (
        "A household names at most 3 collectors. Remove one before adding another."
    )
    assert _active() == 3
    # in Indonesian too
    response = api("field", language="id").post(
        _path(household), json={"name": "Wakil 5", "relation": "anak"}
    )
    body = assert_problem(response, 409)
    assert "paling banyak 3 wakil penerima" in body["detail"]


def test_bad_values_are_listed_on_their_fields_and_nothing_is_saved(api, make):
    household = make.household()
    officer = api("field")
    response = officer.post(_path(household), json={"name": "", "nik": "123", "phone": "12"})
    body = assert_problem(response, 422)
    assert set(_fields(body)) == {"name", "relation", "nik", "phone"}
    response = officer.post(
        _path(household), json={"name": "Siti", "relation": "ibu", "nik": household.nik}
    )
    body = assert_problem(response, 422, field="nik")
    assert "head of household's own NIK" in _fields(body)["nik"]
    response = officer.post(_path(household), json={"name": 5, "relation": "anak"})
    assert_problem(response, 422, field="name")
    assert _active() == 0


def test_removing_a_collector_answers_204_and_keeps_its_row(api, make):
    household = make.household()
    officer = api("field")
    created = officer.post(_path(household), json={"name": "Budi", "relation": "anak"}).get_json()
    response = _delete(officer, _path(household, f"/{created['id']}"))
    assert response.status_code == 204 and response.data == b""
    assert officer.get(_path(household)).get_json() == []
    assert db.session.scalar(select(func.count()).select_from(Collector)) == 1
    assert _active() == 0


def test_another_households_collector_is_404(api, make):
    ours, theirs = make.household(), make.household()
    officer = api("admin")
    created = officer.post(_path(theirs), json={"name": "Budi", "relation": "anak"}).get_json()
    body = assert_problem(_delete(officer, _path(ours, f"/{created['id']}")), 404)
    assert ours.code in body["detail"]
    assert_problem(_delete(officer, _path(ours, "/999999")), 404)
    assert _delete(officer, _path(ours, "/0")).status_code == 404
    assert_problem(officer.get("/api/v1/households/HH-999999/collectors"), 404)
    assert _active() == 1


@pytest.mark.parametrize("role", ["warehouse", "donor"])
def test_the_warehouse_and_donors_are_refused(api, make, role):
    household = make.household()
    created = api("field").post(_path(household), json={"name": "Budi", "relation": "anak"})
    collector_id = created.get_json()["id"]
    other = api(role)
    assert_problem(other.get(_path(household)), 403)
    assert_problem(other.post(_path(household), json={"name": "Ani", "relation": "anak"}), 403)
    assert_problem(_delete(other, _path(household, f"/{collector_id}")), 403)
    assert_problem(api(None).get(_path(household)), 401)
    assert _active() == 1


def test_naming_removing_and_reading_are_in_the_audit_log(api, make):
    household = make.household()
    officer = api("field")
    created = officer.post(
        _path(household),
        json={"name": "Sri Wahyuni", "relation": "tetangga", "phone": "081211112222"},
    ).get_json()
    officer.get(_path(household))
    _delete(officer, _path(household, f"/{created['id']}"))
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_ref == household.code).order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in events] == ["collector.add", "household.view", "collector.deactivate"]
    for event in events:
        assert "Sri Wahyuni" not in event.detail and "11112222" not in event.detail
    assert events[0].address and events[0].role == "field"
