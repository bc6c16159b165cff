"""docs/api.md, The day in the field: a deliver scan's proof, GET /api/v1/parcels/{code}/proof,
and a round's `proof` requirement."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kitlog.extensions import db
from kitlog.models import DeliveryProof
from kitlog.services import distribution as dist
from tests import images
from tests.api.helpers import assert_problem
from tests.conftest import ApiClient
from tests.worlds import ScanWorld, key


@pytest.fixture
def w(make) -> ScanWorld:
    return ScanWorld(make)


@pytest.fixture
def as_user(client, make):
    def build(user, language="en") -> ApiClient:
        return ApiClient(client, make.token(user), language)

    return build


def deliver(parcel, idem=None, **values) -> dict:
    return {
        "code": parcel.short_code,
        "action": "deliver",
        "idempotency_key": idem or key(),
        "recipient_name": "Ibu Sari",
        **values,
    }


def proofs_kept() -> int:
    return db.session.scalar(select(func.count()).select_from(DeliveryProof))


def test_a_delivery_with_a_signature_is_kept_once_and_served_to_the_field_and_admin(
    w, as_user, make
):
    parcel = w.parcels[0]
    w.on_the_road([parcel])
    idem = key()
    siti = as_user(w.siti)
    first = siti.post("/api/v1/scans", json=deliver(parcel, idem, proof=images.signature()))
    again = siti.post("/api/v1/scans", json=deliver(parcel, idem, proof=images.signature()))
    assert first.status_code == 200, first.get_json()
    assert (first.get_json()["outcome"], again.get_json()["outcome"]) == ("ok", "duplicate")
    assert proofs_kept() == 1
    for user in (w.siti, w.admin):
        served = as_user(user).get(f"/api/v1/parcels/{parcel.short_code}/proof")
        assert served.status_code == 200
        assert served.mimetype == "image/png"
        assert served.headers["X-Proof-Kind"] == "signature"
        assert served.data == images.png()


@pytest.mark.parametrize("role", ["warehouse", "donor"])
def test_warehouse_staff_and_donors_never_get_the_proof(w, as_user, make, role):
    parcel = w.parcels[0]
    w.on_the_road([parcel])
    as_user(w.siti).post("/api/v1/scans", json=deliver(parcel, proof=images.photo()))
    user = w.budi if role == "warehouse" else make.user("donor")
    assert_problem(as_user(user).get(f"/api/v1/parcels/{parcel.short_code}/proof"), 403)


def test_a_parcel_without_a_proof_is_404(w, as_user):
    parcel = w.parcels[0]
    body = assert_problem(as_user(w.admin).get(f"/api/v1/parcels/{parcel.short_code}/proof"), 404)
    assert body["detail"] == "No proof of delivery was kept for this parcel."


@pytest.mark.parametrize(
    ("proof", "says"),
    [
        ({"kind": "signature", "image": images.b64(b"GIF89a" + b"\0" * 100)}, "not a PNG or JPEG"),
        ({"kind": "photo", "image": images.b64(images.jpeg()[:-2])}, "not a PNG or JPEG"),
        ({"kind": "signature", "image": images.b64(images.noisy_png(310 * 1024))}, "300 KB"),
        ({"kind": "selfie", "image": images.b64(images.png())}, "signature, photo"),
    ],
)
def test_a_bad_proof_is_422_naming_the_proof_and_nothing_is_recorded(w, as_user, proof, says):
    parcel = w.parcels[0]
    w.on_the_road([parcel])
    response = as_user(w.siti).post("/api/v1/scans", json=deliver(parcel, proof=proof))
    body = assert_problem(response, 422, field="proof")
    [error] = [e for e in body["errors"] if e["field"] == "proof"]
    assert says in error["message"]
    db.session.expire_all()
    assert parcel.status == "dispatched"
    assert proofs_kept() == 0


def test_the_refusal_is_in_indonesian_for_an_indonesian_phone(w, as_user):
    parcel = w.parcels[0]
    w.on_the_road([parcel])
    proof = {"kind": "signature", "image": images.b64(b"not an image")}
    response = as_user(w.siti, "id").post("/api/v1/scans", json=deliver(parcel, proof=proof))
    body = assert_problem(response, 422, field="proof")
    assert "PNG" in body["errors"][0]["message"]
    assert "not" not in body["errors"][0]["message"]


def test_a_round_can_require_a_photo_and_a_delivery_without_one_is_refused(w, as_user, api):
    answer = api("admin").get(f"/api/v1/rounds/{w.round.id}").get_json()
    assert answer["proof"] == "none"
    dist.update_round(db.session, w.round, proof="photo", user=w.admin)
    db.session.commit()
    assert api("admin").get(f"/api/v1/rounds/{w.round.id}").get_json()["proof"] == "photo"
    parcel = w.parcels[0]
    w.on_the_road([parcel])
    refused = as_user(w.siti).post("/api/v1/scans", json=deliver(parcel))
    assert refused.status_code == 409
    assert refused.get_json()["detail"] == "Round Round 1 needs a photo of the handover."
    taken = as_user(w.siti).post("/api/v1/scans", json=deliver(parcel, proof=images.photo()))
    assert taken.status_code == 200


def test_a_round_is_planned_with_its_proof(api, make):
    warehouse = make.warehouse("JKT-01")
    batch = make.batch(received=10, warehouse=warehouse)
    body = {"name": "R", "batches": [batch.id], "warehouse": "JKT-01", "entitlement": 1}
    made = api("admin").post("/api/v1/rounds", json={**body, "proof": "signature"})
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["proof"] == "signature"
    bad = api("admin").post("/api/v1/rounds", json={**body, "proof": "fingerprint"})
    assert_problem(bad, 422, field="proof")
