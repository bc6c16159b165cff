"""The founding case: KOICA's 5,000 family hygiene kits for the households of PMI."""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from kitlog.models import Donor, Household, Parcel, Role, Round, User, Warehouse
from kitlog.services import distribution, manifests, reference, scans, stock, users
from kitlog.services.demo_households import load_demo_households
from kitlog.services.reference import ContentLine

LOGINS_FILE = "demo-logins.json"
DEMO_HOUSEHOLDS = 2000
DEMO_PACKED = 60  # parcels of round 1 packed at the Surabaya warehouse
DEMO_DISPATCHED = 40  # of them, on manifest SBY-01/<year>/0001, on the road
DEMO_LOADED = 5  # of them, on a second manifest still open for loading

DEMO_USERS = [
    (Role.ADMIN, "admin@demo.kitlog.id", "Ayu Lestari (Admin)", None, "id"),
    (Role.WAREHOUSE, "gudang@demo.kitlog.id", "Budi Santoso", None, "id"),
    (Role.FIELD, "lapangan@demo.kitlog.id", "Siti Rahmawati", None, "id"),
    (Role.DONOR, "koica@demo.kitlog.id", "KOICA Indonesia Office", "KOICA", "en"),
]

HYGIENE_KIT = [
    ContentLine("Cloth face mask", 10, "pcs"),
    ContentLine("Bar soap 85 g", 4, "bars"),
    ContentLine("Hand sanitizer 500 ml", 1, "bottle"),
    ContentLine("Toothpaste 120 g", 2, "tubes"),
    ContentLine("Toothbrush", 4, "pcs"),
    ContentLine("Sanitary pads", 2, "packs"),
    ContentLine("Laundry detergent 800 g", 1, "bag"),
    ContentLine("Bucket with lid 20 l", 1, "pcs"),
]


@dataclass
class DemoLogins:
    created: bool
    rows: list[tuple[str, str, str]] = field(default_factory=list)


def _logins_path(instance_path: str) -> Path:
    return Path(instance_path) / LOGINS_FILE


def load_demo(session: Session, instance_path: str, *, today: date | None = None) -> DemoLogins:
    """Load the demo once; later calls only return the logins made the first time.

    The founding case replayed now: the KOICA batch arrived three weeks ago and
    expires in two years, 2,000 PMI households are registered, and a first round for
    Jawa Timur is open and allocated from Surabaya.
    """
    today = today or date.today()
    path = _logins_path(instance_path)
    if session.scalar(select(Donor).where(Donor.code == "KOICA")) is not None:
        rows = [tuple(r) for r in json.loads(path.read_text())] if path.exists() else []
        return DemoLogins(created=False, rows=rows)

    koica = reference.create_donor(
        session, code="KOICA", name="Korea International Cooperation Agency", country="Korea"
    )
    kit = reference.create_kit_type(
        session,
        code="HK-FAM",
        name="Family hygiene kit (Covid-19)",
        weight_kg="6.500",
        volume_m3="0.0450",
        contents=HYGIENE_KIT,
    )
    jakarta = reference.create_warehouse(
        session,
        code="JKT-01",
        name="Gudang BP2MI Jakarta",
        province="DKI Jakarta",
        regency="Jakarta Selatan",
        address="Jl. MT Haryono Kav. 52, Pancoran, Jakarta Selatan",
    )
    surabaya = reference.create_warehouse(
        session,
        code="SBY-01",
        name="Gudang UPT BP2MI Surabaya",
        province="Jawa Timur",
        regency="Kota Surabaya",
        address="Jl. Raya Juanda, Sidoarjo",
    )
    rows = []
    created_users: dict[str, User] = {}
    for role, email, name, donor_code, language in DEMO_USERS:
        password = users.new_password()
        created_users[role] = users.create_user(
            session,
            email=email,
            password=password,
            role=role,
            name=name,
            donor=koica if donor_code else None,
            language=language,
        )
        rows.append((str(role), email, password))
    batch = stock.receive_batch(
        session,
        donor=koica,
        kit_type=kit,
        warehouse=jakarta,
        reference="IOM-BP2MI/KOICA/2020-11",
        lot="KOICA-HK-2020-001",
        expiry_date=today + timedelta(days=730),
        quantity_pledged=5000,
        quantity_received=5000,
        quantity_damaged=10,
        received_date=today - timedelta(days=21),
        user=created_users[Role.WAREHOUSE],
    )
    stock.transfer_stock(
        session,
        batch=batch,
        from_warehouse=jakarta,
        to_warehouse=surabaya,
        quantity=1500,
        note="Alokasi Jawa Timur",
        user=created_users[Role.WAREHOUSE],
    )
    admin, officer = created_users[Role.ADMIN], created_users[Role.FIELD]
    load_demo_households(session, count=DEMO_HOUSEHOLDS, today=today, user=officer)
    east_java = distribution.create_round(
        session,
        name="Putaran 1 – Jawa Timur",
        batches=[batch],
        warehouse=surabaya,
        entitlement=1,
        province="Jawa Timur",
        start_date=today,
        end_date=today + timedelta(days=30),
        user=admin,
    )
    distribution.open_round(session, east_java, user=admin)
    distribution.allocate(session, east_java, user=admin, today=today)
    _pack_and_dispatch(session, east_java, surabaya, created_users[Role.WAREHOUSE])
    distribution.create_round(
        session,
        name="Putaran 2 – Nusa Tenggara Barat",
        batches=[batch],
        warehouse=jakarta,
        entitlement=2,
        members_per_kit=4,
        province="Nusa Tenggara Barat",
        vulnerable_first=True,
        start_date=today + timedelta(days=14),
        user=admin,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(rows, fh)
    return DemoLogins(created=True, rows=rows)


def _pack_and_dispatch(
    session: Session, round_: Round, warehouse: Warehouse, storekeeper: User
) -> None:
    """Round 1 under way, through the same services the pages use: 60 parcels packed
    (scanned), 40 of them on a dispatched manifest to the district most of them live
    in, 5 loaded onto a second manifest still open, the rest packed on the shelf."""
    rows = session.execute(
        select(Parcel, Household)
        .join(Household, Household.id == Parcel.household_id)
        .where(Parcel.round_id == round_.id)
        .order_by(Household.regency, Household.district, Household.village, Household.code)
    ).all()
    if not rows:
        return
    by_district = Counter((h.regency, h.district) for _p, h in rows)
    (regency, district), _n = by_district.most_common(1)[0]
    # the busiest district's parcels first, so the first trip serves one district
    rows.sort(key=lambda row: (row[1].regency, row[1].district) != (regency, district))
    chosen = rows[:DEMO_PACKED]
    for parcel, _household in chosen:
        scans.record_scan(
            session,
            scans.ScanInput(
                code=parcel.short_code, action="pack", idempotency_key=f"demo-pack-{parcel.id}"
            ),
            user=storekeeper,
        )
    trip = [
        p for p, h in chosen[:DEMO_DISPATCHED] if (h.regency, h.district) == (regency, district)
    ]
    trip = trip or [p for p, _h in chosen[:DEMO_DISPATCHED]]
    first = manifests.create_manifest(
        session,
        warehouse=warehouse,
        destination=f"Kec. {district}, {regency}",
        vehicle="L 8421 UB",
        driver_name="Slamet Riyadi",
        driver_phone="0812 3300 4521",
        parcels=[p.short_code for p in trip],
        user=storekeeper,
    )
    manifests.dispatch_manifest(session, first, user=storekeeper)
    rest = [p for p, _h in chosen if p.manifest_id is None]
    if rest:
        loading = rest[:DEMO_LOADED]
        villages = sorted({h.village for p, h in chosen if p in loading})
        manifests.create_manifest(
            session,
            warehouse=warehouse,
            destination=", ".join(villages[:3]) or "Surabaya",
            vehicle="W 3170 NF",
            driver_name="Agus Prasetyo",
            driver_phone="0857 1234 8890",
            parcels=[p.short_code for p in loading],
            user=storekeeper,
        )
    session.flush()


__all__ = ["DemoLogins", "load_demo"]
