"""A scan's answer is built before its commit, from the parcel read under its lock: it must
show the parcel exactly as it is stored afterwards (fewer queries per scan)."""

from __future__ import annotations

from sqlalchemy import func, select

from kitlog.extensions import db
from kitlog.models import ApiToken, Scan
from kitlog.services import users
from tests.conftest import ApiClient
from tests.worlds import ScanWorld


def _stored(api: ApiClient, code: str) -> dict:
    response = api.get(f"/api/v1/parcels/{code}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_each_answer_shows_the_parcel_as_it_is_stored_afterwards(client, make):
    w = ScanWorld(make)
    parcel = w.parcels[0]
    store = ApiClient(client, make.token(w.budi))
    field = ApiClient(client, make.token(w.siti))
    admin = ApiClient(client, make.token(w.admin))

    packed = store.post(
        "/api/v1/scans",
        json={"code": parcel.short_code, "action": "pack", "idempotency_key": "answer-pack-1"},
    )
    assert packed.status_code == 200, packed.get_json()
    answer = packed.get_json()["parcel"]
    assert answer.pop("actions") == ["load"]
    assert answer == _stored(store, parcel.short_code)
    assert [(e["status"], e["by"]) for e in answer["history"]] == [
        ("allocated", w.admin.name),
        ("packed", "Budi"),
    ]
    assert answer["lines"] == [{"batch": w.batch.id, "lot": "LOT-S", "kits": 1}]

    manifest = w.manifest([parcel])
    w.dispatch(manifest)
    failed = field.post(
        "/api/v1/scans",
        json={
            "code": parcel.token,
            "action": "fail",
            "reason": "nobody_home",
            "idempotency_key": "answer-fail-1",
        },
    )
    assert failed.status_code == 200, failed.get_json()
    answer = failed.get_json()["parcel"]
    assert answer.pop("actions") == ["deliver", "return"]  # its manifest is on the road
    assert answer == _stored(field, parcel.short_code)
    assert "head_name" in answer["household"]  # a field officer sees the name

    delivered = field.post(
        "/api/v1/scans",
        json={"code": parcel.short_code, "action": "deliver", "idempotency_key": "answer-dlv-1"},
    )
    assert delivered.status_code == 200, delivered.get_json()
    answer = delivered.get_json()["parcel"]
    assert answer.pop("actions") == []
    assert answer == _stored(admin, parcel.short_code)
    assert answer["history"][-1]["status"] == "delivered"
    assert answer["history"][-1]["by"] == "Siti Rahayu"


def test_a_revoked_token_scans_nothing(client, make):
    w = ScanWorld(make, households=1)
    token = make.token(w.budi)
    users.revoke_token(db.session, db.session.scalars(select(ApiToken)).one())
    db.session.commit()
    response = ApiClient(client, token).post(
        "/api/v1/scans",
        json={"code": w.parcels[0].short_code, "action": "pack", "idempotency_key": "revoked-1"},
    )
    assert response.status_code == 401
    assert db.session.scalar(select(func.count()).select_from(Scan)) == 0


def test_a_deactivated_users_token_scans_nothing(client, make):
    w = ScanWorld(make, households=1)
    token = make.token(w.budi)
    w.budi.active = False
    db.session.commit()
    response = ApiClient(client, token).post(
        "/api/v1/scans",
        json={"code": w.parcels[0].short_code, "action": "pack", "idempotency_key": "inactive-1"},
    )
    assert response.status_code == 401
    assert db.session.scalar(select(func.count()).select_from(Scan)) == 0
