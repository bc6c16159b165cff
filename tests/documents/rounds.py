"""A round with parcels to label, built through the services (shared by the label tests)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import Household, Parcel, Round
from kitlog.services import distribution, scans


@dataclass
class LabelledRound:
    round: Round
    parcels: list[Parcel]  # every parcel, cancelled too
    households: list[Household]

    def parcels_where(self, *, status=None, village=None) -> list[Parcel]:
        return [
            p
            for p in self.parcels
            if (status is None or p.status in status)
            and (village is None or p.household.village == village)
        ]

    def urls(self, base_url: str, parcels: list[Parcel]) -> set[str]:
        return {f"{base_url}/p/{p.token}" for p in parcels}


def labelled_round(
    make,
    *,
    villages: dict[str, int],
    packed: int = 0,
    cancelled: int = 0,
    show_head_name: bool = False,
    name: str = "KOICA hygiene kits, Malang",
) -> LabelledRound:
    """An open round of one kit per household in these villages (village: households),
    with `packed` parcels packed by a scan and `cancelled` cancelled; the rest allocated."""
    batch = make.batch(received=sum(villages.values()) + 10)
    households = [
        make.household(village=village, head_name=f"Siti Rahayu {village} {i}")
        for village, count in villages.items()
        for i in range(count)
    ]
    round_ = distribution.create_round(
        db.session,
        name=name,
        batches=[batch],
        warehouse=batch.warehouse,
        entitlement=1,
        show_head_name=show_head_name,
        user=None,
    )
    distribution.open_round(db.session, round_, user=None)
    distribution.allocate(db.session, round_, user=None)
    db.session.commit()
    parcels = list(
        db.session.scalars(select(Parcel).where(Parcel.round_id == round_.id).order_by(Parcel.id))
    )
    packer = make.user("warehouse") if packed else None
    for parcel in parcels[:packed]:
        result = scans.record_scan(
            db.session,
            scans.ScanInput(code=parcel.token, action="pack", idempotency_key=str(uuid.uuid4())),
            user=packer,
        )
        assert result.outcome == "ok", result.detail
    for parcel in parcels[packed : packed + cancelled]:
        distribution.cancel_parcel(db.session, parcel, user=None, reason="moved away")
    db.session.commit()
    return LabelledRound(round_, parcels, households)
