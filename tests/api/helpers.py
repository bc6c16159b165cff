"""Helpers for the API tests: a small stocked world, problem answers, row counts."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from kitlog.extensions import db
from kitlog.models import (
    Donor,
    DonorBatch,
    Household,
    HouseholdImport,
    KitItem,
    KitType,
    Parcel,
    Round,
    StockMovement,
    Transfer,
    Warehouse,
)

PROBLEM_JSON = "application/problem+json"
IMPORT_PATH = "/api/v1/households/import"


def assert_problem(response, status: int, *, field: str | None = None) -> dict:
    """An RFC 9457 answer with this status; with `field`, naming it in `errors`."""
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    assert response.mimetype == PROBLEM_JSON
    body = response.get_json()
    for key in ("type", "title", "status", "detail"):
        assert key in body, body
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    if field is not None:
        fields = [e["field"] for e in body.get("errors", [])]
        assert field in fields, body
    return body


COUNTED = (
    Donor,
    KitType,
    KitItem,
    Warehouse,
    DonorBatch,
    Transfer,
    StockMovement,
    Household,
    Round,
    Parcel,
    HouseholdImport,
)


def row_counts() -> dict[str, int]:
    """How many rows every table an API write may touch holds (in one query: the malformed
    request tests count before and after each of some 2,700 requests)."""
    counts = select(
        *(
            select(func.count()).select_from(model).scalar_subquery().label(model.__tablename__)
            for model in COUNTED
        )
    )
    return dict(db.session.execute(counts).one()._mapping)


def send_import(client, content: bytes, filename: str = "households.csv", query: str = ""):
    """POST a households file to the import endpoint, as a multipart upload."""
    return client.post(
        IMPORT_PATH + query,
        data={"file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def household_count() -> int:
    """How many households are registered, read afresh (after a rollback)."""
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Household))


class World:
    """KOICA, HK-FAM, JKT-01 and SBY-01, and a batch of 100 kits received in JKT-01."""

    def __init__(self, make):
        self.donor = make.donor("KOICA")
        self.kit_type = make.kit_type("HK-FAM")
        self.jakarta = make.warehouse("JKT-01")
        self.surabaya = make.warehouse("SBY-01", province="Jawa Timur", regency="Surabaya")
        self.batch = make.batch(received=100, warehouse=self.jakarta, lot="LOT-A")
        self.batch_id = self.batch.id

    def batch_body(self, **changes) -> dict:
        body = {
            "donor": "KOICA",
            "kit_type": "HK-FAM",
            "warehouse": "JKT-01",
            "reference": "IOM-BP2MI/KOICA/2020-11",
            "lot": "KOICA-HK-2020-001",
            "expiry_date": "2023-11-30",
            "quantity_pledged": 5000,
            "quantity_received": 4990,
            "quantity_damaged": 10,
            "received_date": "2020-12-07",
        }
        return {**body, **changes}

    def transfer_body(self, **changes) -> dict:
        body = {
            "batch": self.batch_id,
            "from_warehouse": "JKT-01",
            "to_warehouse": "SBY-01",
            "quantity": 30,
        }
        return {**body, **changes}

    def adjustment_body(self, **changes) -> dict:
        body = {
            "batch": self.batch_id,
            "warehouse": "JKT-01",
            "quantity": -4,
            "kind": "loss",
            "reason": "Water damage",
        }
        return {**body, **changes}
